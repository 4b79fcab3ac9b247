"""/gateway/check: the access rule as the API gateway sees it, every reason code, both token
header styles, nginx's and Envoy's ways of naming the call, and input no gateway should send."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from apps_registry.gate.reasons import GateReason
from apps_registry.models import PartnerApp, ShopAuthorization
from apps_registry.services.app_status import app_suspend
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_shop
from tests import factories
from tests.gateway.conftest import Gate
from tests.oauth.flow import app_with_scopes, basic_auth

pytestmark = pytest.mark.django_db


def body(response) -> dict:
    return json.loads(response.content)


def assert_denied(response, status, code, *, challenge):
    assert response.status_code == status, response.content
    assert response["WWW-Authenticate"] == challenge
    assert response["X-Gate-Reason"] == code
    assert response["Cache-Control"] == "no-store"
    assert body(response)["code"] == code
    # nginx cannot pass the body on: the same denial, in a header.
    assert json.loads(response["X-Gate-Denial"]) == body(response)
    assert "X-Gate-Client-Id" not in response


def test_an_allowed_call_names_the_app_seller_shop_and_scopes(gate, app, seller, shop):
    response = gate.check()

    assert response.status_code == 200
    assert response["X-Gate-Client-Id"] == app.client_id
    assert response["X-Gate-Seller-Id"] == str(seller.pk)
    assert response["X-Gate-Shop-Cipher"] == shop.cipher
    assert response["X-Gate-Shop-Id"] == str(shop.pk)
    assert response["X-Gate-Scopes"] == "seller.order.info seller.product.basic"
    assert response["X-Gate-Endpoint"] == "GET /product/202309/products/{product_id}"
    assert response["Cache-Control"] == "no-store"


def test_the_tiktok_token_header_works_like_the_bearer_one(gate, app):
    response = gate.check(token="", HTTP_X_TTS_ACCESS_TOKEN=gate.token)

    assert response.status_code == 200
    assert response["X-Gate-Client-Id"] == app.client_id


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST"])
def test_envoy_sends_the_original_method_and_path_under_the_prefix(gate, endpoints, method):
    factories.EndpointFactory(
        method="DELETE", path="/product/202309/products/{product_id}/images",
        scopes=list(endpoints["product"].scopes.all()),
    )  # fmt: skip
    path = (
        "/product/202309/products/42" if method == "GET" else "/product/202309/products/42/images"
    )
    response = gate.client.generic(
        method,
        f"/gateway/check{path}?shop_cipher={gate.shop_cipher}",
        HTTP_AUTHORIZATION=f"Bearer {gate.token}",
    )

    if method == "POST":  # the catalog has no POST there
        assert_denied(
            response, 403, "unknown_endpoint",
            challenge='Bearer realm="api", error="insufficient_scope", scope=""',
        )  # fmt: skip
    else:
        assert response.status_code == 200, response.content


def test_the_shop_may_come_in_a_header(gate):
    response = gate.check(uri="/product/202309/products/42", HTTP_X_SHOP_CIPHER=gate.shop_cipher)

    assert response.status_code == 200


def test_no_token_is_a_challenge_without_an_error(gate):
    response = gate.check(token="")

    assert_denied(response, 401, "token_missing", challenge='Bearer realm="api"')


@pytest.mark.parametrize("token", ["not-a-token", "x" * 5000, "tökén", "Bearer"])
def test_an_unknown_token_is_invalid(gate, token):
    response = gate.check(token=token)

    assert_denied(
        response, 401, "token_invalid",
        challenge='Bearer realm="api", error="invalid_token", '
        'error_description="The access token is invalid or was revoked."',
    )  # fmt: skip
    assert body(response)["fix"]["action"] == "reauthorize"


def test_an_expired_token_says_so(gate):
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = gate.check()

    assert_denied(
        response, 401, "token_expired",
        challenge='Bearer realm="api", error="invalid_token", '
        'error_description="The access token has expired."',
    )  # fmt: skip
    assert body(response)["fix"]["action"] == "refresh_token"


def test_a_token_revoked_by_the_app_is_refused_on_the_next_call(gate, app):
    assert gate.check().status_code == 200

    revoked = gate.client.post("/oauth/revoke/", {"token": gate.token}, **basic_auth(app))
    assert revoked.status_code == 200

    assert gate.check()["X-Gate-Reason"] == "token_invalid"


def test_a_deactivated_seller_s_token_is_invalid(gate, seller):
    seller.is_active = False
    seller.save(update_fields=["is_active"])

    assert gate.check()["X-Gate-Reason"] == "token_invalid"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_ORIGINAL_METHOD": "GET"},
        {"HTTP_X_ORIGINAL_URI": "/product/202309/products/42"},
        {"HTTP_X_ORIGINAL_METHOD": " ", "HTTP_X_ORIGINAL_URI": "/x"},
        {"HTTP_X_ORIGINAL_METHOD": "GET", "HTTP_X_ORIGINAL_URI": ""},
    ],
)
def test_a_gateway_that_does_not_name_the_call_gets_400(gate, headers):
    response = gate.client.get(
        "/gateway/check", HTTP_AUTHORIZATION=f"Bearer {gate.token}", **headers
    )

    assert_denied(
        response, 400, "invalid_request", challenge='Bearer realm="api", error="invalid_request"'
    )
    assert body(response)["fix"]["action"] == "configure_gateway"


@pytest.mark.parametrize(
    "uri",
    [
        "/product/202309/unknown",
        "/product/202309/products/42/../../../order/202309/orders",
        "/product/202309/products/%2e%2e",
        "/product/202309//products/42",
        "/prodüct/202309/products/42",
        "/product/202309/products",
        # Absolute-form (nginx's $request_uri keeps it) and overlong URIs are the client's.
        "http://api.example.com/product/202309/products/42",
        "/product/202309/products/" + "4" * 5000,
    ],
)
def test_a_call_the_catalog_does_not_know_is_an_unknown_endpoint(gate, uri):
    response = gate.check(uri=f"{uri}?shop_cipher={gate.shop_cipher}")

    assert_denied(
        response, 403, "unknown_endpoint",
        challenge='Bearer realm="api", error="insufficient_scope", scope=""',
    )  # fmt: skip
    assert body(response)["fix"]["action"] == "check_endpoint"


@pytest.mark.parametrize("method", ["DELETE", "G E T", "GET\u00e9", "X" * 200])
def test_a_method_the_catalog_has_not_there_is_an_unknown_endpoint(gate, method):
    response = gate.check(method=method)

    assert response["X-Gate-Reason"] == "unknown_endpoint"


def test_a_custom_scope_without_approval_says_to_apply(gate, app):
    response = gate.check(
        uri=f"/customer_service/202309/conversations?shop_cipher={gate.shop_cipher}"
    )

    assert_denied(
        response, 403, "scope_not_available_to_app",
        challenge='Bearer realm="api", error="insufficient_scope", scope="seller.customer_service"',
    )  # fmt: skip
    denial = body(response)
    assert denial["required_scopes"] == ["seller.customer_service"]
    assert denial["granted_scopes"] == []
    assert denial["fix"]["action"] == "apply"
    assert denial["fix"]["url"] == (
        f"http://127.0.0.1:8000/console/apps/{app.pk}/api/seller.customer_service/apply/"
    )


def test_a_denial_links_to_the_explain_page_filled_in_with_the_call(gate, app, shop):
    response = gate.check(uri=f"/customer_service/202309/conversations?shop_cipher={shop.cipher}")

    explain_url = body(response)["explain_url"]
    assert explain_url == (
        f"http://127.0.0.1:8000/console/apps/{app.pk}/explain/"
        f"?method=GET&path=%2Fcustomer_service%2F202309%2Fconversations&shop={shop.cipher}"
    )
    gate.client.force_login(factories.MembershipFactory(partner=app.partner).user)
    page = gate.client.get(explain_url.removeprefix("http://127.0.0.1:8000"))
    decision = page.context["explanation"].decision
    assert decision.reason is GateReason.SCOPE_NOT_AVAILABLE_TO_APP
    assert decision.required_scopes == tuple(body(response)["required_scopes"])


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_denial_that_names_no_app_has_no_explain_link(gate, token):
    response = gate.check(token=token)

    assert response.status_code == 401
    assert body(response)["explain_url"] == ""


def test_an_expired_approval_says_so(client, seller, shop, endpoints, product_scope, custom_scope):
    app = app_with_scopes(required=[product_scope, custom_scope])
    gate = Gate.authorized(client, app, seller, [shop])
    app.access_requests.update(approval_expires_at=timezone.now() - timedelta(minutes=1))

    response = gate.check(uri=f"/customer_service/202309/conversations?shop_cipher={shop.cipher}")

    assert response["X-Gate-Reason"] == "approval_expired"
    assert body(response)["fix"]["action"] == "apply"


def test_a_scope_the_seller_did_not_grant_says_to_ask_the_seller(
    client, app, seller, shop, endpoints
):
    gate = Gate.authorized(client, app, seller, [shop], optional=[])

    response = gate.check(uri=f"/order/202309/orders?shop_cipher={shop.cipher}")

    assert_denied(
        response, 403, "scope_not_granted_by_seller",
        challenge='Bearer realm="api", error="insufficient_scope", scope="seller.order.info"',
    )  # fmt: skip
    denial = body(response)
    assert denial["required_scopes"] == ["seller.order.info"]
    assert denial["granted_scopes"] == ["seller.product.basic"]
    assert denial["fix"]["url"] == f"http://127.0.0.1:8000/console/apps/{app.pk}/api/"


def test_a_shop_endpoint_without_a_shop_asks_for_one(gate):
    response = gate.check(uri="/product/202309/products/42")

    assert response["X-Gate-Reason"] == "shop_required"
    assert body(response)["fix"]["url"] == "http://127.0.0.1:8000/api/v1/authorization/shops"


@pytest.mark.parametrize("where", ["query", "header"])
def test_two_different_shops_in_one_call_are_refused(gate, shop, where):
    other = factories.ShopFactory(owner=shop.owner).cipher
    uri = f"/product/202309/products/42?shop_cipher={shop.cipher}"
    if where == "query":
        response = gate.check(uri=f"{uri}&shop_cipher={other}")
    else:
        response = gate.check(uri=uri, HTTP_X_SHOP_CIPHER=other)

    assert response["X-Gate-Reason"] == "shop_required"


def test_the_same_shop_in_the_query_and_the_header_is_one_shop(gate, shop):
    uri = f"/product/202309/products/42?shop_cipher={shop.cipher}"

    assert gate.check(uri=uri, HTTP_X_SHOP_CIPHER=shop.cipher).status_code == 200


@pytest.mark.parametrize("cipher", ["someone-elses", "unknown", "ROW_" + "x" * 200])
def test_a_shop_the_seller_did_not_authorize_is_refused(gate, cipher):
    if cipher == "someone-elses":
        cipher = factories.ShopFactory().cipher

    response = gate.check(uri=f"/product/202309/products/42?shop_cipher={cipher}")

    assert response["X-Gate-Reason"] == "shop_not_authorized"
    assert body(response)["fix"]["action"] == "authorize_shop"


def test_a_shop_whose_consent_expired_says_so(client, app, seller, shop, endpoints):
    gate = Gate.authorized(client, app, seller, [shop, factories.ShopFactory(owner=seller)])
    ShopAuthorization.objects.filter(shop=shop).update(expires_at=timezone.now())

    response = gate.check()

    assert response["X-Gate-Reason"] == "authorization_expired"
    assert body(response)["fix"]["action"] == "reauthorize"


def test_an_endpoint_without_a_shop_needs_only_the_grant(gate):
    response = gate.check(uri="/authorization/202309/shops")

    assert response.status_code == 200
    assert "X-Gate-Shop-Cipher" not in response


def test_a_revoked_shop_is_refused_on_the_next_call(
    client, app, seller, shop, endpoints, django_capture_on_commit_callbacks
):
    """The seller keeps a second shop, so the token keeps its scopes: only the gate's own view
    of the consent can refuse the call, and it must not serve a stale one."""
    gate = Gate.authorized(client, app, seller, [shop, factories.ShopFactory(owner=seller)])
    assert gate.check().status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        authorization_revoke_shop(seller=seller, app=app, shop=shop)

    assert gate.check()["X-Gate-Reason"] == "shop_not_authorized"


def test_a_new_consent_is_allowed_on_the_next_call(
    gate, app, seller, django_capture_on_commit_callbacks
):
    new_shop = factories.ShopFactory(owner=seller)
    uri = f"/product/202309/products/42?shop_cipher={new_shop.cipher}"
    assert gate.check(uri=uri)["X-Gate-Reason"] == "shop_not_authorized"

    with django_capture_on_commit_callbacks(execute=True):
        authorization_grant(
            seller=seller, app=app, shops=[new_shop], scope_keys=["seller.product.basic"],
            duration_days=30,
        )  # fmt: skip

    assert gate.check(uri=uri).status_code == 200


def test_a_warm_check_makes_one_query(gate, django_assert_num_queries):
    assert gate.check().status_code == 200

    with django_assert_num_queries(1):  # the token's row: a revoked token is never served
        assert gate.check().status_code == 200


def test_a_suspended_app_s_surviving_token_is_refused_as_suspended(gate, app):
    PartnerApp.objects.filter(pk=app.pk).update(status=PartnerApp.Status.SUSPENDED)

    response = gate.check()

    assert_denied(
        response, 403, "app_suspended",
        challenge='Bearer realm="api", error="insufficient_scope", scope=""',
    )  # fmt: skip
    assert body(response)["fix"]["url"] == f"http://127.0.0.1:8000/console/apps/{app.pk}/"


def test_suspension_revokes_the_tokens_so_the_next_call_is_refused(
    gate, app, django_capture_on_commit_callbacks
):
    reviewer = factories.UserFactory(is_staff=True, is_superuser=True)
    assert gate.check().status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        app_suspend(app_id=app.pk, acting_user=reviewer, reason="Scraping buyers' data.")

    assert gate.check()["X-Gate-Reason"] == "token_invalid"


def test_the_shops_api_makes_one_query_once_warm(gate, django_assert_num_queries):
    call = {"HTTP_AUTHORIZATION": f"Bearer {gate.token}"}
    assert gate.client.get("/api/v1/authorization/shops", **call).status_code == 200

    with django_assert_num_queries(1):  # the token's row
        assert gate.client.get("/api/v1/authorization/shops", **call).status_code == 200


def test_a_long_path_is_quoted_short_so_the_denial_fits_a_gateway_header(gate):
    long_path = "/product/202309/unknown/" + "x" * 3000

    response = gate.check(uri=f"{long_path}?shop_cipher={gate.shop_cipher}")

    assert response["X-Gate-Reason"] == "unknown_endpoint"
    assert len(response["X-Gate-Denial"]) < 2000
    assert body(response)["message"].startswith("GET /product/202309/unknown/xxx")


def test_envoy_reads_the_raw_path_so_an_encoded_slash_is_not_a_segment_break(gate):
    """`/order%2F202309/orders` is not the orders endpoint upstream (its first segment holds a
    slash); decoded by the server, it would be, and the gate would allow it."""
    raw = f"/gateway/check/order%2F202309/orders?shop_cipher={gate.shop_cipher}"
    decoded = f"/gateway/check/order/202309/orders?shop_cipher={gate.shop_cipher}"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {gate.token}"}
    assert gate.client.get(decoded, **bearer, RAW_URI=decoded).status_code == 200

    response = gate.client.get(raw, **bearer, RAW_URI=raw)

    assert response["X-Gate-Reason"] == "unknown_endpoint"
