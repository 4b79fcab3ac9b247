"""Owner-scoped reads for the partner console and its API.

Everything a partner can reach is found through the user's membership: another organisation's
app, request, member or invitation is indistinguishable from one that does not exist (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from apps_registry.business_days import add_business_days
from apps_registry.events import review as review_events
from apps_registry.hashers import invitation_token_hash
from apps_registry.models import (
    AccessRequest,
    AppScope,
    ClientAuthFailure,
    Invitation,
    Membership,
    Partner,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
)
from apps_registry.selectors._membership import is_member_of_app
from apps_registry.selectors.access_requests import WAITING_ON_REVIEWER_STATUSES
from scopes.models import Scope
from scopes.selectors import scope_text_filter

# --- Organisation -------------------------------------------------------------------------------


def membership_for_user(*, user: AbstractBaseUser) -> Membership | None:
    """The user's membership (a user belongs to at most one organisation), or None."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("partner").filter(user_id=user.pk).first()


def partner_for_user(*, user: AbstractBaseUser) -> Partner | None:
    membership = membership_for_user(user=user)
    return membership.partner if membership else None


def members_for_partner(*, partner: Partner) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(partner=partner)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def membership_get_for_user(*, user: AbstractBaseUser, membership_id: int) -> Membership | None:
    """A membership of the user's own organisation, else None."""
    return Membership.objects.filter(
        partner__memberships__user_id=user.pk, pk=membership_id
    ).first()


def pending_invitations_for_partner(*, partner: Partner) -> QuerySet[Invitation]:
    return Invitation.objects.pending().filter(partner=partner).select_related("invited_by")


def invitation_get_for_user(*, user: AbstractBaseUser, invitation_id: int) -> Invitation | None:
    """An invitation of the user's own organisation, else None."""
    return Invitation.objects.filter(
        partner__memberships__user_id=user.pk, pk=invitation_id
    ).first()


def invitation_get_by_token(*, raw_token: str) -> Invitation | None:
    """The invitation a link's token belongs to (whatever its state), or None."""
    return (
        Invitation.objects.select_related("partner", "invited_by")
        .filter(token_hash=invitation_token_hash(raw_token))
        .first()
    )


# --- Apps ---------------------------------------------------------------------------------------


def apps_for_user(*, user: AbstractBaseUser) -> QuerySet[PartnerApp]:
    """The apps of the user's organisation, newest first; none, in that order, for an anonymous
    user."""
    apps = (
        PartnerApp.objects.filter(partner__memberships__user_id=user.pk)
        .select_related("partner")
        .order_by("-created", "-pk")
    )
    return apps if user.is_authenticated else apps.none()


def app_get_for_user(*, user: AbstractBaseUser, app_id: int) -> PartnerApp | None:
    """One app of the user's organisation, else None."""
    return apps_for_user(user=user).filter(pk=app_id).first()


APP_ACTIVITY_LIMIT = 20


