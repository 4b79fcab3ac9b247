"""Malformed input gets a 4xx with a message, never a 500: ids too large for the database,
deeply nested JSON, undecodable bodies, huge page sizes and NUL characters."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from rest_framework.test import APIClient

from apps_registry.models import AccessRequest, PartnerApp
from console.urls.converters import MAX_ID, IdConverter
from tests import factories

pytestmark = pytest.mark.django_db

TOO_LARGE = str(MAX_ID + 1)
NESTED_5000_DEEP = "[" * 5000 + "]" * 5000
NESTED_TOO_DEEPLY = (
    "JSON parse error - the body is nested too deeply. "
    "Send the fields this endpoint documents, without deeply nested arrays or objects."
)
NUL_IN_QUERY = (
    "The address contains a NUL character (%00), which no parameter accepts. "
    "Remove it and try again."
)
SEARCH_TOO_LONG = "The search is longer than 1000 characters. Shorten it and try again."


def _converters(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        for converter in entry.pattern.converters.values():
            yield route, converter
        if isinstance(entry, URLResolver):
            yield from _converters(entry, route)
        else:
            assert isinstance(entry, URLPattern)


def test_every_integer_in_a_url_is_a_bounded_id():
    unbounded = [
        route
        for route, converter in _converters(get_resolver())
        if isinstance(converter, IntConverter) and not isinstance(converter, IdConverter)
    ]

    assert unbounded == []


@pytest.mark.parametrize(
    "url",
    [
        f"/console/apps/{TOO_LARGE}/",
        f"/console/apps/{TOO_LARGE}/api/",
        f"/console/requests/{TOO_LARGE}/",
        f"/api/v1/apps/{TOO_LARGE}/",
        f"/api/v1/apps/{TOO_LARGE}/scopes/",
        f"/api/v1/requests/{TOO_LARGE}/",
        f"/api/v1/apps/{MAX_ID}/",
    ],
)
def test_an_id_larger_than_any_row_is_not_found(client, member, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/console/apps/{TOO_LARGE}/rotate-secret/",
        f"/console/apps/{TOO_LARGE}/publish/",
        f"/console/requests/{TOO_LARGE}/withdraw/",
        f"/console/team/members/{TOO_LARGE}/remove/",
        f"/console/team/invitations/{TOO_LARGE}/revoke/",
    ],
)
def test_posting_to_an_id_larger_than_any_row_is_not_found(client, member, app, url):
    assert client.post(url).status_code == 404
    assert PartnerApp.objects.get().secret_rotated_at == app.secret_rotated_at


@pytest.mark.parametrize("url", ["/api/v1/apps/", "/api/v1/requests/"])
def test_deeply_nested_json_is_a_400_that_says_so(api, url):
    response = api.generic("POST", url, NESTED_5000_DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "message": NESTED_TOO_DEEPLY, "fields": {}}
    assert not PartnerApp.objects.exists()
    assert not AccessRequest.objects.exists()


def test_a_body_that_is_not_utf8_is_a_400_that_says_so(api):
    response = api.generic(
        "POST", "/api/v1/apps/", b'{"name": "\xff"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 10: "
        "invalid start byte",
        "fields": {},
    }
    assert not PartnerApp.objects.exists()


def test_a_huge_limit_or_offset_is_a_400_naming_the_parameter(api, member):
    # Unbounded, these reached the database and overflowed it (a 500 on SQLite and PostgreSQL).
    huge = "9" * 30

    apps = api.get(f"/api/v1/apps/?limit={huge}")
    scopes = api.get(f"/api/v1/scopes/?limit={huge}")
    # The partner lists page by cursor (ADR 0022); the catalog still takes an offset.
    past_the_end = api.get(f"/api/v1/scopes/?offset={huge}")

    assert (apps.status_code, apps.json()) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {"limit": ["Ensure this value is less than or equal to 1000."]},
        },
    )
    assert (scopes.status_code, scopes.json()) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {"limit": ["Ensure this value is less than or equal to 1000."]},
        },
    )
    assert (past_the_end.status_code, past_the_end.json()) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {"offset": ["Ensure this value is less than or equal to 2147483647."]},
        },
    )


def test_nul_in_an_api_query_is_a_400_that_says_so(api, member):
    response = api.get("/api/v1/scopes/?group=a%00b")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": NUL_IN_QUERY,
        "fields": {"group": [NUL_IN_QUERY]},
    }


def test_an_over_long_api_search_is_a_400_that_names_the_parameter(api, member):
    response = api.get("/api/v1/scopes/", {"q": "a" * 1001})

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": SEARCH_TOO_LONG,
        "fields": {"q": [SEARCH_TOO_LONG]},
    }


@pytest.mark.parametrize(
    "url",
    [
        "/admin/apps_registry/accessrequest/?status=in_review%00",
        "/admin/apps_registry/accessrequest/?scope_group=Shop%00",
        "/oauth/authorize/?client_id=a%00&response_type=code",
        "/scopes/?q%00=x",
    ],
)
def test_nul_in_a_page_query_is_a_400_that_says_so(mfa_admin_client, url):
    response = mfa_admin_client.get(url)

    assert response.status_code == 400
    assert response.content.decode() == NUL_IN_QUERY


@pytest.mark.parametrize(("parameter", "value"), [("q", "product\x00"), ("group", "Product\x00")])
def test_manage_api_filters_with_a_nul_character_are_a_400(client, app, parameter, value):
    response = client.get(f"/console/apps/{app.pk}/api/", {parameter: value})

    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.text


def test_app_scopes_api_search_with_a_nul_character_is_a_400(api, app):
    response = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": "product\x00"})

    assert response.status_code == 400
    assert "contains a NUL character (%00)" in response.json()["message"]


@pytest.mark.postgres
def test_applying_for_a_scope_key_with_a_nul_character_is_a_404(client, app):
    response = client.get(f"/console/apps/{app.pk}/api/seller.x%00/apply/")

    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["/scopes/seller.x%00/", "/api/v1/scopes/seller.x%00/"])
def test_a_scope_key_with_a_nul_character_is_a_404(client, path):
    factories.ScopeFactory(key="seller.x")

    response = client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/admin/apps_registry/accessrequest/?q=",
        "/admin/apps_registry/partnerapp/?q=",
        "/admin/scopes/scope/?q=",
        "/scopes/?q=",
    ],
)
def test_a_search_too_long_to_be_real_is_a_400_that_says_so(mfa_admin_client, url):
    # 60,000 characters: SQLite's LIKE refused the admin's search ("pattern too complex"), a 500.
    response = mfa_admin_client.get(url + "a" * 60_000)

    assert response.status_code == 400
    assert response.content.decode() == SEARCH_TOO_LONG


def test_a_search_of_the_longest_allowed_length_is_answered(mfa_admin_client):
    response = mfa_admin_client.get("/admin/apps_registry/accessrequest/?q=" + "a" * 1000)

    assert response.status_code == 200


@pytest.fixture
def api(member):
    client = APIClient(raise_request_exception=False)
    client.force_login(member.user)
    return client
