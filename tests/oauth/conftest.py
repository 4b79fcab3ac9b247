"""Fixtures for the authorization server tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import factories
from tests.oauth.flow import app_with_scopes


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Client-authentication throttling lives in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller(db):
    return factories.UserFactory()


@pytest.fixture
def shop(seller):
    return factories.ShopFactory(owner=seller, name="Northwind Goods")


@pytest.fixture
def product_scope(db):
    return factories.ScopeFactory(
        key="seller.product.basic",
        name="Product Basic",
        group="Product",
        consent_text="See and edit your product listings.",
    )


@pytest.fixture
def order_scope(db):
    return factories.ScopeFactory(
        key="seller.order.info",
        name="Order Information",
        group="Order",
        consent_text="See your orders.",
    )


@pytest.fixture
def custom_scope(db):
    return factories.CustomScopeFactory(
        key="seller.customer_service",
        name="Customer Service",
        group="Customer Service",
        consent_text="Read and answer your buyers' messages.",
    )


@pytest.fixture
def app(product_scope, order_scope):
    """Asks for Product Basic (required) and Order Information (optional)."""
    return app_with_scopes(required=[product_scope], optional=[order_scope], name="Acme Sync")
