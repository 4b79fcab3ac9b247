"""Making a Public scope Custom never silently cuts off apps already using it: they get an approval
for a grace period, recorded as the platform's, and their partners are told by e-mail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps_registry.models import AccessRequest, AppScope, ReviewEvent
from apps_registry.services.apps import app_set_requested_scopes
from apps_registry.services.catalog import catalog_scope_edit
from core.errors import DomainError
from scopes.errors import CatalogPermissionError
from scopes.models import CatalogEvent, Scope
from tests import factories
from tests.apps_registry.review_helpers import (
    make_catalog_manager,
    make_request,
    make_reviewer,
    member_emails,
)
from tests.concurrency import backend_pid, hold_until_blocked_or_finished, race

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status


@pytest.fixture
def public_scope() -> Scope:
    return factories.ScopeFactory(key="seller.widgets.read", kind=Scope.Kind.PUBLIC)


def test_tightening_grants_apps_using_the_scope_a_grace_approval_and_mails_their_owners(
    public_scope, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.CATALOG_TIGHTENING_GRACE_DAYS = 30
    selected = factories.AppScopeFactory(scope=public_scope).app
    authorized = factories.ShopAuthorizationFactory(scopes=[public_scope]).app
    revoked = factories.ShopAuthorizationFactory(
        scopes=[public_scope], revoked_at=timezone.now()
    ).app
    unrelated = factories.AppScopeFactory().app
    for app in (selected, authorized, revoked, unrelated):
        factories.MembershipFactory(partner=app.partner)
    manager = make_catalog_manager()
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        result = catalog_scope_edit(
            scope_id=public_scope.pk, changes={"kind": "custom"}, actor=manager
        )

    assert result.tightened is True
    public_scope.refresh_from_db()
    assert public_scope.kind == Scope.Kind.CUSTOM
    grants = AccessRequest.objects.filter(scope=public_scope).order_by("app_id")
    assert [grant.app for grant in grants] == [selected, authorized]
    for grant in grants:
        assert (grant.status, grant.submitted_by) == (Status.APPROVED, None)
        assert grant.is_live_approval()
        assert before + timedelta(days=30) <= grant.approval_expires_at
        assert grant.approval_expires_at <= timezone.now() + timedelta(days=30)
        event = ReviewEvent.objects.get(request=grant)
        assert (event.action, event.actor, event.to_status) == (
            ReviewEvent.Action.APPROVE,
            None,
            Status.APPROVED,
        )
        assert event.details["grace_after_tightening"] is True
        assert event.details["tightened_by"] == manager.pk
    assert sorted(email for message in mailoutbox for email in message.to) == sorted(
        member_emails(selected.partner) + member_emails(authorized.partner)
    )
    assert {message.subject for message in mailoutbox} == {
        f"Now a Custom scope: seller.widgets.read for {selected.name}",
        f"Now a Custom scope: seller.widgets.read for {authorized.name}",
    }
    assert "keeps access until" in mailoutbox[0].body


def test_the_partner_sees_the_grace_approval_as_the_platforms_not_a_staff_members(
    public_scope, client
):
    member = factories.MembershipFactory()
    app = factories.AppScopeFactory(scope=public_scope, app__partner=member.partner).app
    manager = make_catalog_manager()
    catalog_scope_edit(scope_id=public_scope.pk, changes={"kind": "custom"}, actor=manager)
    grant = AccessRequest.objects.get(app=app, scope=public_scope)
    client.force_login(member.user)

    page = client.get(f"/console/requests/{grant.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "by the platform, when the scope began to need an approval" in text
    assert manager.email not in text


def test_tightening_leaves_an_app_that_already_holds_an_approval_alone(public_scope):
    app = factories.AppScopeFactory(scope=public_scope).app
    existing = make_request(app=app, scope=public_scope, status=Status.APPROVED)

    catalog_scope_edit(
        scope_id=public_scope.pk, changes={"kind": "custom"}, actor=make_catalog_manager()
    )

    assert list(AccessRequest.objects.filter(scope=public_scope)) == [existing]


def test_reviewer_cannot_tighten_a_scope_and_nothing_is_granted(
    public_scope, django_capture_on_commit_callbacks, mailoutbox
):
    factories.AppScopeFactory(scope=public_scope)
    before = {
        "kind": public_scope.kind,
        "requests": AccessRequest.objects.count(),
        "events": CatalogEvent.objects.count(),
    }

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CatalogPermissionError),
    ):
        catalog_scope_edit(
            scope_id=public_scope.pk, changes={"kind": "custom"}, actor=make_reviewer()
        )

    public_scope.refresh_from_db()
    assert {
        "kind": public_scope.kind,
        "requests": AccessRequest.objects.count(),
        "events": CatalogEvent.objects.count(),
    } == before
    assert mailoutbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_app_cannot_select_a_scope_as_public_while_it_turns_custom():
    """The catalog manager's edit holds the scope while grace approvals are granted; an app that
    chooses the scope meanwhile waits, then sees it Custom and is refused (PostgreSQL locks)."""
    scope = factories.ScopeFactory(key="seller.widgets.read", kind=Scope.Kind.PUBLIC)
    app = factories.PartnerAppFactory()
    member = factories.MembershipFactory(partner=app.partner).user
    manager = make_catalog_manager()
    app_pid: list[int] = []
    ready, tightened, finished = threading.Event(), threading.Event(), threading.Event()

    def tighten():
        with transaction.atomic():
            catalog_scope_edit(scope_id=scope.pk, changes={"kind": "custom"}, actor=manager)
            tightened.set()
            ready.wait(10)
            # Commit only once the app's save waits behind this edit (or has finished).
            hold_until_blocked_or_finished(app_pid[0], finished)

    def choose():
        app_pid.append(backend_pid())
        ready.set()
        tightened.wait(10)
        try:
            return app_set_requested_scopes(
                app=app, selections={scope.key: True}, acting_user=member
            )
        finally:
            finished.set()

    outcomes = race(tighten, choose, expected_errors=DomainError)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], DomainError)
    assert str(outcomes[1]) == (
        "These scopes are not available to this app: seller.widgets.read. "
        "Custom scopes need an approved application first."
    )
    assert not AppScope.objects.filter(app=app).exists()
    assert not AccessRequest.objects.filter(app=app).exists()
    scope.refresh_from_db()
    assert scope.kind == Scope.Kind.CUSTOM
