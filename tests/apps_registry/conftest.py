"""Fixtures for the apps_registry tests."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends import locmem


@pytest.fixture
def failing_mail(monkeypatch):
    """The mail server refuses every message (down, quota, bad credentials)."""

    def refuse(backend, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
