"""Fixtures for the partner console's pages and API: a signed-in owner and their app."""

import pytest
from rest_framework.test import APIClient

from apps_registry.models import Membership, PartnerApp
from tests import factories


@pytest.fixture
def member(client):
    """A signed-in owner of a partner organisation."""
    membership = factories.MembershipFactory(role=Membership.Role.OWNER)
    client.force_login(membership.user)
    return membership


@pytest.fixture
def app(member):
    return factories.PartnerAppFactory(partner=member.partner, status=PartnerApp.Status.DRAFT)


@pytest.fixture
def api(member):
    """The partner API as the owner, without CSRF enforcement (see `csrf_api` where it matters)."""
    client = APIClient()
    client.force_login(member.user)
    return client
