"""core/prepared.py: a one-row read compiled once, prepared once per PostgreSQL connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from core.prepared import PreparedLookup
from tests import factories

pytestmark = pytest.mark.django_db


def user_lookup(name: str) -> PreparedLookup:
    return PreparedLookup(
        name,
        lambda email: (
            get_user_model()
            .objects.filter(email=email)
            .values_list("username", "date_joined", "is_active")[:1]
        ),
    )


def test_it_answers_the_row_or_none_with_aware_datetimes():
    user = factories.UserFactory(username="ada", date_joined=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    lookup = user_lookup("test_user_lookup_answers")

    assert lookup.fetchone(user.email) == ("ada", datetime(2026, 1, 2, 3, 4, tzinfo=UTC), True)
    assert lookup.fetchone("nobody@example.com") is None


def test_a_lookup_with_other_than_one_parameter_is_refused():
    lookup = PreparedLookup(
        "test_two_parameters",
        lambda email: (
            get_user_model().objects.filter(email=email, username=email).values_list("pk")
        ),
    )

    with pytest.raises(ValueError, match="exactly one parameter"):
        lookup.fetchone("a@example.com")


@pytest.mark.postgres
def test_postgresql_prepares_once_per_connection(django_assert_num_queries):
    user = factories.UserFactory()
    lookup = user_lookup("test_user_lookup_prepared")

    with django_assert_num_queries(2):  # PREPARE, EXECUTE
        assert lookup.fetchone(user.email)[0] == user.username
    with django_assert_num_queries(1) as captured:
        assert lookup.fetchone(user.email)[0] == user.username
    assert captured.captured_queries[0]["sql"].startswith("EXECUTE test_user_lookup_prepared(")
