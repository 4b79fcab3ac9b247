"""DOT's request validator (OAUTH2_VALIDATOR_CLASS), extended where DOT's defaults fall short.

- invalid_scope names the scope and why it cannot be asked for;
- a replayed authorization code revokes the tokens it issued (RFC 6749 §4.1.2, docs/security.md B1),
  a failed redemption (wrong PKCE verifier or redirect URI) burns the code, and a code carries
  only what the seller still grants when it is redeemed;
- a refresh carries only scopes that are still available to the app *and* still granted by the
  seller, and dies with the seller's consent (docs/security.md §0.3, D4, D5); the refresh token is
  locked and read once, with its access token and seller, and rotated on that read;
- a deactivated seller's codes, refresh tokens and access tokens stop working (docs/security.md D6).
See ADR 0007 and ADR 0011.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import (
    get_grant_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from apps_registry.gate.usage import record_consent_use
from apps_registry.models import RedeemedAuthorizationCode
from apps_registry.selectors.authorizations import LiveConsent, live_consent
from apps_registry.selectors.availability import available_scope_keys, chosen_scope_keys
from apps_registry.selectors.tokens import token_checksum
from scopes.models import Scope

# RFC 7636 §4.2: 43–128 unreserved characters (S256 yields exactly 43); DOT stores up to 128.
CODE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def _locked_refresh_token(refresh_token: str):
    """The refresh token's row, locked, with its access token and seller: the live row if there
    is one, else the last revoked one (a checksum is unique only together with `revoked`). Only the
    refresh token's row is locked, so refreshes of other tokens of the seller or app never wait."""
    return (
        get_refresh_token_model()
        .objects.select_for_update(of=("self",))
        .select_related("access_token", "user")
        .filter(token_checksum=token_checksum(refresh_token))
        .order_by(F("revoked").desc(nulls_first=True))
        .first()
    )


def _verifier_matches(grant, verifier: str | None) -> bool:
    """RFC 7636 §4.6 with S256, the only method codes are issued with here (PKCE is required)."""
    return (
        grant.code_challenge_method == "S256"
        and bool(verifier)
        and code_challenge_method_s256(verifier, grant.code_challenge)
    )


