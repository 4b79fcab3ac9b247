// Manage API: keeps each group's "n of m selected" and the save bar's count of unsaved changes
// current, warns before leaving the page with unsaved changes, and filters the listed scopes as
// the partner types. Without this script the page is a plain form: the search reloads the page
// with ?q= and the save bar's buttons post or reset the form.
//
// The search text is matched by the server, never here: the partner API's list of the app's
// scopes (the same matcher as the page's ?q=) says which scopes match, so a pasted call such as
// "GET /order/202407/orders/576/price_detail" finds its scope as it does without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("scope-form");
  if (!form) {
    return;
  }
  var rows = Array.prototype.slice.call(form.querySelectorAll("li[data-scope]"));
  var sections = Array.prototype.slice.call(form.querySelectorAll("details[data-group]"));
  var unsavedStatus = form.querySelector("[data-unsaved-status]");
  var saveButton = form.querySelector("[data-save]");
  var discardButton = form.querySelector("[data-discard]");
  var submitting = false;

  function plural(count, noun) {
    return count + " " + noun + (count === 1 ? "" : "s");
  }

  function choiceOf(row) {
    return row.querySelector("select");
  }

  function isUnsaved(row) {
    var choice = choiceOf(row);
    return choice !== null && choice.value !== row.getAttribute("data-saved");
  }

  function unsavedCount() {
    return rows.filter(isUnsaved).length;
  }

  function showCounts() {
    sections.forEach(function (section) {
      // Saved choices of the group's scopes this page does not list count as they are.
      var selected = Number(section.getAttribute("data-unlisted-selected"));
      section.querySelectorAll("li[data-scope] select").forEach(function (choice) {
        if (choice.value) {
          selected += 1;
        }
      });
      section.querySelector("[data-selected-count]").textContent = String(selected);
    });
    if (!unsavedStatus) {
      return;  // a suspended app's page has no save bar
    }
    var unsaved = unsavedCount();
    var text = unsaved ? plural(unsaved, "unsaved change") : "No unsaved changes";
    if (unsavedStatus.textContent !== text) {
      unsavedStatus.textContent = text;  // only real changes, so screen readers hear each once
    }
    saveButton.disabled = unsaved === 0;
    discardButton.disabled = unsaved === 0;
  }

  form.addEventListener("change", showCounts);
  // Discard goes back to the saved choices (a plain reset would go back to the choices the page
  // was rendered with, which after a refused save are the refused ones).
  form.addEventListener("reset", function (event) {
    event.preventDefault();
    rows.forEach(function (row) {
      var choice = choiceOf(row);
      if (choice) {
        choice.value = row.getAttribute("data-saved");
      }
    });
    showCounts();
  });
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("pageshow", function () {
    submitting = false;  // back to a page kept in the back/forward cache after its save
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && unsavedCount() > 0) {
      event.preventDefault();
      event.returnValue = "";  // what older browsers need to ask
    }
  });
  showCounts();

  // --- Filtering in place: only when the page lists every scope (no ?q= or filter), so that
  // widening a search can show scopes the page holds; a filtered page searches by reloading.
  var filters = document.getElementById("scope-filters");
  if (!filters || form.getAttribute("data-lists-every-scope") !== "true") {
    return;
  }
  var searchInput = document.getElementById("scope-search");
  var groupSelect = document.getElementById("scope-group");
  var statusSelect = document.getElementById("scope-status");
  var listedCount = document.querySelector("[data-listed-count]");
  var noMatch = form.querySelector("[data-no-match]");
  var clearLinks = Array.prototype.slice.call(document.querySelectorAll("[data-clear-filters]"));
  var searched = {text: "", keys: null};  // keys: the matching scopes' keys, null for no search
  var searchNumber = 0;
  var searchTimer = null;
  var SEARCH_DELAY_MS = 150;

  function showMatches() {
    var group = groupSelect.value;
    var status = statusSelect.value;
    var isFiltered = searched.keys !== null || group !== "" || status !== "";
    var listed = 0;
    sections.forEach(function (section) {
      var shown = 0;
      section.querySelectorAll("li[data-scope]").forEach(function (row) {
        var matches = (searched.keys === null || searched.keys.has(row.getAttribute("data-scope")))
          && (group === "" || row.getAttribute("data-group") === group)
          && (status === "" || row.getAttribute("data-status") === status);
        row.hidden = !matches;
        shown += matches ? 1 : 0;
      });
      section.hidden = shown === 0;
      if (shown > 0 && isFiltered) {
        section.open = true;  // a search's results are never behind a closed group
      }
      listed += shown;
    });
    noMatch.hidden = listed > 0;
    listedCount.textContent = plural(listed, "scope")
      + (searched.text ? " matching “" + searched.text + "”" : "");
    clearLinks.forEach(function (link) {
      if (link.closest("[data-no-match]") === null) {
        link.hidden = !isFiltered;
      }
    });
  }

  function search() {
    window.clearTimeout(searchTimer);
    var text = searchInput.value.trim();
    var number = ++searchNumber;
    if (text === "") {
      searched = {text: "", keys: null};
      showMatches();
      return;
    }
    var url = form.getAttribute("data-search-url") + "?" + new URLSearchParams({q: text});
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("Scope search answered " + response.status);
        }
        return response.json();
      })
      .then(function (scopes) {
        if (number !== searchNumber) {
          return;  // a later search has been asked for
        }
        searched = {text: text, keys: new Set(scopes.map(function (scope) { return scope.key; }))};
        showMatches();
      })
      .catch(function () {
        if (number === searchNumber) {
          filters.submit();  // the server's search, as without JavaScript
        }
      });
  }

  searchInput.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(search, SEARCH_DELAY_MS);
  });
  groupSelect.addEventListener("change", showMatches);
  statusSelect.addEventListener("change", showMatches);
  filters.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  clearLinks.forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      searchInput.value = "";
      groupSelect.value = "";
      statusSelect.value = "";
      search();
      searchInput.focus();
    });
  });
})();
