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


def _seller_and_partner():
    seller = factories.ShopFactory().owner
    return factories.MembershipFactory(user=seller).user


def _reviewer_and_seller():
    reviewer = make_reviewer()
    factories.ShopFactory(owner=reviewer)
    return reviewer


@pytest.mark.parametrize(
    ("make_user", "landing", "header_area"),
    [
        (lambda: factories.MembershipFactory().user, "/console/", "partner"),
        (make_reviewer, "/admin/apps_registry/accessrequest/", "review"),
        # Staff without the review permission (a catalog manager) work in the admin too.
        (lambda: factories.UserFactory(is_staff=True), "/admin/", "review"),
        (lambda: factories.ShopFactory().owner, "/seller/", "seller"),
        (factories.UserFactory, "/console/", "partner"),
        (_seller_and_partner, "/console/", "partner"),
        (_reviewer_and_seller, "/admin/apps_registry/accessrequest/", "review"),
    ],
)
def test_where_one_lands_is_the_area_the_header_shows_on_a_page_of_none(
    client, make_user, landing, header_area
):
    user = make_user()

    assert sign_in(client, user) == landing
    assert client.get("/scopes/").context["site_nav"].area == header_area
