"""access_request.decided and app.suspended: what the review workflow and the platform's staff
tell the app, in the partner's own words and never a reviewer's internal note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import (
    AccessRequest,
    PartnerAuditEvent,
    ReviewEvent,
    WebhookDelivery,
    WebhookTopic,
)
from apps_registry.services import reviews
from apps_registry.services.access_request_jobs import access_requests_expire_due
from apps_registry.services.app_status import app_suspend
from core.errors import DomainError
from tests import factories
from tests.apps_registry.review_helpers import make_access_token, make_request, make_reviewer
from tests.apps_registry.webhooks.events.helpers import (
    call_and_roll_back,
    deliveries,
    sent_data,
    subscribe,
)

pytestmark = pytest.mark.django_db

DECIDED = WebhookTopic.ACCESS_REQUEST_DECIDED
Status = AccessRequest.Status


@pytest.fixture
def reviewer(db):
    return make_reviewer()


@pytest.fixture
def in_review(reviewer):
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    subscribe(access_request.app)
    return access_request


def _decision_time(access_request) -> str:
    return access_request.events.latest("created_at", "pk").created_at.isoformat()


def test_an_approval_tells_the_app_its_end_and_the_reviewers_words(in_review, reviewer):
    expires_at = timezone.now() + timedelta(days=200)

    reviews.access_request_approve(
        request_id=in_review.pk, reviewer=reviewer, expires_at=expires_at, comment="Looks right."
    )

    sent = deliveries(in_review.app, DECIDED)
    assert [delivery.payload for delivery in sent] == [
        {
            "id": sent[0].event_id,
            "type": "access_request.decided",
            "created_at": _decision_time(in_review),
            "app_id": in_review.app.client_id,
            "data": {
                "access_request_id": in_review.pk,
                "scope": in_review.scope.key,
                "decision": "approved",
                "reason": "Looks right.",
                "decided_at": _decision_time(in_review),
                "approval_expires_at": expires_at.isoformat(),
            },
        }
    ]


def test_a_first_of_two_approvals_is_not_a_decision(reviewer):
    access_request = make_request(
        status=Status.IN_REVIEW,
        assigned_to=reviewer,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )
    subscribe(access_request.app)

    reviews.access_request_approve(
        request_id=access_request.pk, reviewer=reviewer, comment="Internal: fine by me."
    )

    assert WebhookDelivery.objects.count() == 0
    second = make_reviewer()
    reviews.access_request_assign(request_id=access_request.pk, reviewer=second)
    reviews.access_request_approve(request_id=access_request.pk, reviewer=second)
    assert [data["decision"] for data in sent_data(access_request.app, DECIDED)] == ["approved"]
    assert "Internal" not in str(sent_data(access_request.app, DECIDED))


def test_a_rejection_tells_the_written_reason(in_review, reviewer):
    reviews.access_request_reject(
        request_id=in_review.pk, reviewer=reviewer, reason="The demo does not load."
    )

    assert sent_data(in_review.app, DECIDED) == [
        {
            "access_request_id": in_review.pk,
            "scope": in_review.scope.key,
            "decision": "rejected",
            "reason": "The demo does not load.",
            "decided_at": _decision_time(in_review),
            "approval_expires_at": None,
        }
    ]


def test_a_request_for_changes_tells_the_comments_on_each_answer(in_review, reviewer):
    reviews.access_request_request_changes(
        request_id=in_review.pk,
        reviewer=reviewer,
        comment="Say how long you keep data.",
        field_comments={"data_protection": "Retention period?", "demo_url": "  "},
    )

    assert sent_data(in_review.app, DECIDED) == [
        {
            "access_request_id": in_review.pk,
            "scope": in_review.scope.key,
            "decision": "changes_requested",
            "reason": "Say how long you keep data.",
            "decided_at": _decision_time(in_review),
            "approval_expires_at": None,
            "field_comments": {"data_protection": "Retention period?"},
        }
    ]


def test_a_revocation_tells_the_decision_and_each_shop_that_lost_the_scope(reviewer):
    access_request = make_request(status=Status.APPROVED)
    app, scope = access_request.app, access_request.scope
    factories.AppScopeFactory(app=app, scope=scope)
    authorization = factories.ShopAuthorizationFactory(app=app, scopes=[scope])
    subscribe(app)

    reviews.access_request_revoke(
        request_id=access_request.pk, reviewer=reviewer, reason="Data used for ads."
    )

    access_request.refresh_from_db()
    assert sent_data(app, DECIDED) == [
        {
            "access_request_id": access_request.pk,
            "scope": scope.key,
            "decision": "revoked",
            "reason": "Data used for ads.",
            "decided_at": _decision_time(access_request),
            "approval_expires_at": access_request.approval_expires_at.isoformat(),
        }
    ]
    revoked = sent_data(app, WebhookTopic.AUTHORIZATION_REVOKED)
    assert [(data["shop_id"], data["reason"]) for data in revoked] == [
        (authorization.shop_id, "approval_revoked")
    ]


def test_the_daily_expiry_tells_the_app_without_a_reason():
    ended = timezone.now() - timedelta(minutes=1)
    access_request = make_request(status=Status.APPROVED, approval_expires_at=ended)
    subscribe(access_request.app)

    assert access_requests_expire_due() == 1

    assert sent_data(access_request.app, DECIDED) == [
        {
            "access_request_id": access_request.pk,
            "scope": access_request.scope.key,
            "decision": "expired",
            "reason": "",
            "decided_at": _decision_time(access_request),
            "approval_expires_at": ended.isoformat(),
        }
    ]


def test_a_refused_decision_records_no_event(in_review):
    stranger = make_reviewer()

    with pytest.raises(DomainError):
        reviews.access_request_reject(request_id=in_review.pk, reviewer=stranger, reason="No.")

    assert WebhookDelivery.objects.count() == 0
    in_review.refresh_from_db()
    assert in_review.status == Status.IN_REVIEW


def test_a_rolled_back_decision_records_no_event(in_review, reviewer):
    call_and_roll_back(
        reviews.access_request_reject, request_id=in_review.pk, reviewer=reviewer, reason="No."
    )

    assert WebhookDelivery.objects.count() == 0
    assert not ReviewEvent.objects.filter(action=ReviewEvent.Action.REJECT).exists()


def test_an_app_listening_to_other_topics_is_not_told_of_decisions(reviewer):
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    subscribe(access_request.app, WebhookTopic.APP_SUSPENDED)

    reviews.access_request_reject(request_id=access_request.pk, reviewer=reviewer, reason="No.")

    assert WebhookDelivery.objects.count() == 0


def test_a_suspension_tells_the_app_why_and_how_many_tokens_it_lost(admin_user):
    app = factories.PartnerAppFactory()
    seller = factories.UserFactory()
    make_access_token(app=app, user=seller, scope="seller.product.basic", raw="raw-token-1")
    subscribe(app, WebhookTopic.APP_SUSPENDED)

    app_suspend(app_id=app.pk, acting_user=admin_user, reason="Phishing reports.")

    suspended_at = PartnerAuditEvent.objects.get(app=app).created_at.isoformat()
    sent = deliveries(app, WebhookTopic.APP_SUSPENDED)
    assert [delivery.payload for delivery in sent] == [
        {
            "id": sent[0].event_id,
            "type": "app.suspended",
            "created_at": suspended_at,
            "app_id": app.client_id,
            "data": {
                "reason": "Phishing reports.",
                "suspended_at": suspended_at,
                "tokens_revoked": 1,
            },
        }
    ]


def test_a_refused_suspension_records_no_event(admin_user):
    app = factories.PartnerAppFactory()
    subscribe(app)

    with pytest.raises(DomainError):
        app_suspend(app_id=app.pk, acting_user=admin_user, reason="  ")

    assert WebhookDelivery.objects.count() == 0
