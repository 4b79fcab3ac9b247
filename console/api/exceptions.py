"""The JSON API's one error body: `{"code", "message", "fields"}` for every refusal (ADR 0013).

A service's DomainError answers with its own status and code, and a RateLimitedError that knows its
wait with `Retry-After`; DRF's own refusals (validation, authentication, permission, not found,
method, parsing, media type, throttling) get the same shape with DRF's stable `default_code` of
their class, keeping the headers DRF sets (`WWW-Authenticate`, `Allow`, `Retry-After`). Views
therefore never catch domain errors themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.errors import DomainError, RateLimitedError


def error_body(*, code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": message, "fields": dict(fields or {})}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: None (a 500) for anything that is not a refusal."""
    if isinstance(exc, DomainError):
        set_rollback()
        headers = None
        if isinstance(exc, RateLimitedError) and exc.retry_after_seconds is not None:
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return Response(
            error_body(code=exc.code, message=exc.message, fields=exc.fields),
            status=exc.status,
            headers=headers,
        )
    # DRF answers Django's own two refusals as its NotFound and PermissionDenied; a body over
    # DATA_UPLOAD_MAX_MEMORY_SIZE is a parse error, as DRF would call a body it cannot read.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):  # else Django's HTML 400 page
        exc = exceptions.ParseError(
            f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
            "the API accepts."
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_error_body(exc.detail)
    else:
        response.data = error_body(code=exc.default_code, message=str(exc.detail))
    return response


def _validation_error_body(detail) -> dict:
    """DRF's detail is a list (the request as a whole) or an object per field, nested for a list's
    items or a nested serializer; `fields` flattens it to dotted names, e.g. `redirect_uris.0`."""
    if isinstance(detail, Mapping):
        return error_body(
            code=exceptions.ValidationError.default_code,
            message=str(exceptions.ValidationError.default_detail),
            fields=dict(_flatten(detail)),
        )
    messages = [str(message) for message in detail] if isinstance(detail, list) else [str(detail)]
    return error_body(code=exceptions.ValidationError.default_code, message=" ".join(messages))


def _flatten(detail: Mapping, prefix: str = ""):
    for name, value in detail.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from _flatten(value, prefix=f"{key}.")
        elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
            for index, item in enumerate(value):
                if item:
                    yield from _flatten(item, prefix=f"{key}.{index}.")
        else:
            yield key, [str(message) for message in (value if isinstance(value, list) else [value])]
