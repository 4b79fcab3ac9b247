"""Fixtures for the scope catalog tests."""

from __future__ import annotations

import pytest

from tests.scopes.catalog_data import forget_catalog_version, load_real_catalog


@pytest.fixture(autouse=True)
def _fresh_catalog_version():
    forget_catalog_version()


@pytest.fixture
def loaded_catalog(db):
    return load_real_catalog()
