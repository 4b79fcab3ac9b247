"""The authorization server's web endpoints: DOT's views, extended through their hooks (ADR 0007).

- ConsentView: DOT's AuthorizationView with the seller's consent page (shops, duration, optional
  scopes), a signed copy of the request so hidden fields cannot be tampered with, no consent
  skipping unless the seller's live authorizations already cover the request, and `iss` on error
  redirects too (RFC 9207);
- TokenView, RevokeTokenView: one transaction per request (refresh-token rotation serializes) and
  failed client authentication throttled per client address (ADR 0009);
- IntrospectView: RFC 7662 for resource servers (PartnerApp.can_introspect) only.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import (
    parse_qs,
    parse_qsl,
    unquote,
    unquote_plus,
    urlencode,
    urlsplit,
    urlunsplit,
)

import idna
from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import DisallowedRedirect
from django.db import transaction
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider.forms import AllowForm
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import (
    AuthorizationView,
    IntrospectTokenView,
)
from oauth2_provider.views import RevokeTokenView as DOTRevokeTokenView
from oauth2_provider.views import TokenView as DOTTokenView
from oauthlib.common import Request as OauthlibRequest

from apps_registry.errors import DomainError
from apps_registry.models import PartnerApp
from apps_registry.selectors.authorizations import (
    active_authorizations,
    consent_scopes,
    consent_shops,
    shops_for_seller,
)
from apps_registry.services.authorizations import (
    AUTHORIZATION_DURATION_DAYS,
    DEFAULT_AUTHORIZATION_DURATION_DAYS,
    authorization_grant,
)
from apps_registry.services.client_auth import client_auth_failure_record
from console.adapters import client_address

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


class _ConsentRequiredError(Exception):
    """DOT tried to approve without showing the page (skip_authorization or approval_prompt)."""


def with_issuer(url: str, request) -> str:
    """Add RFC 9207's `iss` to an authorization response URL (DOT adds it to successes only)."""
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key != "iss"
    ]
    query.append(("iss", oauth2_settings.oauth2_authorization_server_issuer(request)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def issued_code(url: str) -> bool:
    query = parse_qs(urlsplit(url).query)
    return "code" in query and "error" not in query


class ConsentView(AuthorizationView):
    """`/oauth/authorize/`: DOT's authorization endpoint with the seller's consent page."""

    form_class = ConsentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "seller": self.request.user}

    def handle_no_permission(self):
        # A signed-out seller is sent to the login page with the whole request in `next=`; past
        # Django's limit on redirect URLs that redirect cannot be built (DisallowedRedirect).
        try:
            return super().handle_no_permission()
        except DisallowedRedirect:
            return self.render_to_response(
                {
                    "error": {
                        "error": "invalid_request",
                        "description": "The link the app sent you here is too long for us to "
                        "sign you in and bring you back. Contact the app's developer and tell "
                        "them the authorization link is too long.",
                    }
                },
                status=400,
            )

    def get_initial(self):
        initial = super().get_initial()
        initial["request_token"] = ConsentForm.sign(seller=self.request.user, values=initial)
        return initial

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except _ConsentRequiredError:
            return self.render_to_response(self.get_context_data(**self.oauth2_data))

    def create_authorization_response(self, request, scopes, credentials, allow):
        # DOT's GET approves silently for skip_authorization apps and for approval_prompt=auto
        # with a live token. Partner apps never skip consent: only a live authorization that
        # already covers every requested scope on each of the seller's connected shops does.
        if request.method != "POST" and not self._existing_consent_covers(scopes.split()):
            raise _ConsentRequiredError
        return super().create_authorization_response(request, scopes, credentials, allow)

    def _existing_consent_covers(self, scope_keys: list[str]) -> bool:
        application = self.oauth2_data["application"]
        authorizations = list(
            active_authorizations(seller=self.request.user, app=application).prefetch_related(
                "scopes"
            )
        )
        return bool(authorizations) and all(
            set(scope_keys) <= {scope.key for scope in authorization.scopes.all()}
            for authorization in authorizations
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        if application is not None:
            context.update(
                consent_context(
                    seller=self.request.user,
                    application=application,
                    scope_keys=kwargs.get("scopes", []),
                    redirect_uri=kwargs.get("redirect_uri", ""),
                )
            )
        return context

    def form_valid(self, form):
        if not form.cleaned_data.get("allow"):
            return super().form_valid(form)  # DOT answers error=access_denied.
        try:
            with transaction.atomic():
                response = super().form_valid(form)
                if issued_code(response.get("Location", "")):
                    authorization_grant(
                        seller=self.request.user,
                        app=form.cleaned_data["app"],
                        shops=form.cleaned_data["shops"],
                        scope_keys=form.cleaned_data["scope"].split(),
                        duration_days=form.cleaned_data["duration_days"],
                        withdrawn_keys=form.cleaned_data["withdrawn_scopes"],
                    )
        except DomainError as error:
            return self.render_to_response(
                {"error": {"error": "access_denied", "description": str(error)}}, status=400
            )
        return response

    def form_invalid(self, form):
        if form.is_tampered or "app" not in form.cleaned_data:
            description = " ".join(form.non_field_errors()) or "The form was incomplete."
            return self.render_to_response(
                {"error": {"error": "invalid_request", "description": description}}, status=400
            )
        application = form.cleaned_data["app"]
        context = self.get_context_data(
            form=form,
            application=application,
            scopes=form.cleaned_data["requested_scopes"],
            redirect_uri=form.cleaned_data["redirect_uri"],
        )
        context["ticked_optional"] = set(form.data.getlist("optional_scopes"))
        return self.render_to_response(context, status=400)

    def error_response(self, error, application, **kwargs):
        client_id = getattr(error.oauthlib_error, "client_id", None)
        if application is None and client_id:
            # A non-fatal error redirects to the (already validated) redirect URI, whose scheme
            # check needs the app: loopback apps may use http.
            application = PartnerApp.objects.filter(client_id=client_id).first()
        response = super().error_response(error, application, **kwargs)
        if response.has_header("Location"):
            response["Location"] = with_issuer(response["Location"], self.request)
        return response


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


def _basic_credentials(request) -> tuple[str, str] | None:
    """The client_id and client_secret of an `Authorization: Basic` header, None without one.

    The throttle counts a failure against the client_id read here, so DOT must not read another:
    DOT's decoder skips characters outside the base64 alphabet, and would authenticate a client
    this function could not name. Anything but strict base64 of UTF-8 "client_id:client_secret"
    (each form-urlencoded, RFC 6749 §2.3.1) raises ValueError, and is refused before DOT runs.
    The scheme is case-insensitive (RFC 9110 §11.1); DOT reads only "Basic" and ignores a
    "basic" header, whose client_id is then counted here without DOT trying it: over, not under."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except ValueError as error:  # binascii.Error, UnicodeDecodeError, a non-ASCII header
        raise ValueError("not base64 of UTF-8 text") from error
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise ValueError("no colon between the client_id and the client_secret")
    return unquote_plus(client_id), unquote_plus(client_secret)


def _claimed_client_ids(request) -> set[str]:
    """Every client_id a request claims. DOT falls back to the body client_id when Basic auth
    fails, so a failure counts against the Basic and the body client_id alike. Only for requests
    RefuseMalformedRequestMixin let through: their Basic credentials are well-formed."""
    basic_client_id, _ = _basic_credentials(request) or ("", "")
    return {request.POST.get("client_id", ""), basic_client_id} - {""}


def _failure_key(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"oauth:client-auth-failures:{digest}"


def _count_failure(key: str, window: int) -> None:
    """Atomic in the shared cache (Redis INCR): concurrent guesses cannot lose a count."""
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)


def _malformed_request(request) -> str | None:
    """Why the request is malformed (RFC 6749 §5.2, invalid_request), or None."""
    try:
        basic = _basic_credentials(request)
    except ValueError:
        return (
            "The Authorization header is not valid Basic credentials. Send “Basic ” followed by "
            "the base64 of client_id:client_secret, each form-urlencoded."
        )
    values = [value for _, values in request.POST.lists() for value in values]
    if any("\x00" in value for value in [*values, *(basic or ())]):
        # PostgreSQL refuses NUL in a query: such a client_id, code or token would be a 500.
        return "A parameter contains a NUL character; remove it."
    if basic is not None and "client_secret" in request.POST:
        # RFC 6749 §2.3: one authentication method per request. DOT tries Basic and, when it
        # fails, silently authenticates the body's client instead: a guessed secret for one
        # client beside another client's real credentials would never be a counted failure,
        # and DOT answers differently when the guess is right.
        return (
            "The request carries client credentials both in the Authorization header and in "
            "the body. Authenticate one way only: HTTP Basic (preferred) or client_id and "
            "client_secret in the body."
        )
    return None


class RefuseMalformedRequestMixin:
    """Refuse a malformed request with 400 invalid_request before it counts as a failed client
    authentication and before DOT reads it: Basic credentials that are not strictly what RFC
    6749 §2.3.1 says, a NUL in a parameter or in the Basic credentials, or client credentials
    sent two ways at once (ADR 0009)."""

    def dispatch(self, request, *args, **kwargs):
        problem = _malformed_request(request)
        if problem is not None:
            return _oauth_error(400, "invalid_request", problem)
        return super().dispatch(request, *args, **kwargs)


class ClientAuthThrottleMixin:
    """Throttle failed client authentications (RFC 6749 §2.3.1: protect against brute force)
    by where they come from, never by client_id alone: per (client_id, client address), and per
    address whatever the client_id. A throttled address gets 429 with Retry-After; the app with
    its right secret keeps working from every other address (ADR 0009). Each failure is also
    counted for the app's owner to see on the app page."""

    def dispatch(self, request, *args, **kwargs):
        address = client_address(request)
        client_ids = _claimed_client_ids(request)
        address_key = _failure_key("address", address)
        pair_keys = [_failure_key("client", client_id, address) for client_id in client_ids]
        window = settings.OAUTH_CLIENT_AUTH_FAILURE_WINDOW_SECONDS
        counts = cache.get_many([address_key, *pair_keys])
        if counts.get(address_key, 0) >= settings.OAUTH_CLIENT_AUTH_FAILURE_ADDRESS_LIMIT or any(
            counts.get(key, 0) >= settings.OAUTH_CLIENT_AUTH_FAILURE_LIMIT for key in pair_keys
        ):
            return _too_many_failures(window)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 401:
            for key in (address_key, *pair_keys):
                _count_failure(key, window)
            client_auth_failure_record(client_ids=client_ids, address=address)
        return response


def _too_many_failures(window: int) -> JsonResponse:
    response = _oauth_error(
        429,
        "invalid_client",
        "Too many failed client authentications from your address. "
        f"Check the client credentials, then try again in {window} seconds.",
    )
    response["Retry-After"] = str(window)
    return response


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    """An RFC 6749 §5.2 error body, never stored: token-endpoint answers are not (§5.1), nor
    are those of the revocation and introspection endpoints, which take the same credentials."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(RefuseMalformedRequestMixin, ClientAuthThrottleMixin, DOTTokenView):
    def post(self, request, *args, **kwargs):
        # One transaction: the refresh token row locked in validation stays locked until the
        # rotated pair is saved, and a replayed code's revocation commits with the refusal.
        with transaction.atomic():
            return super().post(request, *args, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(RefuseMalformedRequestMixin, ClientAuthThrottleMixin, DOTRevokeTokenView):
    pass


class _ResourceServerIntrospection(IntrospectTokenView):
    """RFC 7662 for resource servers only: the caller authenticates as a client with
    `can_introspect`; bearer tokens and partner apps are refused (security.md §0.4, F2)."""

    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and request.GET:
            # As DOT's token and revocation endpoints do: credentials must not travel in URLs.
            return _oauth_error(
                400,
                "invalid_request",
                "URL query parameters are not allowed; send the client credentials and the "
                "token in the POST body.",
            )
        client = self._authenticated_client(request)
        if client is None:
            response = _oauth_error(401, "invalid_client", "Client authentication failed.")
            response["WWW-Authenticate"] = 'Basic realm="introspection"'
            return response
        if not client.can_introspect:
            return _oauth_error(
                403, "unauthorized_client", "Only resource servers may introspect tokens."
            )
        response = View.dispatch(self, request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def _authenticated_client(self, request) -> PartnerApp | None:
        core = get_oauthlib_core()
        oauthlib_request = OauthlibRequest(*core._extract_params(request))
        validator: OAuth2Validator = core.server.request_validator
        if not validator.authenticate_client(oauthlib_request):
            return None
        return oauthlib_request.client


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(
    RefuseMalformedRequestMixin, ClientAuthThrottleMixin, _ResourceServerIntrospection
):
    pass
