"""DOT's scopes backend reads the catalog once per process and catalog version (ADR 0004)."""

from __future__ import annotations

import pytest

from apps_registry.oauth_scopes import CatalogScopes
from scopes.services.scope_edits import scope_change_confirm, scope_edit
from tests.apps_registry.review_helpers import make_catalog_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def managers():
    return (
        make_catalog_manager(email="first@platform.example"),
        make_catalog_manager(email="second@platform.example"),
    )


def test_the_second_read_of_the_scopes_makes_no_query(
    product_scope, order_scope, django_assert_num_queries
):
    backend = CatalogScopes()
    first = backend.get_all_scopes()

    with django_assert_num_queries(0):
        second = backend.get_all_scopes()
        public = backend.get_available_scopes()

    assert (
        first
        == second
        == {
            "seller.product.basic": "See and edit your product listings.",
            "seller.order.info": "See your orders.",
        }
    )
    assert public == ["seller.order.info", "seller.product.basic"]


def test_a_deactivated_scope_is_gone_on_the_next_read(
    product_scope, order_scope, managers, django_capture_on_commit_callbacks
):
    backend = CatalogScopes()
    assert "seller.order.info" in backend.get_all_scopes()

    with django_capture_on_commit_callbacks(execute=True):
        scope_edit(scope_id=order_scope.pk, changes={"is_active": False}, actor=managers[0])

    assert backend.get_all_scopes() == {
        "seller.product.basic": "See and edit your product listings."
    }
    assert backend.get_available_scopes() == ["seller.product.basic"]


def test_a_confirmed_consent_text_shows_on_the_next_read(
    product_scope, managers, django_capture_on_commit_callbacks
):
    backend = CatalogScopes()
    assert backend.get_all_scopes() == {
        "seller.product.basic": "See and edit your product listings."
    }
    with django_capture_on_commit_callbacks(execute=True):
        proposal = scope_edit(
            scope_id=product_scope.pk,
            changes={"consent_text": "See, edit and delete your product listings."},
            actor=managers[0],
        )
    # A proposal waits for the second manager: sellers still read the confirmed wording.
    assert backend.get_all_scopes() == {
        "seller.product.basic": "See and edit your product listings."
    }

    with django_capture_on_commit_callbacks(execute=True):
        scope_change_confirm(change_id=proposal.proposed[0].pk, actor=managers[1])

    assert backend.get_all_scopes() == {
        "seller.product.basic": "See, edit and delete your product listings."
    }
