"""Races on the token endpoint, with real threads on PostgreSQL (docs/security.md D2)."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from tests.concurrency import race
from tests.oauth.flow import issue_tokens, refresh

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_yield_one_pair_and_the_reuse_revokes_the_family(
    app, seller, shop
):
    tokens = issue_tokens(Client(), app, seller, [shop])

    def refresh_once():
        return refresh(Client(), app, tokens["refresh_token"])

    responses = race(refresh_once, refresh_once)

    assert sorted(response.status_code for response in responses) == [200, 400]
    winner = next(response for response in responses if response.status_code == 200).json()
    loser = next(response for response in responses if response.status_code == 400).json()
    assert loser["error"] == "invalid_grant"
    # The second use of the same refresh token is reuse: the whole family is revoked, including
    # the pair the first request just minted.
    assert refresh(Client(), app, winner["refresh_token"]).json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0
    assert RefreshToken.objects.count() == 2  # the original and the one rotation, both revoked
