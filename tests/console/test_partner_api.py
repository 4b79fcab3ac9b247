"""Partner API: owner-scoped (404 for others), session-authenticated with CSRF on writes."""

from __future__ import annotations

import base64
import json
import math
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from rest_framework.test import APIClient

from apps_registry.models import AccessRequest, PartnerApp, ReviewEvent
from console.keyset import InvalidCursorError
from tests import factories
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

ANSWERS = {
    "data_usage": "We show buyer conversations in our help desk.",
    "justification": "Only this scope exposes conversations.",
    "endpoints": [factories.CONVERSATIONS_ENDPOINT],
    "data_protection": "Encrypted at rest, deleted after 90 days.",
}
NEW_APP = {
    "name": "Helpdesk Sync",
    "category": "customer_service",
    "privacy_policy_url": "https://app.example.com/privacy",
    "redirect_uris": ["https://app.example.com/callback"],
}
INVALID_CURSOR = str(InvalidCursorError())
OFFSET_REFUSED = (
    "This list pages by `cursor`: follow the `next` link of each page until it is null."
)
MIDNIGHT = "2026-01-01T00:00:00+00:00"
REVIEWER_EMAIL = "alice.reviewer@platform.example"


@pytest.fixture
def csrf_api(member):
    """A browser-like session client: writes need the CSRF token."""
    client = APIClient(enforce_csrf_checks=True)
    sign_in_with_mfa(client, member.user)
    return client


def test_anonymous_requests_are_refused():
    client = APIClient()

    assert client.get("/api/v1/apps/").status_code == 403
    assert client.post("/api/v1/apps/", NEW_APP, format="json").status_code == 403
    assert client.get("/api/v1/requests/").status_code == 403
    assert not PartnerApp.objects.exists()


def test_apps_list_and_detail_are_owner_scoped(api, member):
    mine = factories.PartnerAppFactory(partner=member.partner)
    theirs = factories.PartnerAppFactory()
    factories.AppScopeFactory(app=mine, scope=factories.ScopeFactory(key="seller.a"))

    listing = api.get("/api/v1/apps/").json()

    assert [app["id"] for app in listing["results"]] == [mine.pk]
    detail = api.get(f"/api/v1/apps/{mine.pk}/").json()
    assert detail["client_id"] == mine.client_id
    assert detail["redirect_uris"] == ["https://app.example.com/callback"]
    assert detail["requested_scopes"] == [{"scope": "seller.a", "is_required": True}]
    assert "client_secret" not in detail
    assert api.get(f"/api/v1/apps/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/apps/{theirs.pk}/scopes/").status_code == 404


def test_create_app_returns_the_secret_once(api, member):
    response = api.post("/api/v1/apps/", NEW_APP, format="json")

    assert response.status_code == 201
    body = response.json()
    app = PartnerApp.objects.get(pk=body["id"])
    assert app.partner == member.partner
    assert app.status == "draft"
    assert check_password(body["client_secret"], app.client_secret)
    assert body["secret_hint"] == body["client_secret"][-4:]
    assert "client_secret" not in api.get(f"/api/v1/apps/{app.pk}/").json()


def test_partners_cannot_set_oauth_internals_through_the_api(api):
    response = api.post(
        "/api/v1/apps/",
        {
            **NEW_APP,
            "skip_authorization": True,
            "client_type": "public",
            "authorization_grant_type": "client-credentials",
            "status": "live",
            "partner": 999,
        },
        format="json",
    )

    app = PartnerApp.objects.get(pk=response.json()["id"])
    assert (app.skip_authorization, app.client_type, app.authorization_grant_type, app.status) == (
        False,
        "confidential",
        "authorization-code",
        "draft",
    )


