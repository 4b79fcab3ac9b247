"""The header's navigation per audience (console/navigation.py): a seller sees the seller
center, a partner the console, a reviewer Review; someone who is more than one sees a switch."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps_registry.selectors.roles import NO_ROLES, Roles, roles_for_user
from tests import factories
from tests.apps_registry.review_helpers import make_reviewer

pytestmark = pytest.mark.django_db


def _nav_links(html: str) -> list[str]:
    """The header's link and button texts, in order."""
    header = html[html.index('<header class="site-header">') : html.index("</header>")]
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r"<(?:a|button)\b[^>]*>(.*?)</(?:a|button)>", header, re.S)
    ]


def _seller():
    user = factories.UserFactory()
    factories.ShopFactory(owner=user)
    return user


def _partner(user=None):
    return factories.MembershipFactory(**({"user": user} if user else {})).user


@pytest.mark.parametrize(
    ("make_user", "expected", "query_count"),
    [
        (factories.UserFactory, NO_ROLES, 1),
        (_seller, Roles(is_seller=True, is_partner=False, is_reviewer=False, is_staff=False), 1),
        (_partner, Roles(is_seller=False, is_partner=True, is_reviewer=False, is_staff=False), 1),
        # Staff without the review permission (a catalog manager, say) work in the admin but
        # not the queue; the permission lookup is Django's (user, then group permissions).
        (
            lambda: factories.UserFactory(is_staff=True),
            Roles(is_seller=False, is_partner=False, is_reviewer=False, is_staff=True),
            3,
        ),
        (
            make_reviewer,
            Roles(is_seller=False, is_partner=False, is_reviewer=True, is_staff=True),
            3,
        ),
        (
            lambda: _partner(_seller()),
            Roles(is_seller=True, is_partner=True, is_reviewer=False, is_staff=False),
            1,
        ),
    ],
)
def test_roles_are_read_in_one_query_and_reviewers_by_their_permission(
    make_user, expected, query_count
):
    user = make_user()
    with CaptureQueriesContext(connection) as queries:
        roles = roles_for_user(user=user)

    assert roles == expected
    assert len(queries) == query_count


def test_an_anonymous_visitor_has_no_roles_and_costs_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert roles_for_user(user=AnonymousUser()) == NO_ROLES
    assert len(queries) == 0


@pytest.mark.parametrize("shops", [1, 5])
def test_the_header_costs_one_query_however_many_roles_and_shops(shops):
    user = _partner()
    for _ in range(shops):
        factories.ShopFactory(owner=user)
    request = RequestFactory().get("/seller/apps/")
    request.user = user

    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("_site_header.html", request=request)

    assert len(queries) == 1
    assert "Switch to partner console" in html


@pytest.mark.parametrize(
    ("make_user", "path", "expected"),
    [
        (
            _seller,
            "/seller/apps/",
            ["Seller center", "Connected apps", "Shops", "Account", "Sign out"],
        ),
        # A seller on a page of no area (account settings) still sees the seller center.
        (
            _seller,
            "/accounts/email/",
            ["Seller center", "Connected apps", "Shops", "Account", "Sign out"],
        ),
        (_partner, "/console/", ["Partner Console", "Console", "Scopes", "Account", "Sign out"]),
        (
            make_reviewer,
            "/scopes/",
            ["Partner Console", "Scopes", "Review", "Account", "Sign out"],
        ),
        (
            lambda: factories.UserFactory(is_staff=True),
            "/scopes/",
            ["Partner Console", "Scopes", "Admin", "Account", "Sign out"],
        ),
        (
            lambda: _partner(_seller()),
            "/seller/",
            [
                "Seller center",
                "Connected apps",
                "Shops",
                "Account",
                "Switch to partner console",
                "Sign out",
            ],
        ),
        (
            lambda: _partner(_seller()),
            "/console/",
            [
                "Partner Console",
                "Console",
                "Scopes",
                "Account",
                "Switch to seller center",
                "Sign out",
            ],
        ),
        # Signed up, nothing yet: a partner to onboard.
        (
            factories.UserFactory,
            "/scopes/",
            ["Partner Console", "Console", "Scopes", "Account", "Sign out"],
        ),
    ],
)
def test_each_audience_sees_its_own_area(client, make_user, path, expected):
    client.force_login(make_user())

    response = client.get(path)

    assert response.status_code == 200
    assert _nav_links(response.content.decode()) == expected


def test_the_area_one_is_in_is_marked_current(client):
    client.force_login(_seller())

    html = client.get("/seller/shops/").content.decode()

    assert '<a href="/seller/shops/" aria-current="page">Shops</a>' in html


def test_an_anonymous_visitor_can_sign_in_or_sign_up(client):
    html = client.get("/scopes/").content.decode()

    assert _nav_links(html) == ["Partner Console", "Scopes", "Sign in", "Sign up"]


def test_a_whole_page_reads_the_roles_once(client):
    user = _partner(_seller())
    client.force_login(user)

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/seller/shops/").status_code == 200

    role_reads = [q["sql"] for q in queries if "EXISTS" in q["sql"] and "membership" in q["sql"]]
    assert len(role_reads) == 1
