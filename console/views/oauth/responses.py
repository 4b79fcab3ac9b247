"""The error answers the console's OAuth endpoints give themselves, before or instead of DOT."""

from __future__ import annotations

from django.http import JsonResponse


def oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body, never stored: token-endpoint answers are not (§5.1), nor
    are those of the revocation and introspection endpoints, which take the same credentials."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response
