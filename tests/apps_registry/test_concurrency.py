"""Races on one application, with real threads and connections (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import transaction

from apps_registry.models import AccessRequest, AuthorizationEvent, ReviewEvent, ShopAuthorization
from apps_registry.services import access_requests, reviews
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_shop
from core.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from tests import factories
from tests.apps_registry.review_helpers import make_request, make_reviewer
from tests.concurrency import backend_pid, hold_until_blocked_or_finished, race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = AccessRequest.Status
ROUNDS = 5


def test_racing_approve_and_reject_make_exactly_one_decision():
    reviewer = make_reviewer()
    for _ in range(ROUNDS):
        access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
        mail.outbox.clear()

        outcomes = race(
            lambda r=access_request: reviews.access_request_approve(
                request_id=r.pk, reviewer=reviewer
            ),
            lambda r=access_request: reviews.access_request_reject(
                request_id=r.pk, reviewer=reviewer, reason="No."
            ),
            expected_errors=DomainError,
        )

        won = [outcome for outcome in outcomes if isinstance(outcome, AccessRequest)]
        lost = [outcome for outcome in outcomes if isinstance(outcome, InvalidTransitionError)]
        assert (len(won), len(lost)) == (1, 1)
        access_request.refresh_from_db()
        assert access_request.status == won[0].status
        assert access_request.version == 2
        assert ReviewEvent.objects.filter(request=access_request).count() == 1
        assert len(mail.outbox) == 1


def test_a_double_submitted_approval_makes_one_event_and_one_mail():
    reviewer = make_reviewer()
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)

    def approve():
        return reviews.access_request_approve(
            request_id=access_request.pk, reviewer=reviewer, expected_version=access_request.version
        )

    outcomes = race(approve, approve, expected_errors=DomainError)

    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "AccessRequest",
        "StaleAccessRequestError",
    ]
    access_request.refresh_from_db()
    assert access_request.status == Status.APPROVED
    assert list(
        ReviewEvent.objects.filter(request=access_request).values_list("action", flat=True)
    ) == [ReviewEvent.Action.APPROVE]
    assert len(mail.outbox) == 1


def test_racing_submissions_for_one_scope_create_one_request():
    first = make_request(status=Status.WITHDRAWN)
    app, scope = first.app, first.scope
    member = first.submitted_by
    answers = {field: getattr(first, field) for field in AccessRequest.ANSWER_FIELDS}

    def submit():
        return access_requests.access_request_submit(
            app=app, scope=scope, answers=answers, acting_user=member
        )

    outcomes = race(submit, submit, expected_errors=DomainError)

    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "AccessRequest",
        "InvalidTransitionError",
    ]
    assert AccessRequest.objects.filter(app=app, scope=scope, status=Status.SUBMITTED).count() == 1


def test_a_seller_disconnecting_while_the_platform_withdraws_leaves_one_consistent_history():
    """Both lock the authorization first: whichever comes second sees what the first left."""
    reviewer = make_reviewer()
    action = AuthorizationEvent.Action
    for _ in range(ROUNDS):
        access_request = make_request(status=Status.APPROVED)
        app, custom = access_request.app, access_request.scope
        public = factories.ScopeFactory()
        authorization = factories.ShopAuthorizationFactory(app=app, scopes=[public, custom])
        shop = authorization.shop

        outcomes = race(
            lambda r=access_request: reviews.access_request_revoke(
                request_id=r.pk, reviewer=reviewer, reason="Misuse."
            ),
            lambda a=app, s=shop: authorization_revoke_shop(seller=s.owner, app=a, shop=s),
            expected_errors=DomainError,
        )

        assert not any(isinstance(outcome, DomainError) for outcome in outcomes)
        authorization.refresh_from_db()
        assert authorization.revoked_at is not None
        history = [
            (event.action, event.scope_keys)
            for event in AuthorizationEvent.objects.filter(app=app).order_by("pk")
        ]
        platform_first = [
            (action.PLATFORM_REVOKE, [custom.key]),
            (action.REVOKE_SHOP, [public.key]),
        ]
        seller_first = [(action.REVOKE_SHOP, sorted([public.key, custom.key]))]
        assert history in (platform_first, seller_first)


@pytest.mark.parametrize("already_granted", [False, True], ids=["first-consent", "renewal"])
def test_a_seller_consenting_while_the_approval_is_revoked_does_not_keep_the_scope(
    already_granted,
):
    """The revocation commits only once the grant has run or is waiting for it: a grant that read
    the approval as live before the revocation committed would keep the Custom scope."""
    reviewer = make_reviewer()
    access_request = make_request(status=Status.APPROVED)
    app, custom = access_request.app, access_request.scope
    public = factories.ScopeFactory()
    for scope in (public, custom):
        factories.AppScopeFactory(app=app, scope=scope, is_required=False)
    shop = factories.ShopFactory()
    if already_granted:
        factories.ShopAuthorizationFactory(app=app, shop=shop, scopes=[public, custom])
    revoked, grant_pid, grant_finished = threading.Event(), [], threading.Event()

    def revoke_and_hold_the_transaction():
        with transaction.atomic():
            outcome = reviews.access_request_revoke(
                request_id=access_request.pk, reviewer=reviewer, reason="Misuse."
            )
            revoked.set()
            hold_until_blocked_or_finished(grant_pid[0], grant_finished)
        return outcome

    def grant_once_revoked():
        grant_pid.append(backend_pid())
        revoked.wait(timeout=10)
        try:
            return authorization_grant(
                seller=shop.owner,
                app=app,
                shops=[shop],
                scope_keys=[public.key, custom.key],
                duration_days=90,
            )
        finally:
            grant_finished.set()

    revoke_outcome, grant_outcome = race(
        revoke_and_hold_the_transaction, grant_once_revoked, expected_errors=DomainError
    )

    assert isinstance(revoke_outcome, AccessRequest)
    assert isinstance(grant_outcome, PermissionRefusedError)
    assert str(grant_outcome) == f"{app.name} may not ask for: {custom.key}."
    assert not ShopAuthorization.objects.filter(app=app, scopes=custom).exists()
    history = [
        (event.action, event.scope_keys)
        for event in AuthorizationEvent.objects.filter(app=app).order_by("pk")
    ]
    platform_revoke = (AuthorizationEvent.Action.PLATFORM_REVOKE, [custom.key])
    assert history == ([platform_revoke] if already_granted else [])
    assert list(
        ReviewEvent.objects.filter(request=access_request).values_list("action", flat=True)
    ) == [ReviewEvent.Action.REVOKE]
