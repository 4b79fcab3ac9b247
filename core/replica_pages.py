"""Pages that may read from the read replica, and how a browser still sees its own writes there
(ADR 0026; core/replica.py does the routing).

The rule: after any unsafe request (POST, PUT, PATCH, DELETE) that brings or makes a session,
`ReadYourWritesMiddleware` puts the primary's WAL position in the browser's WRITTEN_AT_COOKIE. A
page wrapped in `replica_reads` reads the replica only if the replica has replayed up to that
position; a browser without the cookie has written nothing a replica could miss, so any replica
will do. A replica that is behind,
down or failing costs a read on the primary, never an error. No clock is involved: the position
says exactly which writes a replica shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.replica import lsn_number, primary_wal_lsn, read_from_replica, replica_configured

WRITTEN_AT_COOKIE = "console_written_at"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ReadYourWritesMiddleware:
    """Records where the primary's WAL was after a browser's unsafe request; only with a replica
    configured. Any unsafe request may have written (a refused form can still record an attempt),
    so every one records it: one small query. It stands before SessionMiddleware in MIDDLEWARE,
    so the position is taken after the session's own save."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method not in SAFE_METHODS
            and _is_browser(request, response)
            and (lsn := primary_wal_lsn())
        ):
            response.set_cookie(
                WRITTEN_AT_COOKIE,
                lsn,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _is_browser(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether a session comes or goes with the request: only a browser reads the pages that
    may use the replica. A program (an app's server refreshing tokens, an API client) writes
    often and never reads them, so it costs no query and gets no cookie."""
    name = settings.SESSION_COOKIE_NAME
    return name in request.COOKIES or name in response.cookies


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A GET-only view that may read from the replica, under the rule above. The response is
    rendered here, so a template's queries run where the view's do."""

    @functools.wraps(view)
    def on_replica_when_caught_up(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not replica_configured():
            return view(request, *args, **kwargs)
        # Who is asking comes from the primary: the session a sign-in has just written may not
        # have reached the replica yet.
        request.user.is_authenticated  # noqa: B018 - loads the user and the session

        def rendered() -> HttpResponse:
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            return response

        return read_from_replica(rendered, caught_up_to=_written_at(request))

    return on_replica_when_caught_up


def _written_at(request: HttpRequest) -> int | None:
    """The position the browser's last write left; 0 without one, None (the primary only) when
    the cookie is not a position."""
    value = request.COOKIES.get(WRITTEN_AT_COOKIE)
    if value is None:
        return 0
    try:
        return lsn_number(value)
    except ValueError:
        return None
