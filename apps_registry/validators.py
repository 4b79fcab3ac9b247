"""Rules for what partners register: redirect URIs, and the names and text sellers are shown.

Redirect URIs (RFC 9700 §2.1, §4.1.3; RFC 8252 §7.3 for loopback): a redirect URI is where the
authorization server sends a seller's authorization code, so a loose rule is an account-takeover
lever. We accept only absolute https URIs, or http on a loopback host for local development; never
wildcards, fragments or credentials; and DOT matches them exactly.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections import Counter
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import idna
from confusable_homoglyphs.categories import alias, unique_aliases
from confusable_homoglyphs.confusables import is_confusable
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator

MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# Parameters the authorization server itself appends to the redirect; a registered URI carrying
# them would let the response be confused with (or override) the real one.
RESERVED_QUERY_PARAMETERS = frozenset({"code", "state", "error", "iss"})
# Digits, punctuation, spaces and combining marks belong to no script of their own.
SCRIPT_NEUTRAL = frozenset({"COMMON", "INHERITED"})


# --- Web addresses partners give: homepage, privacy policy, demo ---------------------------------
# Sellers follow these links from the consent page, so they are public, dotted host names (an
# international one in its xn-- form, as for redirect URIs), not IP addresses or localhost. The
# regex is also the pattern the API's schema publishes, so clients and the service agree.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LEVEL_DOMAIN = r"([A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
# A TCP port: 1 to 65535.
PORT_PATTERN = (
    r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
)
# RFC 3986 characters; a "%" only as a percent-escape (a stray one is no URI at all).
_PATH_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
_QUERY_CHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})"


class WebAddressValidator(RegexValidator):
    """A full web address with one of `schemes`: the pattern above, and Django's URLValidator."""

    def __init__(self, *schemes: str):
        super().__init__(
            rf"^({'|'.join(schemes)})://({_LABEL}\.)+{_TOP_LEVEL_DOMAIN}(:{PORT_PATTERN})?"
            rf"(/{_PATH_CHAR}*)?(\?{_QUERY_CHAR}*)?$",
            message=f"Enter a full {' or '.join(schemes)} address with a domain name, e.g. "
            "https://app.example.com/privacy (an international domain in its xn-- form).",
            code="web_address",
        )
        self.url_validator = URLValidator(schemes=list(schemes))

    def __call__(self, value):
        super().__call__(value)
        self.url_validator(value)


validate_https_address = WebAddressValidator("https")
validate_web_address = WebAddressValidator("https", "http")


def parse_redirect_uris(text: str) -> list[str]:
    """Split one URI per line (or space), dropping blanks and repeats, keeping the order."""
    seen: dict[str, None] = {}
    for uri in text.split():
        seen.setdefault(uri, None)
    return list(seen)