class ConsoleOAuth2Validator(OAuth2Validator):
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """Refuse with `invalid_scope`, naming each scope the app may not ask for and why."""
        # oauthlib calls this right after settling the PKCE method (a missing one means "plain"),
        # so "plain" and a malformed challenge are refused here, before the consent page, and not
        # only when the code is saved (a challenge too long for its column would be a 500 there).
        if getattr(request, "code_challenge_method", None) == "plain":
            raise errors.InvalidRequestError(
                description='Unsupported "plain" code_challenge_method; use "S256".',
                request=request,
            )
        challenge = getattr(request, "code_challenge", None)
        if challenge is not None and not CODE_CHALLENGE.fullmatch(challenge):
            raise errors.InvalidRequestError(
                description="Malformed code_challenge: send BASE64URL(SHA256(code_verifier)), "
                "43 characters without padding.",
                request=request,
            )
        requested = set(scopes)
        if not requested:
            raise errors.InvalidScopeError(
                description="This app has not chosen any scopes to ask sellers for.",
                request=request,
            )
        available = available_scope_keys(app=client)
        chosen = chosen_scope_keys(app=client)
        if requested <= available & chosen:
            return True
        known = set(
            Scope.objects.filter(key__in=requested, is_active=True).values_list("key", flat=True)
        )
        problems = []
        for key in sorted(requested - (available & chosen)):
            if key not in known:
                problems.append(f"'{key}' is not a known scope")
            elif key not in available:
                problems.append(f"'{key}' is a Custom scope this app has no live approval for")
            else:
                problems.append(f"'{key}' is not chosen on this app's Manage API page")
        raise errors.InvalidScopeError(description="; ".join(problems) + ".", request=request)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        # RFC 6749 §4.1.3 requires redirect_uri at the token endpoint when the authorization
        # request had one; oauthlib would quietly fill in the registered default instead.
        confirmed = not getattr(request, "using_default_redirect_uri", False) and (
            super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, request, *args, **kwargs
            )
        )
        if not confirmed:
            get_grant_model().objects.filter(code=code, application=client).delete()
        return confirmed

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        # Lock the code's row (the token view runs in one transaction): a concurrent second
        # redemption waits, finds the code gone and is treated as the replay it is.
        grant = (
            get_grant_model().objects.select_for_update().filter(code=code, application=client)
        ).first()
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            self._revoke_tokens_of_replayed_code(code=code, client=client)
            return False
        # A failed redemption burns the code (the refusal commits with the token view's
        # transaction), so whoever holds a stolen code gets one guess at its verifier, not many.
        # oauthlib checks the verifier only after this hook and leaves the code usable.
        if not _verifier_matches(grant, getattr(request, "code_verifier", None)):
            grant.delete()
            raise errors.InvalidGrantError(
                description="The code_verifier is missing or does not match the code_challenge "
                "of this authorization code, so the code can no longer be used; start a new "
                "authorization.",
                request=request,
            )
        seller = request.user
        # Approvals and the seller's consent can be revoked between consent and redemption; the
        # code carries no more than what is still available and still granted.
        request.live_consent = live_consent(seller=seller, app=client)
        request.scopes = [
            key for key in request.scopes if key in request.live_consent.usable_scope_keys
        ]
        if not seller.is_active or not request.scopes:
            grant.delete()
            return False
        return True

    def _revoke_tokens_of_replayed_code(self, *, code: str, client) -> None:
        redeemed = RedeemedAuthorizationCode.objects.filter(
            code_checksum=token_checksum(code), app=client
        ).first()
        if redeemed is not None:
            get_refresh_token_model().revoke_family(redeemed.token_family)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """DOT's checks of a refresh token (as of 3.4.1) and the console's, on one locked read.

        The token view runs in one transaction, so the lock holds until the rotated pair is saved:
        two concurrent refreshes serialize, and the second sees the first one's rotation as reuse.
        """
        previous = _locked_refresh_token(refresh_token)
        if previous is None:
            return False
        if previous.revoked is not None:
            # Presenting a rotated or revoked refresh token is reuse: there is no grace period
            # (ADR 0007; with tokens stored hashed, DOT's check oauth2_provider.E001 forbids one).
            if oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION:
                get_refresh_token_model().revoke_family(previous.token_family)
            return False
        access_token = previous.access_token
        if access_token is None:
            # Orphaned: its access token was revoked without it (a family revocation racing a
            # rotation leaves the new refresh token so), and there is nothing left to refresh.
            return False
        idle_lifetime = refresh_token_expire_timedelta()
        if idle_lifetime and access_token.expires + idle_lifetime <= timezone.now():
            return False
        if previous.application_id != client.pk:
            return False
        seller = previous.user
        if not seller.is_active:
            return False
        # The refresh token never outlives the seller's consent (its chosen duration).
        consent = live_consent(seller=seller, app=client)
        if consent.ends_at is None:
            return False
        request.still_granted_scopes = sorted(
            set(access_token.scope.split()) & consent.usable_scope_keys
        )
        request.user = seller
        # The raw token, as DOT keeps it: the stored one is blank (tokens are stored hashed).
        request.refresh_token = refresh_token
        request.refresh_token_instance = previous
        request.live_consent = consent
        return bool(request.still_granted_scopes)

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        return request.still_granted_scopes

    def save_bearer_token(self, token, request, *args, **kwargs):
        # DOT opens a savepoint here; the token view already runs the request in one transaction,
        # which a failed save rolls back whole, so the save joins it (two statements fewer).
        with transaction.atomic(savepoint=False):
            return self._save_bearer_token(token, request, *args, **kwargs)

    def _save_bearer_token(self, token, request, *args, **kwargs):
        # DOT documents this hook for storing tokens.
        self._cap_lifetime_at_consent(token, request.live_consent)
        if request.grant_type == "refresh_token" and self.rotate_refresh_token(request):
            self._rotate_refresh_token(token, request)
        else:
            super()._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code" and token.get("refresh_token"):
            refresh = get_refresh_token_model().objects.get(
                token_checksum=token_checksum(token["refresh_token"]), revoked__isnull=True
            )
            RedeemedAuthorizationCode.objects.create(
                code_checksum=token_checksum(request.code),
                app=request.client,
                token_family=refresh.token_family,
            )
        if request.user is not None:
            # After the token view's transaction: a flush of the usage buffer inside it would
            # hold locks on other sellers' consents until it commits, and vanish on a rollback.
            app_id, seller_id = request.client.pk, request.user.pk
            transaction.on_commit(lambda: record_consent_use(app_id=app_id, seller_id=seller_id))

    def _rotate_refresh_token(self, token: dict, request) -> None:
        """What DOT's rotation does (RefreshToken.revoke, then a new pair in the same family), on
        the row validate_refresh_token locked and read, which DOT would lock and read twice more."""
        self._check_and_set_request_resource(request)  # RFC 8707: the previous token's resource
        previous = request.refresh_token_instance
        # Revoking (deleting) the access token also clears the refresh token's link to it.
        previous.access_token.revoke()
        now = timezone.now()
        get_refresh_token_model().objects.filter(pk=previous.pk).update(revoked=now, updated=now)
        expires = now + timedelta(seconds=token["expires_in"])
        access_token = self._create_access_token(
            expires, request, token, source_refresh_token=previous
        )
        self._create_refresh_token(request, token["refresh_token"], access_token, previous)

    @staticmethod
    def _cap_lifetime_at_consent(token: dict, consent: LiveConsent) -> None:
        """An access token never outlives the seller's chosen authorization duration: its
        `expires_in` (stored and returned) ends with the last of the seller's live consents,
        as validate_code or validate_refresh_token read them in this transaction."""
        if consent.ends_at is None:
            return
        remaining = int((consent.ends_at - timezone.now()).total_seconds())
        token["expires_in"] = max(0, min(token["expires_in"], remaining))

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if request.user is not None and not request.user.is_active:
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is invalid.",
            }
            return False
        return True
