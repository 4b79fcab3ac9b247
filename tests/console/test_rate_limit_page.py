"""allauth's rate limits answer with the site's own "Too many attempts" page (templates/429.html).

(The lock after five failed logins of one account from one address is a form error, not a 429: see
test_partner_accounts.py.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def failed_login(client, email: str):
    return client.post("/accounts/login/", {"login": email, "password": "wrong"})


def test_too_many_login_attempts_from_one_address_show_the_styled_429_page(client):
    # allauth's "login" limit: 30 attempts per minute per IP address, whatever the account.
    for n in range(30):
        failed_login(client, f"user{n}@example.com")

    response = failed_login(client, "user30@example.com")

    assert response.status_code == 429
    assert [template.name for template in response.templates][:2] == ["429.html", "base.html"]
    page = response.text
    assert "<title>Too many attempts · Partner Console</title>" in page
    assert "Wait a few minutes, then try again." in page
    assert 'href="/accounts/password/reset/"' in page
    assert "style=" not in page  # CSP: style-src 'self' only
