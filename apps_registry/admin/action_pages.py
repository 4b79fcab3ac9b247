"""What the staff-only actions on one object share. A confirm page (a reviewer's decision, an app's
suspension): a form, a recent re-authentication before acting, one service call, a message and the
redirect back to the object; a refusal stays on the page with the form and its 4xx status. A button
(assign to me, reinstate): one service call, then back to the object with what happened."""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse

from core.errors import DomainError
from core.forms import show_refusal


def require_recent_authentication(request) -> None:
    """Sensitive decisions need a sign-in (or re-authentication) within
    ACCOUNT_REAUTHENTICATION_TIMEOUT; otherwise allauth's middleware stashes the POST, sends the
    reviewer to re-authenticate and replays it afterwards."""
    records = get_authentication_records(request, request.user)
    if not records or time.time() - records[-1]["at"] > settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
        raise ReauthenticationRequired()


class ActionPageMixin:
    """For a ModelAdmin whose objects have confirm pages (its own URLs, behind admin_view)."""

    def action_page(
        self,
        request: HttpRequest,
        *,
        form_class: type[forms.Form],
        act: Callable[[forms.Form], None],
        change_url: str,
        template: str,
        context: Callable[[], dict],
        initial: dict | None = None,
    ) -> HttpResponse:
        """GET shows `form_class` (with `initial`). A valid POST goes to `act`, which calls the
        service, logs and announces what it did; then the page redirects to `change_url`. A
        DomainError from `act` is the form's error. `context` is what the template needs besides
        the form and `change_url`, built only when the page is shown."""
        status = 200
        if request.method == "POST":
            require_recent_authentication(request)
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    act(form)
                except DomainError as error:
                    status = show_refusal(form, error)
                else:
                    return HttpResponseRedirect(change_url)
            else:
                status = 400
        else:
            form = form_class(initial=initial)
        page_context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "change_url": change_url,
            **context(),
        }
        return TemplateResponse(request, template, page_context, status=status)

    def action_button(
        self, request: HttpRequest, *, act: Callable[[], str], change_url: str
    ) -> HttpResponse:
        """A POST-only button on the object's page: `act` calls the service, logs what it did and
        returns what to tell the user; a DomainError is shown as the error instead. Either way the
        browser goes back to `change_url`."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            done = act()
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(change_url)
