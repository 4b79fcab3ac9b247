"""How the OpenAPI document describes refusals and bearer tokens, derived from each view's setup.

Which 400/401/403/404 an operation can answer follows from its parameters, authentication and
permissions, so the schema class works it out once for every view instead of each view listing
them (and forgetting one when its setup changes). A view's own `extend_schema` still wins.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

from console.api.exceptions import api_exception_handler

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ErrorSerializer = inline_serializer(
    "Error",
    fields={
        "code": serializers.CharField(
            help_text="Stable and machine-readable, e.g. `invalid`, `not_found`, "
            "`application_already_open`; branch on this, never on the message."
        ),
        "message": serializers.CharField(help_text="What went wrong, safe to show to people."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="The messages per invalid parameter or field (dotted for a list's items, "
            "e.g. `redirect_uris.0`); empty when the request as a whole was refused.",
        ),
    },
)
# Bearer-token endpoints answer as RFC 6750 and DRF do, not with the console's error body.
ProtocolErrorSerializer = inline_serializer(
    "BearerTokenError",
    fields={
        "detail": serializers.CharField(help_text="What went wrong."),
        "error": serializers.CharField(required=False, help_text="e.g. `invalid_token`."),
    },
)


class ConsoleAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the refusals DRF itself can answer for the operation."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for status_code, response in self._refusals(operation).items():
            operation["responses"].setdefault(status_code, response)
        return operation

    def _refusals(self, operation: dict) -> dict[str, dict]:
        refusals = {}
        parameters = operation.get("parameters", [])
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            refusals["400"] = self._response(
                "400",
                "Malformed or invalid input; `fields` names each parameter or field to fix.",
                self._error_body(),
            )
        refusals.update(self._authentication_refusals())
        if any(p["in"] == "path" for p in parameters):
            refusals["404"] = self._response(
                "404", "No such object, or not yours to see.", self._error_body()
            )
        return refusals

    def _authentication_refusals(self) -> dict[str, dict]:
        """401/403 exactly where DRF answers them: a protected view refuses an anonymous caller
        with 401 if its first authentication scheme issues a challenge (`WWW-Authenticate`), else
        403; a permission stricter than IsAuthenticated, or the CSRF check session
        authentication makes on writes, answers 403 to a caller it knows."""
        authenticators = self.view.get_authenticators()
        permissions = self.view.get_permissions()
        protected = any(not isinstance(permission, AllowAny) for permission in permissions)
        challenge = (
            authenticators[0].authenticate_header(self.view.request) if authenticators else None
        )
        refusals = {}
        if protected and challenge:
            response = self._response(
                "401",
                "No valid credentials; the `WWW-Authenticate` header says which are expected.",
                self._error_body(),
            )
            response["headers"] = {
                "WWW-Authenticate": {
                    "schema": {"type": "string"},
                    "required": True,
                    "description": f"The challenge, e.g. `{challenge}`.",
                }
            }
            refusals["401"] = response
        stricter_permission = any(
            not isinstance(permission, (AllowAny, IsAuthenticated)) for permission in permissions
        )
        csrf_checked = self.method in UNSAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        )
        if (protected and not challenge) or stricter_permission or csrf_checked:
            refusals["403"] = self._response(
                "403",
                "Not signed in, not allowed, or (for a signed-in session's writes) a missing or "
                "wrong CSRF token.",
                self._error_body(),
            )
        return refusals

    def _error_body(self):
        """The body the view's exception handler gives its refusals."""
        if self.view.get_exception_handler() is api_exception_handler:
            return ErrorSerializer
        return ProtocolErrorSerializer

    def _response(self, status_code: str, description: str, body) -> dict:
        return self._get_response_for_code(
            OpenApiResponse(response=body, description=description), status_code
        )


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The seller-facing API's bearer authentication as what clients send:
    `Authorization: Bearer <access token>`. A plain HTTP bearer scheme with an empty requirement:
    its operations need a valid token, not a particular scope.
    """

    target_class = "console.api.oauth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token from /oauth/token/ (authorization code + PKCE).",
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: []}
