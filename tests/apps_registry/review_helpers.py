"""Arrangement helpers for the review-workflow tests (services, admin, browser)."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

from apps_registry.models import AccessRequest, Membership, ReviewEvent
from apps_registry.services import access_requests, reviews
from apps_registry.services.reviewers import catalog_managers_group, reviewers_group
from tests import factories

ANSWERS = {
    "data_usage": "We answer buyer messages from our help desk.",
    "justification": "Only this scope exposes the conversations.",
    "endpoints_used": "GET /customer_service/202309/conversations",
    "data_protection": "Encrypted at rest, deleted after 90 days.",
    "demo_url": "https://app.example.com/demo",
}


def make_reviewer(**kwargs):
    """Staff in the Reviewers group (the review permission comes from the group)."""
    user = factories.UserFactory(is_staff=True, **kwargs)
    user.groups.add(reviewers_group())
    return user


def make_catalog_manager(**kwargs):
    """Staff in the Catalog managers group (the catalog permission comes from the group)."""
    user = factories.UserFactory(is_staff=True, **kwargs)
    user.groups.add(catalog_managers_group())
    return user


def make_member(partner):
    return factories.MembershipFactory(partner=partner).user


def make_request(*, status=AccessRequest.Status.SUBMITTED, **kwargs) -> AccessRequest:
    """An application in any status, with its partner's member as the submitter."""
    app = kwargs.pop("app", None) or factories.PartnerAppFactory()
    kwargs.setdefault("submitted_by", make_member(app.partner))
    if status in (AccessRequest.Status.APPROVED, AccessRequest.Status.REVOKED):
        kwargs.setdefault("decided_at", timezone.now())
        kwargs.setdefault("approval_expires_at", timezone.now() + timedelta(days=365))
    return factories.AccessRequestFactory(app=app, status=status, **kwargs)


def make_first_approved(reviewer) -> AccessRequest:
    """A dual-approval application `reviewer` approved first, then took again (as for a second)."""
    access_request = make_request(
        status=AccessRequest.Status.IN_REVIEW,
        assigned_to=reviewer,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )
    reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)
    access_request.refresh_from_db()
    return access_request


def ask_about_data_protection_and_resubmit(
    access_request: AccessRequest, *, reviewer, revised: str, acting_user=None, **resubmit
) -> None:
    """One round on an in-review application assigned to `reviewer`: they ask how long data is
    kept (a comment on the data-protection answer) and the partner resubmits with `revised`."""
    reviews.access_request_request_changes(
        request_id=access_request.pk,
        reviewer=reviewer,
        comment="Say how long you keep data.",
        field_comments={"data_protection": "Retention period?"},
    )
    access_requests.access_request_resubmit(
        request_id=access_request.pk,
        answers={"data_protection": revised},
        acting_user=acting_user or access_request.submitted_by,
        **resubmit,
    )


def snapshot(access_request: AccessRequest) -> dict:
    """What a refused action must leave untouched."""
    access_request.refresh_from_db()
    return {
        "status": access_request.status,
        "version": access_request.version,
        "assigned_to": access_request.assigned_to_id,
        "first_approved_by": access_request.first_approved_by_id,
        "decided_by": access_request.decided_by_id,
        "events": ReviewEvent.objects.filter(request=access_request).count(),
        "outbox": len(mail.outbox),
    }


def make_access_token(*, app, user, scope: str, raw: str) -> AccessToken:
    """A DOT access token (+ refresh token) stored the way DOT stores them (hashed at rest)."""
    token = AccessToken(
        user=user, application=app, scope=scope, expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(token, raw)
    token.save()
    refresh = RefreshToken(user=user, application=app, access_token=token)
    set_token_value(refresh, f"refresh-{raw}")
    refresh.save()
    return token


def member_emails(partner) -> list[str]:
    return sorted(Membership.objects.filter(partner=partner).values_list("user__email", flat=True))
