"""AccessRequest.effective_status: an approval past its end counts as expired before the daily
expiry job records it so; every other status is what the row says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps_registry.models import AccessRequest

Status = AccessRequest.Status
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("approval_expires_at", "expected"),
    [
        (None, Status.APPROVED),  # no end
        (NOW + timedelta(seconds=1), Status.APPROVED),
        (NOW, Status.EXPIRED),  # the end itself is over (like the expiry job's `<= now`)
        (NOW - timedelta(days=1), Status.EXPIRED),
    ],
)
def test_an_approval_counts_as_expired_from_its_end(approval_expires_at, expected):
    approval = AccessRequest(status=Status.APPROVED, approval_expires_at=approval_expires_at)

    assert approval.effective_status(now=NOW) == expected
    assert approval.status == Status.APPROVED  # reading it changes nothing


@pytest.mark.parametrize("status", [status for status in Status if status != Status.APPROVED])
def test_any_other_status_is_the_recorded_one_whatever_the_end(status):
    access_request = AccessRequest(status=status, approval_expires_at=NOW - timedelta(days=1))

    assert access_request.effective_status(now=NOW) == status


def test_now_defaults_to_the_current_time():
    ended = AccessRequest(status=Status.APPROVED, approval_expires_at=datetime.now(UTC))
    live = AccessRequest(
        status=Status.APPROVED, approval_expires_at=datetime.now(UTC) + timedelta(hours=1)
    )

    assert (ended.effective_status(), live.effective_status()) == (Status.EXPIRED, Status.APPROVED)
