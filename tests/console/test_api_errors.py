"""The partner and catalog APIs answer every refusal with one body, {"code", "message", "fields"},
and the status of its category (ADR 0013): a service's refusal through the real endpoints, DRF's
own refusals in the same shape, and the exception handler exception class by exception class."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIClient

from apps_registry.models import AccessRequest, PartnerApp, PartnerAuditEvent, ReviewEvent
from console.api.exceptions import api_exception_handler
from core.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionRefusedError,
)
from tests import factories
from tests.apps_registry.review_helpers import ANSWERS as PAGE_ANSWERS

SCOPE_KEY = "seller.customer_service"
# The API takes the endpoints the app will call as a list of the scope's endpoints.
ANSWERS = {
    **{name: value for name, value in PAGE_ANSWERS.items() if name != "endpoints_used"},
    "endpoints": [factories.CONVERSATIONS_ENDPOINT],
}
NEW_APP = {
    "name": "Helpdesk Sync",
    "privacy_policy_url": "https://app.example.com/privacy",
    "redirect_uris": ["https://app.example.com/callback"],
}


def refusal(response) -> tuple[int, dict]:
    return response.status_code, response.json()


def stored_rows() -> dict[str, int]:
    """What a refused request must leave as it was."""
    return {
        "apps": PartnerApp.objects.count(),
        "requests": AccessRequest.objects.count(),
        "review_events": ReviewEvent.objects.count(),
        "audit_events": PartnerAuditEvent.objects.count(),
    }


@pytest.fixture
def custom_scope(custom_scope):
    """The scope with the endpoint ANSWERS chooses."""
    factories.conversations_endpoint(custom_scope)
    return custom_scope


@pytest.fixture
def own_app(member):
    return factories.PartnerAppFactory(partner=member.partner)


# --- A service's refusals through the partner API, one per category -----------------------------


@pytest.mark.django_db
def test_invalid_answers_are_a_400_naming_each_field(api, own_app, custom_scope):
    before = stored_rows()

    response = api.post(
        "/api/v1/requests/",
        {
            "app_id": own_app.pk,
            "scope": SCOPE_KEY,
            **ANSWERS,
            "data_usage": "   ",
            "justification": None,
            "demo_url": "https://localhost/demo",
        },
        format="json",
    )

    assert refusal(response) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {
                "data_usage": ["This field may not be blank."],
                "justification": ["This field may not be null."],
                "demo_url": [
                    "Enter a full https or http address with a domain name, e.g. "
                    "https://app.example.com/privacy (an international domain in its xn-- form)."
                ],
            },
        },
    )
    assert stored_rows() == before


@pytest.mark.django_db
def test_a_write_without_the_csrf_token_is_a_403(member, own_app, custom_scope):
    """No partner-API write is owner-only and another partner's objects are a 404, so the API's
    permission refusal is session authentication's CSRF check."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member.user)
    before = stored_rows()

    response = client.post(
        "/api/v1/requests/", {"app_id": own_app.pk, "scope": SCOPE_KEY, **ANSWERS}, format="json"
    )

    assert refusal(response) == (
        403,
        {"code": "permission_denied", "message": "CSRF Failed: CSRF cookie not set.", "fields": {}},
    )
    assert stored_rows() == before


@pytest.mark.django_db
def test_applying_for_another_partners_app_is_the_404_of_an_app_that_does_not_exist(
    api, custom_scope
):
    theirs = factories.PartnerAppFactory()
    before = stored_rows()

    for app_id in (theirs.pk, theirs.pk + 1000):
        response = api.post(
            "/api/v1/requests/", {"app_id": app_id, "scope": SCOPE_KEY, **ANSWERS}, format="json"
        )

        assert refusal(response) == (
            404,
            {
                "code": "not_found",
                "message": "No such partner app.",
                "fields": {},
            },
        )
    assert stored_rows() == before


@pytest.mark.django_db
def test_reading_another_partners_application_is_a_404(api):
    theirs = factories.AccessRequestFactory()

    response = api.get(f"/api/v1/requests/{theirs.pk}/")

    assert refusal(response) == (
        404,
        {"code": "not_found", "message": "No such access request.", "fields": {}},
    )


