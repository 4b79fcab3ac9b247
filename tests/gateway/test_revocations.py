"""Every kind of revocation denies the gate's next check once its transaction commits."""

from __future__ import annotations

import json

import pytest

from apps_registry.services.catalog import catalog_scope_edit
from apps_registry.services.reviews import access_request_revoke
from tests.apps_registry.review_helpers import make_catalog_manager, make_reviewer
from tests.gateway.conftest import Gate
from tests.oauth.flow import app_with_scopes

pytestmark = pytest.mark.django_db


@pytest.fixture
def custom_gate(client, seller, shop, endpoints, product_scope, custom_scope) -> Gate:
    app = app_with_scopes(required=[product_scope], optional=[custom_scope])
    return Gate.authorized(client, app, seller, [shop])


def conversations(gate: Gate):
    return gate.check(uri=f"/customer_service/202309/conversations?shop_cipher={gate.shop_cipher}")


def test_a_revoked_approval_denies_the_next_call(
    custom_gate, custom_scope, django_capture_on_commit_callbacks
):
    assert conversations(custom_gate).status_code == 200
    approval = custom_scope.access_requests.get()

    with django_capture_on_commit_callbacks(execute=True):
        access_request_revoke(
            request_id=approval.pk, reviewer=make_reviewer(), reason="Data sold to third parties."
        )

    response = conversations(custom_gate)
    assert response["X-Gate-Reason"] == "scope_not_available_to_app"
    assert json.loads(response.content)["required_scopes"] == ["seller.customer_service"]
    assert custom_gate.check().status_code == 200  # the Public scope still works


def test_a_deactivated_scope_denies_the_next_call(
    gate, product_scope, django_capture_on_commit_callbacks
):
    assert gate.check().status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        catalog_scope_edit(
            scope_id=product_scope.pk, changes={"is_active": False}, actor=make_catalog_manager()
        )

    # The token still names the scope: only the catalog's version can tell the gate.
    assert gate.check()["X-Gate-Reason"] == "unknown_endpoint"
