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


class RedirectUriValidator(RegexValidator):
    """The redirect URI rules, with their specific messages, plus their shape as a pattern.

    The pattern (which the schema publishes) covers what a pattern can say; the rules also
    refuse what it cannot (IP-literal hosts, reserved query parameters).
    """

    regex = (
        r"^(https://[^\x00-\x20\x7f/?#@*:\[\]\\]+|http://(127\.0\.0\.1|\[::1\]|localhost))"
        r"(:[1-9][0-9]{0,3})?([/?][^\x00-\x20\x7f#*\\]*)?$"
    )
    message = (
        "Write the URI as https://host[:port]/path, scheme in lower case, port below 10000 "
        "(http only for 127.0.0.1, [::1] or localhost)."
    )

    def __call__(self, value):
        validate_redirect_uri(value)
        super().__call__(value)


# A web address Django's URLValidator accepts: a dotted host name ending in a top-level domain,
# optional port, path and query. (DRF lets an empty value through when the field allows blanks.)
_HOST = r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_PORT_PATH_QUERY = (
    r"(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?(\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]*)?"
)


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
