"""Who may be shown a client secret (ADR 0018): an owner of a partner organisation only after
proving a second factor (TOTP) recently; developers as before, with their password. The same holds
for an owner giving someone else that power (inviting a member, who may then rotate a secret):
otherwise a stolen owner password would reach the secrets through an invited mailbox.

Whether a session used its second factor recently is the web layer's to know (allauth records it
in the session); the caller says so as an `Assurance`, and the services that show a secret
(`apps.app_create`, `apps.app_rotate_secret`) or grant access to one (`partners.invitation_create`)
refuse when it is not enough. The console's pages ask `second_factor_need` first, to send the owner
to set up or confirm TOTP instead of refusing.
"""

from __future__ import annotations

from enum import StrEnum

from allauth.mfa.models import Authenticator

from apps_registry.error_codes import AppErrorCode
from apps_registry.models import Membership
from core.errors import PermissionRefusedError


class Assurance(StrEnum):
    """How the acting user proved who they are, as the caller knows it."""

    PASSWORD = "password"  # noqa: S105 - a signed-in session without a recent second factor
    RECENT_SECOND_FACTOR = "recent_second_factor"  # TOTP entered within the reauthentication time
    SERVER_OPERATOR = "server_operator"  # a management command: shell access outranks any factor


class SecondFactorNeed(StrEnum):
    SET_UP = "set_up"  # the owner has no TOTP authenticator yet
    CONFIRM = "confirm"  # the owner has one but did not use it recently


def second_factor_need(*, membership: Membership, assurance: Assurance) -> SecondFactorNeed | None:
    """What the member must still do before being shown a client secret; None when nothing."""
    if membership.role != Membership.Role.OWNER or assurance != Assurance.PASSWORD:
        return None
    has_totp = Authenticator.objects.filter(
        user_id=membership.user_id, type=Authenticator.Type.TOTP
    ).exists()
    return SecondFactorNeed.CONFIRM if has_totp else SecondFactorNeed.SET_UP


class SecretAccess(StrEnum):
    """What the owner is about to do, as the refusal names it."""

    SEE = "see a client secret"
    GRANT = "invite someone to the team (members can rotate client secrets)"


def secret_access_require(
    *, membership: Membership, assurance: Assurance, access: SecretAccess = SecretAccess.SEE
) -> None:
    """PermissionRefusedError unless the member may now be shown a client secret, or let someone
    else see one (`access`)."""
    match second_factor_need(membership=membership, assurance=assurance):
        case SecondFactorNeed.SET_UP:
            raise PermissionRefusedError(
                f"Owners must set up two-factor authentication before they can {access}. Set it "
                "up under Account, Two-factor authentication, then try again.",
                code=AppErrorCode.SECOND_FACTOR_NOT_SET_UP,
            )
        case SecondFactorNeed.CONFIRM:
            raise PermissionRefusedError(
                "Confirm it is you with your authenticator app's code, then try again: owners "
                f"can {access} only after using two-factor authentication in the last few "
                "minutes.",
                code=AppErrorCode.SECOND_FACTOR_NOT_RECENT,
            )