@pytest.mark.django_db
def test_applying_twice_is_a_409(api, own_app, custom_scope):
    factories.AccessRequestFactory(app=own_app, scope=custom_scope)
    before = stored_rows()

    response = api.post(
        "/api/v1/requests/", {"app_id": own_app.pk, "scope": SCOPE_KEY, **ANSWERS}, format="json"
    )

    assert refusal(response) == (
        409,
        {
            "code": "application_already_open",
            "message": "This app already has an open application or an approval for "
            f"{SCOPE_KEY}. Follow that one on the Applications page.",
            "fields": {},
        },
    )
    assert stored_rows() == before


@pytest.mark.django_db
def test_applying_for_a_suspended_app_is_a_409(api, member, custom_scope):
    suspended = factories.PartnerAppFactory(
        partner=member.partner, status=PartnerApp.Status.SUSPENDED
    )
    before = stored_rows()

    response = api.post(
        "/api/v1/requests/", {"app_id": suspended.pk, "scope": SCOPE_KEY, **ANSWERS}, format="json"
    )

    assert refusal(response) == (
        409,
        {
            "code": "app_suspended",
            "message": "This app is suspended, so it cannot apply for scopes.",
            "fields": {},
        },
    )
    assert stored_rows() == before


# --- DRF's own refusals, in the same body -------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_caller_is_a_403_without_a_challenge():
    """Session authentication issues no WWW-Authenticate challenge, so DRF answers 403, not 401."""
    response = APIClient().post("/api/v1/apps/", NEW_APP, format="json")

    assert refusal(response) == (
        403,
        {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "fields": {},
        },
    )
    assert "WWW-Authenticate" not in response
    assert not PartnerApp.objects.exists()


@pytest.mark.django_db
def test_malformed_json_is_a_400_parse_error(api):
    response = api.post("/api/v1/apps/", '{"name": ', content_type="application/json")

    assert refusal(response) == (
        400,
        {
            "code": "parse_error",
            "message": "JSON parse error - Expecting value: line 1 column 10 (char 9)",
            "fields": {},
        },
    )
    assert not PartnerApp.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_415(api):
    response = api.post("/api/v1/apps/", "name=Helpdesk", content_type="text/plain")

    assert refusal(response) == (
        415,
        {
            "code": "unsupported_media_type",
            "message": 'Unsupported media type "text/plain" in request.',
            "fields": {},
        },
    )
    assert not PartnerApp.objects.exists()


@pytest.mark.django_db
def test_a_method_the_endpoint_lacks_is_a_405_with_allow(api, own_app):
    response = api.delete(f"/api/v1/apps/{own_app.pk}/")

    assert refusal(response) == (
        405,
        {"code": "method_not_allowed", "message": 'Method "DELETE" not allowed.', "fields": {}},
    )
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert PartnerApp.objects.filter(pk=own_app.pk).exists()


@pytest.mark.django_db
def test_catalog_api_refuses_invalid_parameters_with_fields():
    response = APIClient().get("/api/v1/endpoints/", {"method": "get", "path": "products"})

    assert refusal(response) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {
                "method": [
                    "Unknown method 'get'; use one of GET, POST, PUT, PATCH, DELETE "
                    "(methods are case-sensitive)."
                ],
                "path": [
                    "The path must start with '/' and contain no NUL character, e.g. "
                    "/product/202309/products/123."
                ],
            },
        },
    )


@pytest.mark.django_db
def test_catalog_api_refuses_an_unknown_filter_value_with_fields():
    response = APIClient().get("/api/v1/scopes/", {"kind": "secret"})

    assert refusal(response) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {
                "kind": ["Select a valid choice. secret is not one of the available choices."]
            },
        },
    )


@pytest.mark.django_db
def test_catalog_api_unknown_scope_is_a_404():
    response = APIClient().get("/api/v1/scopes/seller.no_such_scope/")

    assert refusal(response) == (
        404,
        {"code": "not_found", "message": "No such scope.", "fields": {}},
    )


@pytest.mark.django_db
def test_catalog_api_is_read_only_with_a_405():
    response = APIClient().post("/api/v1/scopes/", {"key": "seller.new"}, format="json")

    assert refusal(response) == (
        405,
        {"code": "method_not_allowed", "message": 'Method "POST" not allowed.', "fields": {}},
    )


