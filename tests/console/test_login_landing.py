"""Where people land after signing in: each role on the page where its work is."""

import pytest
from allauth.account.models import EmailAddress

from tests import factories
from tests.apps_registry.review_helpers import make_reviewer

pytestmark = pytest.mark.django_db


def sign_in(client, user) -> str:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(
        "/accounts/login/", {"login": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    return response["Location"]


def test_a_partner_member_lands_on_the_console(client):
    member = factories.MembershipFactory().user

    assert sign_in(client, member) == "/console/"


def test_a_reviewer_lands_on_the_review_queue(client):
    assert sign_in(client, make_reviewer()) == "/admin/apps_registry/accessrequest/"


def test_a_seller_lands_in_the_seller_center(client):
    seller = factories.ShopFactory().owner

    assert sign_in(client, seller) == "/seller/"


def test_someone_new_lands_on_the_console_to_create_their_organisation(client):
    assert sign_in(client, factories.UserFactory()) == "/console/"


def test_an_explicit_next_still_wins(client):
    seller = factories.ShopFactory().owner
    EmailAddress.objects.create(user=seller, email=seller.email, verified=True, primary=True)

    response = client.post(
        "/accounts/login/?next=/scopes/",
        {"login": seller.email, "password": factories.PASSWORD, "next": "/scopes/"},
    )

    assert response["Location"] == "/scopes/"
