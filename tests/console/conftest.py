"""Fixtures for the partner console's pages and API: a signed-in owner and their app."""

import pytest
from rest_framework.test import APIClient

from apps_registry.models import Membership, PartnerApp
from tests import factories
from tests.conftest import sign_in_with_mfa


@pytest.fixture
def member(client):
    """A signed-in owner of a partner organisation, with TOTP used at sign-in (owners see client
    secrets only so, ADR 0018)."""
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    sign_in_with_mfa(client, membership.user)
    return membership


@pytest.fixture
def app(member):
    return factories.PartnerAppFactory(partner=member.partner, status=PartnerApp.Status.DRAFT)


@pytest.fixture
def api(member):
    """The partner API as the owner, without CSRF enforcement (see `csrf_api` where it matters)."""
    client = APIClient()
    sign_in_with_mfa(client, member.user)
    return client
