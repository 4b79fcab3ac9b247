"""What the OpenAPI document promises about refusals, credentials and paging (see ADR 0012)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/Error"}
BEARER_TOKEN_ERROR = {"$ref": "#/components/schemas/BearerTokenError"}


@pytest.fixture
def operations(client) -> dict[str, dict]:
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    document = response.json()
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def _body_schema(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


SESSION_PROTECTED = [
    "GET /api/v1/apps/",
    "POST /api/v1/apps/",
    "GET /api/v1/apps/{app_id}/",
    "GET /api/v1/apps/{app_id}/scopes/",
    "GET /api/v1/apps/{app_id}/webhook/",
    "PUT /api/v1/apps/{app_id}/webhook/",
    "DELETE /api/v1/apps/{app_id}/webhook/",
    "POST /api/v1/apps/{app_id}/webhook/rotate-secret/",
    "POST /api/v1/apps/{app_id}/webhook/test/",
    "GET /api/v1/apps/{app_id}/webhook/deliveries/",
    "POST /api/v1/apps/{app_id}/webhook/deliveries/{event_id}/replay/",
    "GET /api/v1/requests/",
    "POST /api/v1/requests/",
    "GET /api/v1/requests/{request_id}/",
]
PUBLIC = ["GET /api/v1/scopes/", "GET /api/v1/scopes/{key}/", "GET /api/v1/endpoints/"]


def test_the_document_lists_exactly_these_operations(operations):
    assert set(operations) == {*SESSION_PROTECTED, *PUBLIC, "GET /api/v1/authorization/shops"}


@pytest.mark.parametrize("operation", SESSION_PROTECTED)
def test_session_operations_document_403_not_401(operations, operation):
    responses = operations[operation]["responses"]

    assert _body_schema(responses["403"]) == ERROR
    assert "401" not in responses  # session authentication has no challenge, so DRF says 403


@pytest.mark.parametrize("operation", PUBLIC)
def test_public_operations_document_neither_401_nor_403(operations, operation):
    assert not {"401", "403"} & set(operations[operation]["responses"])


def test_the_bearer_operation_documents_401_with_its_challenge(operations):
    operation = operations["GET /api/v1/authorization/shops"]

    assert operation["security"] == [{"bearerAuth": []}]
    unauthorized = operation["responses"]["401"]
    assert _body_schema(unauthorized) == BEARER_TOKEN_ERROR
    assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True
    assert "403" not in operation["responses"]


@pytest.mark.parametrize(
    "operation",
    [
        "POST /api/v1/apps/",
        "POST /api/v1/requests/",
        "GET /api/v1/apps/",
        "GET /api/v1/requests/",
        "GET /api/v1/scopes/",
        "GET /api/v1/endpoints/",
        "GET /api/v1/apps/{app_id}/scopes/",
        "PUT /api/v1/apps/{app_id}/webhook/",
        "GET /api/v1/apps/{app_id}/webhook/deliveries/",
    ],
)
def test_operations_that_take_input_document_400(operations, operation):
    assert _body_schema(operations[operation]["responses"]["400"]) == ERROR


@pytest.mark.parametrize(
    "operation",
    [
        "GET /api/v1/apps/{app_id}/",
        "GET /api/v1/apps/{app_id}/scopes/",
        "GET /api/v1/requests/{request_id}/",
        "GET /api/v1/scopes/{key}/",
    ],
)
def test_operations_on_one_object_document_404(operations, operation):
    assert _body_schema(operations[operation]["responses"]["404"]) == ERROR


@pytest.mark.parametrize(
    "operation",
    ["GET /api/v1/apps/", "GET /api/v1/requests/", "GET /api/v1/apps/{app_id}/webhook/deliveries/"],
)
def test_partner_lists_document_their_paging(operations, operation):
    parameters = {p["name"]: p["schema"] for p in operations[operation]["parameters"]}

    assert parameters["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["cursor"] == {"type": "string", "maxLength": 1000}
    assert "offset" not in parameters
    page = _body_schema(operations[operation]["responses"]["200"])
    assert page["$ref"].startswith("#/components/schemas/Paginated")


def test_endpoint_resolver_method_is_an_enum(operations):
    parameters = {
        p["name"]: p["schema"] for p in operations["GET /api/v1/endpoints/"]["parameters"]
    }

    assert parameters["method"]["enum"] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert parameters["path"]["pattern"] == "^/[^\\u0000]*$"


def test_an_application_chooses_endpoints_and_shows_them(operations, client):
    document = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schemas = document["components"]["schemas"]
    create = operations["POST /api/v1/requests/"]
    request_body = schemas[_body_schema(create["requestBody"])["$ref"].rsplit("/", 1)[1]]

    endpoints = request_body["properties"]["endpoints"]
    assert (endpoints["type"], endpoints["minItems"], endpoints["items"]) == (
        "array",
        1,
        {"type": "string", "minLength": 1, "maxLength": 308},
    )
    assert "endpoints" in request_body["required"]
    assert "endpoints_used" not in request_body["properties"]
    assert _body_schema(create["responses"]["400"]) == ERROR
    for output in ("AccessRequestOutput", "AccessRequestDetailOutput"):
        chosen = schemas[output]["properties"]["chosen_endpoints"]
        assert chosen["items"] == {"$ref": "#/components/schemas/ChosenEndpointOutput"}
    assert schemas["ChosenEndpointOutput"]["required"] == ["method", "path"]
