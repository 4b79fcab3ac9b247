"""How a page (the console's or the admin's) shows a service's refusal on the form that asked."""

from __future__ import annotations

from django import forms

from core.errors import DomainError


def show_refusal(form: forms.Form, error: DomainError) -> int:
    """Put `error` on `form`: each of its `fields` messages on that field (on top for a field the
    form does not have), else its message on top. Returns the status to render the page with, the
    same the API answers (a refused permission is 403, a stale or wrong state 409)."""
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)
    return error.status
