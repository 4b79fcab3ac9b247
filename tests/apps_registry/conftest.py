"""Fixtures for the apps_registry tests."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends import locmem

from apps_registry.models import AccessRequest
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer
from tests.conftest import sign_in_with_mfa


@pytest.fixture
def reviewer(client):
    """A reviewer signed in to the admin with MFA."""
    user = make_reviewer()
    sign_in_with_mfa(client, user)
    return user


@pytest.fixture
def superuser(client):
    """A superuser signed in to the admin with MFA."""
    user = factories.UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_mfa(client, user)
    return user


@pytest.fixture
def in_review(reviewer):
    """An application in review, assigned to `reviewer`."""
    return make_request(status=AccessRequest.Status.IN_REVIEW, assigned_to=reviewer)


@pytest.fixture
def failing_mail(monkeypatch):
    """The mail server refuses every message (down, quota, bad credentials)."""

    def refuse(backend, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
