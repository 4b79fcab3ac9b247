from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import Invitation
from apps_registry.selectors.partners import pending_invitations_for_partner
from tests import factories

pytestmark = pytest.mark.django_db


def _invitation(partner, email, **fields) -> Invitation:
    fields.setdefault("expires_at", timezone.now() + timedelta(days=7))
    return Invitation.objects.create(
        partner=partner,
        email=email,
        token_hash=f"hash-{email}",
        invited_by=factories.UserFactory(),
        **fields,
    )


def test_pending_means_neither_accepted_nor_revoked_even_when_expired():
    partner = factories.PartnerFactory()
    open_one = _invitation(partner, "open@example.com")
    expired = _invitation(
        partner, "expired@example.com", expires_at=timezone.now() - timedelta(days=1)
    )
    accepted = _invitation(partner, "accepted@example.com", accepted_at=timezone.now())
    revoked = _invitation(partner, "revoked@example.com", revoked_at=timezone.now())
    _invitation(factories.PartnerFactory(), "elsewhere@example.com")

    assert set(pending_invitations_for_partner(partner=partner)) == {open_one, expired}
    assert [invitation.is_pending for invitation in (open_one, expired, accepted, revoked)] == [
        True,
        True,
        False,
        False,
    ]
