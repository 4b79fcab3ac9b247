"""`/oauth/authorize/`: DOT's authorization endpoint with the seller's consent page (ADR 0007).

No consent skipping unless the seller's live authorizations already cover the request, and `iss`
on error redirects too (RFC 9207).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import DisallowedRedirect
from django.db import transaction
from django.urls import reverse
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView

from apps_registry.models import PartnerApp
from apps_registry.selectors.authorizations import active_authorizations
from apps_registry.services.authorizations import authorization_grant
from console.views.oauth.consent import SIGNED_FIELDS, ConsentForm, consent_context
from core.errors import DomainError


@dataclass(frozen=True)
class ConsentingAccount:
    """Who is consenting, as the page shows it: never the generated username."""

    name: str
    email: str
    switch_next: str  # where "Not you? Switch account" goes after signing out


def sign_in_url(*, next_url: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': next_url})}"


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
            context["consenting_account"] = ConsentingAccount(
                name=self.request.user.get_full_name(),
                email=self.request.user.email,
                switch_next=sign_in_url(next_url=self._request_url(context["form"])),
            )
        return context

    def _request_url(self, form) -> str:
        """This authorization request's URL, to resume it after signing in as someone else: the
        page's own URL, or after a POST (the page shown again with an error) the URL rebuilt
        from the request fields the form carries."""
        if self.request.method == "GET":
            return self.request.get_full_path()
        values = {name: form.data[name] for name in SIGNED_FIELDS if form.data.get(name)}
        return f"{reverse('oauth2_provider:authorize')}?{urlencode(values)}"

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
