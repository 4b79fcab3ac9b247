"""Serializer fields whose OpenAPI schema states what the API accepts, no more and no less.

A field's validators become its `pattern` in the schema, so a client (and the schema tests) can
tell from the document that a blank answer, a number where text belongs, or a URL without https
is refused. The services still check everything a pattern cannot say, with their own messages.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from apps_registry.validators import PORT_PATTERN, validate_redirect_uri

# Some visible text and no NUL: DRF trims blanks away and refuses NUL characters in any CharField.
REQUIRED_TEXT = RegexValidator(
    r"^[^\x00]*\S[^\x00]*$", message="Write some text (not only spaces), without NUL characters."
)


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
        rf'(:{PORT_PATTERN})?([/?][!"$-)+-\[\]-~]*)?$'
    )
    message = (
        "Write the URI as https://host[:port]/path, scheme in lower case "
        "(http only for 127.0.0.1, [::1] or localhost)."
    )

    def __call__(self, value):
        validate_redirect_uri(value)
        super().__call__(value)


class StrictCharField(serializers.CharField):
    """Text only: DRF's CharField would quietly turn a JSON number into a string."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def required_text(*, validators=(), **kwargs) -> StrictCharField:
    return StrictCharField(validators=[REQUIRED_TEXT, *validators], **kwargs)
