// Seller center: a disconnect button opens its confirmation in a <dialog>. The dialog shows the
// confirmation page the button leads to without JavaScript (its [data-revoke-confirmation]
// block), so both say exactly what will stop working and both submit the same POST form.
(function () {
  "use strict";
  var dialog = document.getElementById("revoke-dialog");
  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch || !window.DOMParser) {
    return;
  }
  dialog.addEventListener("click", function (event) {
    if (event.target.closest("[data-confirmation-cancel]")) {
      event.preventDefault();
      dialog.close();
    }
  });
  document.querySelectorAll("form[data-confirm-in-dialog]").forEach(function (form) {
    form.querySelector("button").setAttribute("aria-haspopup", "dialog");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = form.action + "?" + new URLSearchParams(new FormData(form)).toString();
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("confirmation page answered " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var confirmation = page.querySelector("[data-revoke-confirmation]");
          if (!confirmation) {
            throw new Error("no confirmation on the page");
          }
          dialog.replaceChildren(document.importNode(confirmation, true));
          dialog.showModal();
        })
        .catch(function () {
          form.submit(); // the confirmation page itself
        });
    });
  });
})();