# --- The exception handler, class by class ------------------------------------------------------


def handle(exc: Exception):
    response = api_exception_handler(exc, {})
    assert response is not None
    return response


def with_auth_header(exc: exceptions.APIException, header: str) -> exceptions.APIException:
    """As APIView.handle_exception sets it when the view's first authenticator has a challenge."""
    exc.auth_header = header
    return exc


@pytest.mark.parametrize(
    ("exc", "status", "code", "message"),
    [
        (exceptions.ParseError(), 400, "parse_error", "Malformed request."),
        (
            with_auth_header(exceptions.NotAuthenticated(), 'Bearer realm="api"'),
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
        ),
        (
            with_auth_header(exceptions.AuthenticationFailed(), 'Bearer realm="api"'),
            401,
            "authentication_failed",
            "Incorrect authentication credentials.",
        ),
        (
            exceptions.PermissionDenied(),
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
        ),
        (exceptions.NotFound(), 404, "not_found", "Not found."),
        (
            exceptions.MethodNotAllowed("PUT"),
            405,
            "method_not_allowed",
            'Method "PUT" not allowed.',
        ),
        (
            exceptions.NotAcceptable(),
            406,
            "not_acceptable",
            "Could not satisfy the request Accept header.",
        ),
        (
            exceptions.UnsupportedMediaType("text/plain"),
            415,
            "unsupported_media_type",
            'Unsupported media type "text/plain" in request.',
        ),
        (
            exceptions.Throttled(wait=5),
            429,
            "throttled",
            "Request was throttled. Expected available in 5 seconds.",
        ),
        (Http404("No such app."), 404, "not_found", "No such app."),
        (Http404(), 404, "not_found", "Not found."),
        (
            DjangoPermissionDenied(),
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
        ),
    ],
)
def test_drf_and_django_refusals_answer_with_their_default_code(exc, status, code, message):
    response = handle(exc)

    assert (response.status_code, response.data) == (
        status,
        {"code": code, "message": message, "fields": {}},
    )


def test_a_challenge_and_a_wait_keep_their_headers():
    challenged = handle(with_auth_header(exceptions.NotAuthenticated(), 'Bearer realm="api"'))
    throttled = handle(exceptions.Throttled(wait=5))

    assert challenged["WWW-Authenticate"] == 'Bearer realm="api"'
    assert throttled["Retry-After"] == "5"


def test_a_validation_error_per_field_flattens_nested_fields_to_dotted_names():
    response = handle(
        exceptions.ValidationError(
            {
                "name": ["This field may not be blank."],
                "redirect_uris": {1: ["Enter a valid URI."]},
                "shipping": {"country": ["Unknown country."]},
                "lines": [{}, {"sku": ["Unknown product."]}],
            }
        )
    )

    assert (response.status_code, response.data) == (
        400,
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {
                "name": ["This field may not be blank."],
                "redirect_uris.1": ["Enter a valid URI."],
                "shipping.country": ["Unknown country."],
                "lines.1.sku": ["Unknown product."],
            },
        },
    )


@pytest.mark.parametrize(
    ("detail", "message"),
    [(["Pick one.", "Then submit."], "Pick one. Then submit."), ("Pick one.", "Pick one.")],
)
def test_a_validation_error_of_the_whole_request_is_its_message(detail, message):
    response = handle(exceptions.ValidationError(detail))

    assert (response.status_code, response.data) == (
        400,
        {"code": "invalid", "message": message, "fields": {}},
    )


@pytest.mark.parametrize(
    ("category", "status"),
    [
        (InvalidInputError, 400),
        (PermissionRefusedError, 403),
        (NotFoundError, 404),
        (InvalidTransitionError, 409),
    ],
)
def test_a_domain_error_answers_its_category_status_code_and_fields(category, status):
    response = handle(
        category(
            "Please correct the answers.",
            code="invalid_answers",
            fields={"data_usage": ("Say what the data is for.",)},
        )
    )

    assert (response.status_code, response.data) == (
        status,
        {
            "code": "invalid_answers",
            "message": "Please correct the answers.",
            "fields": {"data_usage": ["Say what the data is for."]},
        },
    )


def test_anything_that_is_not_a_refusal_is_left_to_become_a_500():
    assert api_exception_handler(ValueError("a bug"), {}) is None