def validate_redirect_uri(uri: str) -> None:
    """Raise ValidationError, with a message a partner can act on, unless `uri` is acceptable."""
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise ValidationError(
            f"“{uri[:60]}…” is longer than {MAX_REDIRECT_URI_LENGTH} characters.",
            code="too_long",
        )
    if any(ord(char) < 33 or ord(char) == 127 for char in uri):
        raise ValidationError(
            f"“{uri}” contains spaces or control characters.", code="invalid_characters"
        )
    if "*" in uri:
        raise ValidationError(
            f"“{uri}” contains a wildcard; register every redirect URI exactly.", code="wildcard"
        )
    if "#" in uri:
        raise ValidationError(
            f"“{uri}” has a fragment (#…); redirect URIs cannot have one.", code="fragment"
        )
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise ValidationError(f"“{uri}” is not a valid URL.", code="invalid") from None
    if not parts.scheme or not parts.netloc or not parts.hostname:
        raise ValidationError(
            f"“{uri}” is not an absolute URL; write it in full, e.g. https://app.example.com/callback.",
            code="not_absolute",
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            f"“{uri}” contains a user name or password; remove the part before “@”.",
            code="userinfo",
        )
    if not uri.isascii():
        # OAuth clients send the redirect URI in ASCII (an IDN host as xn--…, the path
        # percent-encoded), and exact matching compares it with what is registered here: a Unicode
        # form could never match, and the authorization endpoint refuses it outright.
        raise ValidationError(
            f"“{uri}” has characters outside ASCII; register it as your app sends it, with the "
            f"host in its xn-- form and the path percent-encoded{_ascii_example(parts)}.",
            code="not_ascii",
        )
    host = parts.hostname.lower()
    for label in host.split("."):
        if not label.startswith("xn--"):
            continue
        try:
            idna.decode(label)
        except idna.IDNAError as error:
            # An xn-- label that decodes to no valid international name is refused by browsers
            # or shown as something else; the consent page could not say where a seller goes.
            raise ValidationError(
                f"“{uri}” has a host label “{label}” that is not a valid international domain "
                f"name ({error}). Convert the host's Unicode name to its xn-- form again and "
                "register that.",
                code="invalid_idna",
            ) from None
    is_loopback = host in LOOPBACK_HOSTS
    scheme = parts.scheme.lower()
    if scheme == "http" and not is_loopback:
        raise ValidationError(
            f"“{uri}” uses http; use https (http is allowed only for 127.0.0.1, [::1] and "
            "localhost during development).",
            code="insecure_scheme",
        )
    if scheme not in ("https", "http"):
        raise ValidationError(f"“{uri}” must use https.", code="scheme")
    if not is_loopback and _is_ip_literal(host):
        raise ValidationError(
            f"“{uri}” points at an IP address; use a domain name you control.", code="ip_literal"
        )
    if port == 0:
        raise ValidationError(f"“{uri}” has an invalid port.", code="invalid")
    reserved = sorted(
        {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        & RESERVED_QUERY_PARAMETERS
    )
    if reserved:
        raise ValidationError(
            f"“{uri}” carries {', '.join(reserved)} in its query; the authorization server adds "
            "those itself.",
            code="reserved_parameter",
        )


def validate_redirect_uris(uris: list[str]) -> None:
    """Validate a whole list: at least one, at most MAX_REDIRECT_URIS, each acceptable."""
    if not uris:
        raise ValidationError("Add at least one redirect URI.", code="required")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError(
            f"Register at most {MAX_REDIRECT_URIS} redirect URIs (you gave {len(uris)}).",
            code="too_many",
        )
    errors = []
    for uri in uris:
        try:
            validate_redirect_uri(uri)
        except ValidationError as error:
            errors.extend(error.error_list)
    if errors:
        raise ValidationError(errors)


def _ascii_example(parts) -> str:
    """The ASCII form of a URI with an international host or path, as an example to copy."""
    try:
        host = idna.encode(parts.hostname, uts46=True).decode("ascii")
    except idna.IDNAError:
        return ""  # not a valid international host name either: no example to offer
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    ascii_uri = urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe="/%:@!$&'()+,;=~"),
            quote(parts.query, safe="=&%/?:@!$'()+,;~"),
            "",
        )
    )
    return f", e.g. “{ascii_uri}”"


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- Text partners write and sellers read on the consent page -----------------------------------
# An app's name and description, and the partner's name, are shown to sellers as the identity of
# whoever asks for their data. Invisible format characters (Unicode category Cf: bidi overrides and
# isolates, zero-width spaces and joiners) can reorder or hide what a seller reads, and letters of
# one script that look like another's ("Аcme" with a Cyrillic А) can pass for another app.
# Detection of lookalikes comes from Unicode's confusables data (confusable_homoglyphs). ADR 0011.


def validate_no_format_characters(text: str) -> None:
    """Refuse invisible format characters (category Cf), naming the first one found."""
    for char in text:
        if unicodedata.category(char) == "Cf":
            raise ValidationError(
                f"Remove the invisible character U+{ord(char):04X} "
                f"({unicodedata.name(char, 'FORMAT CHARACTER')}): it can change how sellers read "
                "the text on the consent page.",
                code="format_character",
            )


def validate_no_lookalike_scripts(text: str) -> None:
    """Refuse text mixing scripts whose letters look alike (Latin with Cyrillic or Greek…);
    scripts that cannot be confused, such as Latin with Han or Hangul, may be mixed."""
    scripts = unique_aliases(text) - SCRIPT_NEUTRAL
    if len(scripts) < 2:
        return
    lookalikes = [
        entry["character"]
        for script in sorted(scripts)
        for entry in is_confusable(text, greedy=True, preferred_aliases=[script]) or []
        if entry["alias"] in scripts
    ]
    if not lookalikes:
        return
    # Name the letters of the script used least: in "Аcme" that is the Cyrillic А.
    letters_per_script = Counter(alias(char) for char in text if alias(char) in scripts)
    rarest = min(letters_per_script.values())
    examples = [
        char
        for char in dict.fromkeys(text)
        if char in lookalikes and letters_per_script[alias(char)] == rarest
    ][:3]
    raise ValidationError(
        f"“{text}” mixes {' and '.join(sorted(script.title() for script in scripts))} letters "
        "that look alike ("
        + ", ".join(f"{char} is {unicodedata.name(char, 'a letter')}" for char in examples)
        + "). Write it in one alphabet so sellers cannot mistake it for another name.",
        code="lookalike_scripts",
    )


def validate_display_name(name: str) -> None:
    """An app's or partner's name: no invisible format characters, no lookalike script mix."""
    validate_no_format_characters(name)
    validate_no_lookalike_scripts(name)
