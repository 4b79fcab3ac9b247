"""Serializer fields whose OpenAPI schema states what the API accepts, no more and no less.

A field's validators become its `pattern` in the schema, so a client (and the schema tests) can
tell from the document that a blank answer, a number where text belongs, or a URL without https
is refused. The services still check everything a pattern cannot say, with their own messages.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from apps_registry.validators import validate_redirect_uri

# Some visible text and no NUL: DRF trims blanks away and refuses NUL characters in any CharField.
REQUIRED_TEXT = RegexValidator(
    r"^[^\x00]*\S[^\x00]*$", message="Write some text (not only spaces), without NUL characters."
)


# 1 to 65535.
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"


class RedirectUriValidator(RegexValidator):
    """The redirect URI rules, with their specific messages, plus their shape as a pattern.

    The pattern (which the schema publishes) covers what a pattern can say; the rules also
    refuse what it cannot (IP-literal hosts, reserved query parameters, xn-- labels that
    are not valid IDNA).
    """

    # Printable ASCII only (an international host is registered in its xn-- form): the host
    # without / ? # @ * : [ ] \ and the path and query without # * \.
    regex = (
        r'^(https://[!"$-)+-.0-9;->A-Z^-~]+|http://(127\.0\.0\.1|\[::1\]|localhost))'
        rf'(:{_PORT})?([/?][!"$-)+-\[\]-~]*)?$'
    )
    message = (
        "Write the URI as https://host[:port]/path, scheme in lower case "
        "(http only for 127.0.0.1, [::1] or localhost)."
    )

    def __call__(self, value):
        validate_redirect_uri(value)
        super().__call__(value)


# A web address Django's URLValidator accepts: a dotted host name ending in a top-level domain,
# optional port, path and query. (DRF lets an empty value through when the field allows blanks.)
_HOST = r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
# RFC 3986 characters; a "%" only as a percent-escape (a stray one is no URI at all).
_PATH_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
_QUERY_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})"
_PORT_PATH_QUERY = rf"(:{_PORT})?(/{_PATH_CHAR}*)?(\?{_QUERY_CHAR}*)?"


def web_address(*schemes: str) -> RegexValidator:
    return RegexValidator(
        rf"^({'|'.join(schemes)})://{_HOST}{_PORT_PATH_QUERY}$",
        message=f"Enter a full {' or '.join(schemes)} address, e.g. https://app.example.com/privacy.",
    )


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would quietly turn a JSON number into a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def required_text(*, validators=(), **kwargs) -> StrictCharField:
    return StrictCharField(validators=[REQUIRED_TEXT, *validators], **kwargs)
