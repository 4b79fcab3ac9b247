"""The console's buttons that change one object: look the object up, call the one service that
changes it, say how that went and redirect. Partner and seller pages share this one shape."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import View

from core.errors import DomainError


class ObjectActionView(View):
    """A POST on one object. `get_object` reaches it through an owner-scoped selector, so another
    owner's object is a 404 and nothing changes; `perform` calls the service and returns the
    success message. A refused change (DomainError) is an error message, never a 500. After a
    refusal the browser goes to `redirect_url`; after the change to `success_url`, the same page
    unless a view says otherwise (e.g. leaving an organisation leaves its team page)."""

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        target = self.get_object()
        try:
            success_message = self.perform(target)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect(self.redirect_url(target))
        messages.success(request, success_message)
        return redirect(self.success_url(target))

    def get_object(self) -> Any:
        """The object named by the URL (`self.kwargs`), reachable by the user, else Http404."""
        raise NotImplementedError

    def perform(self, target: Any) -> str:
        """Change `target` through its service; return what to tell the user."""
        raise NotImplementedError

    def redirect_url(self, target: Any) -> str:
        raise NotImplementedError

    def success_url(self, target: Any) -> str:
        return self.redirect_url(target)
