"""The seller's consent page: the form a seller submits (shops, duration, optional scopes) with a
signed copy of the authorization request, so its hidden fields cannot be tampered with, and what
the page shows about the app asking."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import idna
from django import forms
from django.core import signing
from oauth2_provider.forms import AllowForm

from apps_registry.models import PartnerApp
from apps_registry.selectors.authorizations import consent_scopes, consent_shops, shops_for_seller
from apps_registry.services.authorizations import (
    AUTHORIZATION_DURATION_DAYS,
    DEFAULT_AUTHORIZATION_DURATION_DAYS,
)

CONSENT_SIGNING_SALT = "console.oauth.consent-request"
# A consent page left open longer than this must be reloaded (the request is re-validated).
CONSENT_REQUEST_MAX_AGE_SECONDS = 3600
SIGNED_FIELDS = (
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "claims",
    "resource",
)
TAMPERED = "tampered"


class ConsentForm(AllowForm):
    """DOT's hidden request fields, plus the seller's choices; the hidden fields must match the
    signed copy made when the page was rendered."""

    request_token = forms.CharField(widget=forms.HiddenInput())
    shops = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    duration_days = forms.TypedChoiceField(
        choices=[(days, f"{days} days") for days in AUTHORIZATION_DURATION_DAYS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_AUTHORIZATION_DURATION_DAYS,
        initial=DEFAULT_AUTHORIZATION_DURATION_DAYS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, seller, **kwargs):
        super().__init__(*args, **kwargs)
        self.seller = seller
        self.fields["shops"].queryset = shops_for_seller(seller=seller)

    @staticmethod
    def sign(*, seller, values: dict) -> str:
        payload = {name: str(values.get(name) or "").strip() for name in SIGNED_FIELDS}
        payload["seller"] = seller.pk
        return signing.dumps(payload, salt=CONSENT_SIGNING_SALT)

    def clean(self):
        cleaned = super().clean()
        try:
            payload = signing.loads(
                cleaned.get("request_token", ""),
                salt=CONSENT_SIGNING_SALT,
                max_age=CONSENT_REQUEST_MAX_AGE_SECONDS,
            )
        except signing.SignatureExpired as error:
            raise forms.ValidationError(
                "This authorization page is too old. Go back to the app and start again.",
                code=TAMPERED,
            ) from error
        except signing.BadSignature as error:
            raise forms.ValidationError(
                "This authorization request is not valid. Go back to the app and start again.",
                code=TAMPERED,
            ) from error
        posted = {name: str(cleaned.get(name) or "").strip() for name in SIGNED_FIELDS}
        if payload.pop("seller") != self.seller.pk or payload != posted:
            raise forms.ValidationError(
                "This authorization request was changed after it was shown, so it was refused. "
                "Go back to the app and start again.",
                code=TAMPERED,
            )
        if not cleaned.get("allow"):
            return cleaned
        app = PartnerApp.objects.filter(client_id=payload["client_id"]).first()
        if app is None:
            raise forms.ValidationError("This app no longer exists.", code=TAMPERED)
        requested = payload["scope"].split()
        groups = consent_scopes(seller=self.seller, app=app, scope_keys=requested)
        optional = {item.scope.key for _, items in groups for item in items if not item.is_required}
        ticked = set(self.data.getlist("optional_scopes"))
        if not ticked <= optional:
            raise forms.ValidationError(
                "The permissions you submitted differ from the ones the app asked for, so the "
                "request was refused. Go back to the app and start again.",
                code=TAMPERED,
            )
        if not cleaned.get("shops"):
            self.add_error("shops", "Choose at least one shop to authorize.")
        cleaned["app"] = app
        cleaned["requested_scopes"] = requested
        cleaned["withdrawn_scopes"] = sorted(optional - ticked)
        # What DOT puts on the authorization code: the request minus what the seller unticked.
        cleaned["scope"] = " ".join(key for key in requested if key not in optional - ticked)
        return cleaned

    @property
    def is_tampered(self) -> bool:
        return any(error.code == TAMPERED for error in self.non_field_errors().as_data())


def redirect_host_forms(redirect_uri: str) -> tuple[str, str | None]:
    """The redirect URI's host (with its port) in ASCII, and its Unicode rendering when it is an
    international domain name. The ASCII (punycode) form is what the browser will go to, so a
    seller reads it first; the Unicode one is how it may be displayed, and can imitate another
    domain."""
    parts = urlsplit(redirect_uri)
    host = unquote(parts.hostname or "")  # a client may percent-encode a Unicode host
    if host.isascii() and not any(label.startswith("xn--") for label in host.split(".")):
        return parts.netloc, None
    port = f":{parts.port}" if parts.port else ""
    try:
        # UTS #46 processing, as browsers do before they look the name up.
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        unicode_host = idna.decode(ascii_host)
    except idna.IDNAError:
        # Not a valid international name (browsers refuse it too); spell it out all the same.
        unicode_host = host
        ascii_host = ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in host.split(".")
        )
    return ascii_host + port, (unicode_host + port if unicode_host != ascii_host else None)


def consent_context(*, seller, application: PartnerApp, scope_keys, redirect_uri: str) -> dict:
    shops = consent_shops(seller=seller, app=application)
    scope_groups = consent_scopes(seller=seller, app=application, scope_keys=scope_keys)
    redirect_host, redirect_host_unicode = redirect_host_forms(redirect_uri)
    return {
        "partner": application.partner,
        "redirect_host": redirect_host,
        "redirect_host_unicode": redirect_host_unicode,
        "scope_groups": scope_groups,
        # "New" only means something when the seller granted this app something before.
        "has_prior_consent": any(entry.authorization for entry in shops),
        "consent_shops": shops,
        "preselect_single_shop": len(shops) == 1,
        "durations": AUTHORIZATION_DURATION_DAYS,
        "default_duration": DEFAULT_AUTHORIZATION_DURATION_DAYS,
        "ticked_optional": None,  # None: every optional scope starts ticked
    }