def app_activity_for_user(
    *, user: AbstractBaseUser, app_id: int, limit: int = APP_ACTIVITY_LIMIT
) -> list[PartnerAuditEvent]:
    """The latest audit events of one app of the user's organisation, newest first, in one query.

    Another organisation's app yields nothing (its page is a 404 before this is asked).
    """
    if not user.is_authenticated:
        return []
    return list(
        PartnerAuditEvent.objects.filter(is_member_of_app(user=user, app_id=app_id), app_id=app_id)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


CLIENT_AUTH_FAILURE_PERIOD = timedelta(hours=24)
CLIENT_AUTH_FAILURE_ADDRESS_LIMIT = 20


@dataclass(frozen=True)
class ClientAuthFailureSummary:
    """Failed client authentications of one app in the last 24 hours: in all, and by address."""

    total: int
    by_address: list[dict]  # address, failures, last_seen_at; most recently seen first


def client_auth_failures_for_user(
    *, user: AbstractBaseUser, app_id: int, limit: int = CLIENT_AUTH_FAILURE_ADDRESS_LIMIT
) -> ClientAuthFailureSummary:
    """One app of the user's organisation: its failed client authentications in the last 24
    hours. Another organisation's app yields nothing (its page is a 404 before this is asked)."""
    if not user.is_authenticated:
        return ClientAuthFailureSummary(total=0, by_address=[])
    since = timezone.now() - CLIENT_AUTH_FAILURE_PERIOD
    # Counted by the hour: an hour with a failure since `since` counts whole.
    rows = ClientAuthFailure.objects.filter(
        is_member_of_app(user=user, app_id=app_id), app_id=app_id, last_seen_at__gt=since
    )
    by_address = list(
        rows.values("address")
        .annotate(failures=Sum("count"), last_seen_at=Max("last_seen_at"))
        .order_by("-last_seen_at", "address")[:limit]
    )
    if len(by_address) < limit:
        total = sum(row["failures"] for row in by_address)
    else:  # more addresses than shown: count them all
        total = rows.aggregate(total=Sum("count"))["total"]
    return ClientAuthFailureSummary(total=total, by_address=by_address)


def requested_scopes_for_app(*, app: PartnerApp) -> QuerySet[AppScope]:
    return app.requested_scopes.select_related("scope").order_by("scope__position", "scope__key")


# --- Access requests ----------------------------------------------------------------------------


def access_requests_for_user(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """Every Custom-scope application of the user's organisation, newest first (a stable order,
    so pages never repeat or skip a row; none, in that order, for an anonymous user)."""
    access_requests = (
        AccessRequest.objects.filter(app__partner__memberships__user_id=user.pk)
        .select_related("app", "scope")
        .order_by("-submitted_at", "-pk")
    )
    return access_requests if user.is_authenticated else access_requests.none()


def applications_for_user(*, user: AbstractBaseUser) -> QuerySet[AccessRequest]:
    """The Applications page's rows: `access_requests_for_user`, each annotated
    `has_newer_application` (a later one for the same app and scope exists, so an old row's
    "apply again" no longer applies)."""
    newer = AccessRequest.objects.filter(
        app_id=OuterRef("app_id"), scope_id=OuterRef("scope_id"), pk__gt=OuterRef("pk")
    )
    return access_requests_for_user(user=user).annotate(has_newer_application=Exists(newer))


def access_requests_for_app(*, app: PartnerApp) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(app=app).select_related("scope")


def access_request_get_for_user(*, user: AbstractBaseUser, request_id: int) -> AccessRequest | None:
    """One application of the user's organisation with the events its partner sees prefetched
    (events.review.partner_visible_events: the page and the API show no internal step), else
    None."""
    events = review_events.partner_visible_events(ReviewEvent.objects.all())
    return (
        access_requests_for_user(user=user)
        .prefetch_related(Prefetch("events", queryset=events), "scope__endpoints")
        .filter(pk=request_id)
        .first()
    )


def active_application_for_app_scope(*, app: PartnerApp, scope: Scope) -> AccessRequest | None:
    """The app's application for the scope that blocks a new one (open, or a live approval),
    else None. `app` must come from an owner-scoped selector."""
    blocking = AccessRequest.objects.filter(
        app=app, scope=scope, status__in=AccessRequest.ACTIVE_STATUSES
    ).first()
    if blocking is None or blocking.effective_status() == AccessRequest.Status.EXPIRED:
        # An approval past its end gives way on the next application (access_request_submit).
        return None
    return blocking


def expected_decision_date(access_request: AccessRequest) -> date | None:
    """When an application waiting on reviewers should be decided: the review target after its
    last submission.

    A resubmission restarts the clock; an application waiting on the partner (changes requested)
    or closed has no expected date.
    """
    if access_request.status not in WAITING_ON_REVIEWER_STATUSES:
        return None
    last_submission = access_request.submitted_at
    for event in access_request.events.all():
        if event.action == ReviewEvent.Action.RESUBMIT and event.created_at > last_submission:
            last_submission = event.created_at
    return add_business_days(
        timezone.localdate(last_submission), settings.REVIEW_TARGET_BUSINESS_DAYS
    )


def reviewer_field_comments(access_request: AccessRequest) -> dict[str, str]:
    """The reviewer's per-answer comments from the latest request for changes, while it is open."""
    if access_request.status != AccessRequest.Status.CHANGES_REQUESTED:
        return {}
    latest = review_events.latest_changes_request(access_request.events.all())
    return review_events.partner_timeline_entry(latest).field_comments if latest else {}


# --- Manage API: every scope and its status for one app ----------------------------------------


@dataclass(frozen=True)
class ScopeStatus:
    """One row of the Manage API page: a catalog scope as it stands for one app."""

    scope: Scope
    status: str
    label: str
    badge: str
    endpoint_count: int
    latest_request: AccessRequest | None = None
    requested: AppScope | None = None
    # Whether the row matches the search and filters it was read with (see app_scope_catalog).
    matches: bool = True

    @property
    def requirement(self) -> str:
        """How the app asks sellers for the scope now: "required", "optional" or ""."""
        if self.requested is None:
            return ""
        return "required" if self.requested.is_required else "optional"

    @property
    def is_available(self) -> bool:
        return self.status in ("available", "approved")

    @property
    def can_apply(self) -> bool:
        return self.scope.is_custom and self.status in (
            "not_applied",
            "rejected",
            "revoked",
            "expired",
            "withdrawn",
        )

    @property
    def approval_expires_at(self) -> datetime | None:
        return self.latest_request.approval_expires_at if self.status == "approved" else None

    @property
    def reason(self) -> str:
        """The reviewer's written reason, for rejected and revoked applications."""
        if self.latest_request and self.status in ("rejected", "revoked"):
            return self.latest_request.decision_reason
        return ""


@dataclass
class ScopeGroup:
    name: str
    rows: list[ScopeStatus] = field(default_factory=list)


_STATUS_BADGES = {
    "available": ("Available", "badge-public"),
    "not_applied": ("Apply to use", "badge-neutral"),
    AccessRequest.Status.SUBMITTED: ("Submitted", "badge-custom"),
    AccessRequest.Status.IN_REVIEW: ("In review", "badge-custom"),
    AccessRequest.Status.CHANGES_REQUESTED: ("Changes requested", "badge-danger"),
    AccessRequest.Status.APPROVED: ("Approved", "badge-ok"),
    AccessRequest.Status.REJECTED: ("Rejected", "badge-danger"),
    AccessRequest.Status.WITHDRAWN: ("Withdrawn", "badge-neutral"),
    AccessRequest.Status.REVOKED: ("Revoked", "badge-danger"),
    AccessRequest.Status.EXPIRED: ("Expired", "badge-neutral"),
}


def scope_status_for_app(
    *, scope: Scope, latest_request: AccessRequest | None, now: datetime
) -> str:
    """The status key of one scope for an app (see _STATUS_BADGES)."""
    if not scope.is_custom:
        return "available"
    if latest_request is None:
        return "not_applied"
    return latest_request.effective_status(now=now)


def app_scope_statuses(
    *, app: PartnerApp, query: str = "", group: str = "", status: str = ""
) -> list[ScopeGroup]:
    """The active catalog scopes matching the search and filters, with their status for the app,
    grouped in catalog order (groups without a match are left out).

    `query` is the catalog's search: a scope's key or name, the path or title of an endpoint it
    unlocks, or a pasted call to such an endpoint.
    """
    matching = (
        ScopeGroup(name=scope_group.name, rows=[row for row in scope_group.rows if row.matches])
        for scope_group in app_scope_catalog(app=app, query=query, group=group, status=status)
    )
    return [scope_group for scope_group in matching if scope_group.rows]


def app_scope_catalog(
    *, app: PartnerApp, query: str = "", group: str = "", status: str = ""
) -> list[ScopeGroup]:
    """Every active catalog scope with its status for the app, grouped in catalog order, each row
    marked with whether it `matches` the search and filters (as `app_scope_statuses` reads them).

    The Manage API page lists the matches but counts a whole group's choices. Three queries,
    whatever the catalog's size or the search.
    """
    scopes = Scope.objects.filter(is_active=True).annotate(
        endpoint_count=Count("endpoints", distinct=True)
    )
    query = query.strip()
    if query:
        scopes = scopes.annotate(
            matches_query=Case(
                When(scope_text_filter(query), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    latest_requests: dict[int, AccessRequest] = {}
    for access_request in AccessRequest.objects.filter(app=app).order_by(
        "scope_id", "-submitted_at", "-pk"
    ):
        latest_requests.setdefault(access_request.scope_id, access_request)
    requested = {row.scope_id: row for row in app.requested_scopes.all()}
    now = timezone.now()
    groups: dict[str, ScopeGroup] = {}
    for scope in scopes.order_by("position", "key"):
        latest = latest_requests.get(scope.pk)
        key = scope_status_for_app(scope=scope, latest_request=latest, now=now)
        label, badge = _STATUS_BADGES[key]
        groups.setdefault(scope.group, ScopeGroup(name=scope.group)).rows.append(
            ScopeStatus(
                scope=scope,
                status=str(key),
                label=label,
                badge=badge,
                endpoint_count=scope.endpoint_count,
                latest_request=latest,
                requested=requested.get(scope.pk),
                matches=(not query or scope.matches_query)
                and (not group or scope.group == group)
                and (not status or key == status),
            )
        )
    return list(groups.values())


def scope_get_for_application(*, key: str) -> Scope | None:
    """An active Custom scope a partner may apply for, else None."""
    return (
        Scope.objects.prefetch_related("endpoints")
        .filter(key=key, kind=Scope.Kind.CUSTOM, is_active=True)
        .first()
    )