def test_create_app_with_a_bad_redirect_uri_is_a_400_with_the_reason(api):
    response = api.post(
        "/api/v1/apps/", {**NEW_APP, "redirect_uris": ["https://*.example.com/cb"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    [message] = response.json()["fields"]["redirect_uris.0"]
    assert "wildcard" in message
    assert not PartnerApp.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "This field may not be blank."),
        ("name", 42, "Not a valid string."),
        ("description", 0, "Not a valid string."),
        ("homepage_url", "http://app.example.com", "Enter a full https address"),
        ("homepage_url", "https://app.example.com/a%r", "Enter a full https address"),
        ("redirect_uris", ["HTTPS://app.example.com/cb"], "Write the URI as https://host"),
        (
            "redirect_uris",
            ["https://аpple.com/cb"],
            "“https://аpple.com/cb” has characters outside",
        ),
    ],
)
def test_create_app_refuses_what_its_schema_refuses(api, field, value, message):
    response = api.post("/api/v1/apps/", {**NEW_APP, field: value}, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    first = fields[f"{field}.0"][0] if field == "redirect_uris" else fields[field][0]
    assert first.startswith(message)
    assert not PartnerApp.objects.exists()


def test_create_app_takes_an_international_domain_in_its_xn_form(api):
    url = "https://shop.xn--p1ai/privacy"

    response = api.post("/api/v1/apps/", {**NEW_APP, "privacy_policy_url": url}, format="json")

    assert response.status_code == 201
    assert PartnerApp.objects.get().privacy_policy_url == url


def test_duplicate_redirect_uris_from_the_api_are_registered_once(api):
    response = api.post(
        "/api/v1/apps/",
        {
            "name": "Helpdesk Sync",
            "redirect_uris": [
                "https://app.example.com/callback",
                "https://app.example.com/callback",
            ],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["redirect_uris"] == ["https://app.example.com/callback"]
    assert PartnerApp.objects.get().redirect_uris == "https://app.example.com/callback"


def test_create_app_accepts_a_form_body_no_more(csrf_api):
    csrf_api.get("/console/")  # sets the CSRF cookie
    response = csrf_api.post(
        "/api/v1/apps/",
        {**NEW_APP, "redirect_uris": NEW_APP["redirect_uris"][0]},
        HTTP_X_CSRFTOKEN=csrf_api.cookies["csrftoken"].value,
    )

    assert response.status_code == 415
    assert not PartnerApp.objects.exists()


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _cursor(*parts) -> str:
    return _encoded(json.dumps(list(parts)))


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"cursor": "not a cursor"}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", [MIDNIGHT])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("sideways", [MIDNIGHT, 1])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", ["yesterday", 1])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", [MIDNIGHT, 2**63])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", [None, 1])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _encoded(f'["next",["{MIDNIGHT}",1e400]]')}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", [MIDNIGHT, math.inf])}, {"cursor": [INVALID_CURSOR]}),
        ({"cursor": _cursor("next", [MIDNIGHT, math.nan])}, {"cursor": [INVALID_CURSOR]}),
        ({"limit": "0"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"offset": "20"}, {"offset": [OFFSET_REFUSED]}),
        ({"offset": "0", "limit": "5"}, {"offset": [OFFSET_REFUSED]}),
        ({"limit": "1001"}, {"limit": ["Ensure this value is less than or equal to 1000."]}),
    ],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/api/v1/apps/", "/api/v1/requests/"])
def test_lists_refuse_a_malformed_page_with_400(api, path, query, errors):
    response = api.get(path, query)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Invalid input.", "fields": errors}


