"""The console's WSGI application, answering every request with `X-Console-Instance: <name>`
(CONSOLE_INSTANCE) when several instances serve it, so whoever reads a response (an operator
chasing a fault, the cluster's tests) knows which instance served it. Without CONSOLE_INSTANCE it
is the console's application unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from console.wsgi import application as console_application
from deploy.environment import INSTANCE_HEADER


def named(application: Callable, name: str) -> Callable:
    """`application` with the instance header added to each response it starts."""
    header = (INSTANCE_HEADER, name)

    def named_application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start_named_response(status: str, headers: list, exc_info=None):
            return start_response(status, [*headers, header], exc_info)

        return application(environ, start_named_response)

    return named_application


_instance = os.environ.get("CONSOLE_INSTANCE", "")
application = named(console_application, _instance) if _instance else console_application