def test_lists_page_by_cursor_both_ways_without_repeating_or_skipping_ties(api, member):
    created = timezone.now()
    apps = [factories.PartnerAppFactory(partner=member.partner) for _ in range(5)]
    # Two pairs share their creation time: only the id tells them apart.
    PartnerApp.objects.filter(pk__in=[apps[0].pk, apps[1].pk]).update(created=created)
    PartnerApp.objects.filter(pk__in=[apps[2].pk, apps[3].pk]).update(created=created)
    newest_first = [app.pk for app in reversed(apps)]

    first = api.get("/api/v1/apps/", {"limit": "2"}).json()
    second = api.get(first["next"]).json()
    last = api.get(second["next"]).json()
    back = api.get(last["previous"]).json()

    assert [[app["id"] for app in page["results"]] for page in (first, second, last)] == [
        newest_first[:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    assert first["previous"] is None
    assert last["next"] is None
    assert [app["id"] for app in back["results"]] == newest_first[2:4]
    assert api.get(back["previous"]).json()["previous"] is None
    assert "count" not in first
    next_url = urlsplit(first["next"])
    assert next_url.path == "/api/v1/apps/"
    assert sorted(parse_qs(next_url.query)) == ["cursor", "limit"]  # the page size is kept


@pytest.mark.parametrize("count", [1, 8])
def test_partner_api_lists_do_not_grow_with_data(api, member, count, django_assert_num_queries):
    factories.add_partner_apps_and_members(member, count)

    with django_assert_num_queries(5):
        assert api.get("/api/v1/apps/").status_code == 200
    with django_assert_num_queries(3):  # the session, the user, the page of applications
        assert api.get("/api/v1/requests/").status_code == 200


def test_app_scopes_search_longer_than_200_characters_is_a_400(api, app):
    response = api.get(f"/api/v1/apps/{app.pk}/scopes/", {"q": "x" * 201})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "q": ["Ensure this field has no more than 200 characters."]
    }


def test_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/v1/apps/not-a-number/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_create_app_without_an_organisation_is_a_400():
    client = APIClient()
    client.force_login(factories.UserFactory())

    response = client.post("/api/v1/apps/", NEW_APP, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "no_organisation",
        "message": "Create your organisation in the console first.",
        "fields": {},
    }
    assert not PartnerApp.objects.exists()


def test_session_writes_need_the_csrf_token(csrf_api):
    refused = csrf_api.post("/api/v1/apps/", NEW_APP, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["message"]
    assert not PartnerApp.objects.exists()

    csrf_api.get("/console/")  # a console page with a form sets the CSRF cookie
    token = csrf_api.cookies["csrftoken"].value
    accepted = csrf_api.post("/api/v1/apps/", NEW_APP, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_scopes_of_an_app_with_statuses(api, member):
    app = factories.PartnerAppFactory(partner=member.partner)
    factories.ScopeFactory(key="seller.product.basic", group="Product")
    custom = factories.CustomScopeFactory(key="seller.customer_service")
    factories.AccessRequestFactory(
        app=app, scope=custom, status="rejected", decision_reason="Too broad."
    )

    rows = {row["key"]: row for row in api.get(f"/api/v1/apps/{app.pk}/scopes/").json()}

    assert rows["seller.product.basic"]["status"] == "available"
    assert rows["seller.customer_service"]["status"] == "rejected"
    assert rows["seller.customer_service"]["reason"] == "Too broad."
    assert rows["seller.customer_service"]["requested"] is None


def test_submit_an_application_and_read_it_with_its_events(api, member):
    app = factories.PartnerAppFactory(partner=member.partner)
    factories.conversations_endpoint(factories.CustomScopeFactory(key="seller.customer_service"))

    response = api.post(
        "/api/v1/requests/",
        {"app_id": app.pk, "scope": "seller.customer_service", **ANSWERS},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted"
    assert [event["action"] for event in body["events"]] == ["submit"]
    assert body["expected_decision_date"] is not None
    detail = api.get(f"/api/v1/requests/{body['id']}/").json()
    assert detail["events"][0]["to_status"] == "submitted"
    listing = api.get("/api/v1/requests/").json()
    assert [row["id"] for row in listing["results"]] == [body["id"]]


def test_the_request_api_does_not_name_reviewers(api, member):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner),
        status=AccessRequest.Status.IN_REVIEW,
    )
    ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.ASSIGN,
        from_status="in_review",
        to_status="in_review",
        details={"previous_reviewer": REVIEWER_EMAIL},
    )

    response = api.get(f"/api/v1/requests/{access_request.pk}/")

    assert response.status_code == 200
    assert REVIEWER_EMAIL not in response.text
    assert response.json()["events"] == []  # taking the application is an internal step


def test_the_request_api_keeps_the_reviewers_field_comments(api, member):
    access_request = factories.AccessRequestFactory(
        app=factories.PartnerAppFactory(partner=member.partner),
        status=AccessRequest.Status.CHANGES_REQUESTED,
    )
    ReviewEvent.objects.create(
        request=access_request,
        action=ReviewEvent.Action.REQUEST_CHANGES,
        from_status="in_review",
        to_status="changes_requested",
        comment="Say how long you keep messages.",
        details={"field_comments": {"data_protection": "How long?"}},
    )

    response = api.get(f"/api/v1/requests/{access_request.pk}/")

    assert response.json()["events"][0]["details"] == {
        "field_comments": {"data_protection": "How long?"}
    }


def test_submitting_for_another_partners_app_is_404_and_creates_nothing(api):
    theirs = factories.PartnerAppFactory()
    factories.CustomScopeFactory(key="seller.customer_service")

    response = api.post(
        "/api/v1/requests/",
        {"app_id": theirs.pk, "scope": "seller.customer_service", **ANSWERS},
        format="json",
    )

    assert response.status_code == 404
    assert not AccessRequest.objects.exists()


def test_a_duplicate_application_is_a_409_with_the_reason(api, member):
    app = factories.PartnerAppFactory(partner=member.partner)
    scope = factories.CustomScopeFactory(key="seller.customer_service")
    factories.conversations_endpoint(scope)
    factories.AccessRequestFactory(app=app, scope=scope)

    response = api.post(
        "/api/v1/requests/",
        {"app_id": app.pk, "scope": scope.key, **ANSWERS},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "application_already_open"
    assert "already has an open application" in response.json()["message"]
    assert AccessRequest.objects.count() == 1
    assert not ReviewEvent.objects.exists()


# --- The endpoints an application chooses ------------------------------------------------------

MESSAGES_PATH = "/customer_service/202309/conversations/{conversation_id}/messages"
SEND_ENDPOINTS = (
    'List the scope\'s endpoints your app will call, "METHOD /path" each, e.g. '
    '["GET /customer_service/202309/conversations"]; GET /api/v1/scopes/<key>/ lists them.'
)


@pytest.fixture
def customer_service(member):
    """The partner's app and the Custom scope it applies for, with two endpoints."""
    scope = factories.CustomScopeFactory(key="seller.customer_service")
    factories.conversations_endpoint(scope)
    factories.EndpointFactory(method="POST", path=MESSAGES_PATH, scopes=[scope])
    return factories.PartnerAppFactory(partner=member.partner), scope


def apply(api, app, **changes):
    return api.post(
        "/api/v1/requests/",
        {"app_id": app.pk, "scope": "seller.customer_service", **ANSWERS, **changes},
        format="json",
    )


def test_apply_with_the_scopes_endpoints_stores_them_as_chosen(api, customer_service):
    app, _ = customer_service

    response = apply(
        api, app, endpoints=[f"POST {MESSAGES_PATH}", factories.CONVERSATIONS_ENDPOINT]
    )

    assert response.status_code == 201
    access_request = AccessRequest.objects.get()
    body = response.json()
    timestamps = {"submitted_at", "updated_at", "decided_at", "approval_expires_at"}
    assert {name: value for name, value in body.items() if name not in timestamps} == {
        "id": access_request.pk,
        "app_id": app.pk,
        "scope": "seller.customer_service",
        "status": "submitted",
        "data_usage": ANSWERS["data_usage"],
        "justification": ANSWERS["justification"],
        "endpoints_used": f"{factories.CONVERSATIONS_ENDPOINT}\nPOST {MESSAGES_PATH}",
        "data_protection": ANSWERS["data_protection"],
        "demo_url": "",
        "chosen_endpoints": [
            {"method": "GET", "path": "/customer_service/202309/conversations"},
            {"method": "POST", "path": MESSAGES_PATH},
        ],
        "decision_reason": "",
        "expected_decision_date": body["expected_decision_date"],
        "events": [
            {
                "action": "submit",
                "from_status": "",
                "to_status": "submitted",
                "comment": "",
                "details": {},
                "created_at": body["events"][0]["created_at"],
            }
        ],
    }
    assert (body["decided_at"], body["approval_expires_at"]) == (None, None)
    assert access_request.chosen_endpoints == body["chosen_endpoints"]
    listed = api.get("/api/v1/requests/").json()["results"][0]
    assert listed["chosen_endpoints"] == body["chosen_endpoints"]


def test_an_endpoint_of_another_scope_is_a_400_on_endpoints_and_creates_nothing(
    api, customer_service
):
    app, _ = customer_service
    factories.EndpointFactory(
        method="GET",
        path="/order/202309/orders",
        scopes=[factories.CustomScopeFactory(key="seller.order")],
    )

    response = apply(
        api, app, endpoints=[factories.CONVERSATIONS_ENDPOINT, "GET /order/202309/orders"]
    )

    refused = (
        "Endpoints used: GET /order/202309/orders is not an endpoint of seller.customer_service. "
        "Tick only endpoints from the scope's list."
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "code": "invalid_answers",
            "message": f"Please correct the answers: {refused}",
            "fields": {"endpoints": [refused]},
        },
    )
    assert not AccessRequest.objects.exists()
    assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"endpoints": []}, {"endpoints": [SEND_ENDPOINTS]}),
        (
            {"endpoints": factories.CONVERSATIONS_ENDPOINT},
            {"endpoints": ['Expected a list of items but got type "str".']},
        ),
        ({"endpoints": [42]}, {"endpoints.0": ["Not a valid string."]}),
        (
            {"endpoints_used": factories.CONVERSATIONS_ENDPOINT},
            {"endpoints_used": [f"No longer accepted: send `endpoints` instead. {SEND_ENDPOINTS}"]},
        ),
    ],
    ids=["empty", "text-not-a-list", "number-in-the-list", "the-retired-text-answer"],
)
def test_endpoints_that_are_not_a_list_of_names_are_a_400_and_create_nothing(
    api, customer_service, changes, fields
):
    app, _ = customer_service

    response = apply(api, app, **changes)

    assert (response.status_code, response.json()) == (
        400,
        {"code": "invalid", "message": "Invalid input.", "fields": fields},
    )
    assert not AccessRequest.objects.exists()


def test_without_endpoints_the_400_says_what_to_send(api, customer_service):
    app, _ = customer_service
    answers = {name: value for name, value in ANSWERS.items() if name != "endpoints"}

    response = api.post(
        "/api/v1/requests/",
        {"app_id": app.pk, "scope": "seller.customer_service", **answers},
        format="json",
    )

    assert (response.status_code, response.json()["fields"]) == (
        400,
        {"endpoints": [SEND_ENDPOINTS]},
    )
    assert not AccessRequest.objects.exists()


def test_another_partners_request_is_404(api):
    theirs = factories.AccessRequestFactory()

    assert api.get(f"/api/v1/requests/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/requests/").json()["results"] == []


def test_the_partner_api_is_in_the_openapi_document(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()

    for path in (
        "/api/v1/apps/",
        "/api/v1/apps/{app_id}/",
        "/api/v1/apps/{app_id}/scopes/",
        "/api/v1/requests/",
        "/api/v1/requests/{request_id}/",
    ):
        assert path in schema


def test_the_response_with_the_secret_is_never_stored(api):
    response = api.post("/api/v1/apps/", NEW_APP, format="json")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
