"""The admin's lists and the application's pages at scale: each runs the same number of queries
however many rows, events, attachments and approvals it shows (no query per row), under every
filter and a search, and counts at most what it shows (ADR 0021)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db.models import Q
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from oauth2_provider.models import Grant, IDToken

from apps_registry.models import AccessRequest, AccessRequestAttachment, Membership
from apps_registry.selectors.access_requests import WAITING_ON_REVIEWER_STATUSES
from apps_registry.services import app_status, reviews
from tests import factories
from tests.apps_registry.review_helpers import (
    ask_about_data_protection_and_resubmit,
    make_access_token,
    make_first_approved,
    make_member,
    make_request,
    make_reviewer,
)
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
# The queue and the review history: the session, the reviewer, their second factor, their
# permissions (the user's and the group's), the capped count and the page's rows; the queue also
# lists the Custom scopes and their groups for its filters.
QUEUE_QUERIES = 9
HISTORY_QUERIES = 7
# What the date filter's "Any date" to "This year" links pass, from one start.
SINCE_2000 = "2000-01-01 00:00:00+00:00"


def changelist(model: str) -> str:
    return reverse(f"admin:apps_registry_{model}_changelist")


def assert_same_queries_at_one_and_many(
    client, url, params, *, queries: int, add_one, add_many, django_assert_num_queries
) -> None:
    """The page at `url` runs exactly `queries` queries with one of what `add_one` adds, and
    again once `add_many` has added more, and lists every row it matches at both sizes."""
    add_one()
    client.get(url, params)  # the session's and the content types' first reads
    with django_assert_num_queries(queries):
        few = client.get(url, params)
    add_many()
    with django_assert_num_queries(queries):
        many = client.get(url, params)

    assert few.status_code == many.status_code == 200
    assert 1 <= few.context["cl"].result_count < many.context["cl"].result_count
    assert len(many.context["cl"].result_list) == many.context["cl"].result_count


# --- The review queue and its history -----------------------------------------------------------


@dataclass(frozen=True)
class QueueRows:
    """Applications in every state the queue shows, on two shared Custom scopes of one group."""

    plain_scope: object
    dual_scope: object

    def add_round(self) -> None:
        old = timezone.now() - timedelta(days=60)
        first_approver = make_reviewer()
        make_request(scope=self.plain_scope, app=factories.PartnerAppFactory(name="Helpdesk"))
        make_request(scope=self.plain_scope, submitted_at=old)  # overdue
        make_request(scope=self.plain_scope, status=Status.IN_REVIEW, assigned_to=make_reviewer())
        make_request(scope=self.plain_scope, status=Status.CHANGES_REQUESTED)
        make_request(scope=self.plain_scope, status=Status.APPROVED)
        for status in (Status.REJECTED, Status.WITHDRAWN, Status.REVOKED, Status.EXPIRED):
            make_request(scope=self.plain_scope, status=status)
        halfway = make_request(
            scope=self.dual_scope, status=Status.IN_REVIEW, assigned_to=first_approver
        )
        reviews.access_request_approve(request_id=halfway.pk, reviewer=first_approver)


@pytest.fixture
def queue_rows() -> QueueRows:
    return QueueRows(
        plain_scope=factories.CustomScopeFactory(group="Finance"),
        dual_scope=factories.CustomScopeFactory(group="Finance", requires_dual_approval=True),
    )


QUEUE_FILTERS = [
    {},
    *({"status__exact": status} for status in Status.values),
    {"age": "on_target"},
    {"age": "overdue"},
    {"scope_group": "Finance"},
    {"q": "Helpdesk"},
]


@pytest.mark.parametrize(
    "params",
    QUEUE_FILTERS,
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()) or "all",
)
def test_the_queue_runs_the_same_queries_at_one_and_many_rows_under_every_filter(
    client, reviewer, queue_rows, params, django_assert_num_queries
):
    assert_same_queries_at_one_and_many(
        client,
        changelist("accessrequest"),
        params,
        queries=QUEUE_QUERIES,
        add_one=queue_rows.add_round,
        add_many=lambda: [queue_rows.add_round() for _ in range(3)],
        django_assert_num_queries=django_assert_num_queries,
    )


def test_the_queue_filtered_by_scope_runs_the_same_queries_at_one_and_many_rows(
    client, reviewer, queue_rows, django_assert_num_queries
):
    assert_same_queries_at_one_and_many(
        client,
        changelist("accessrequest"),
        {"scope__id__exact": queue_rows.plain_scope.pk},
        queries=QUEUE_QUERIES,
        add_one=queue_rows.add_round,
        add_many=lambda: [queue_rows.add_round() for _ in range(3)],
        django_assert_num_queries=django_assert_num_queries,
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"action__exact": "first_approval"}, {"created_at__gte": SINCE_2000}, {"q": "App"}],
    ids=["all", "action", "date", "search"],
)
def test_the_review_history_runs_the_same_queries_at_one_and_many_events(
    client, reviewer, params, django_assert_num_queries
):
    assert_same_queries_at_one_and_many(
        client,
        changelist("reviewevent"),
        params,
        queries=HISTORY_QUERIES,
        add_one=lambda: make_first_approved(make_reviewer()),
        add_many=lambda: [make_first_approved(make_reviewer()) for _ in range(5)],
        django_assert_num_queries=django_assert_num_queries,
    )


# --- The application's pages --------------------------------------------------------------------


def attach_file(access_request: AccessRequest, n: int) -> None:
    AccessRequestAttachment.objects.create(
        access_request=access_request,
        file=f"elsewhere/{n}.pdf",
        original_name=f"{n}.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
        uploaded_by=access_request.submitted_by,
    )


def add_history(access_request: AccessRequest, reviewer, *, rounds: int) -> None:
    """`rounds` rounds of changes asked for and resubmitted, each with a file, another request of
    the app and a scope it asks for, then taken back by `reviewer`."""
    for _ in range(rounds):
        n = access_request.attachments.count()
        ask_about_data_protection_and_resubmit(
            access_request, reviewer=reviewer, revised=f"Deleted after {n + 30} days."
        )
        attach_file(access_request, n)
        make_request(app=access_request.app, status=Status.REJECTED)
        factories.AppScopeFactory(app=access_request.app)
        reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)


@pytest.mark.parametrize(
    ("page_name", "queries"),
    [("change", 20), ("approve", 15), ("request-changes", 15), ("reject", 15)],
)
def test_the_application_pages_run_the_same_queries_at_one_and_many_events(
    client, reviewer, page_name, queries, django_assert_num_queries
):
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    url = (
        reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])
        if page_name == "change"
        else reverse(
            "admin:apps_registry_accessrequest_decide", args=[access_request.pk, page_name]
        )
    )
    add_history(access_request, reviewer, rounds=1)
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200

    add_history(access_request, reviewer, rounds=4)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# --- Partners, apps, shops and their history ----------------------------------------------------


def add_partner(staff) -> None:
    """A verified partner with an app, two members and its audit trail."""
    partner = factories.MembershipFactory().partner
    make_member(partner)
    factories.PartnerAppFactory(partner=partner, name=f"Helpdesk for {partner.name}")
    app_status.partner_set_verified(partner_id=partner.pk, acting_user=staff, verified=True)


def add_authorization(staff) -> None:
    factories.ShopAuthorizationFactory(
        shop=factories.ShopFactory(name="Corner Shop"),
        app=factories.PartnerAppFactory(name="Helpdesk"),
        scopes=[factories.ScopeFactory(), factories.ScopeFactory()],
    )


def add_person(staff) -> None:
    factories.UserFactory(first_name="Sam")


def add_credentials(staff) -> None:
    """A seller's tokens (access, refresh, ID), a grant, a verified email address, an
    authenticator app, and a task result."""
    seller = factories.UserFactory()
    app = factories.PartnerAppFactory(name="Helpdesk")
    make_access_token(app=app, user=seller, scope="read", raw=f"token-{seller.pk}")
    expires = timezone.now() + timedelta(minutes=5)
    Grant.objects.create(
        user=seller, application=app, code=f"code-{seller.pk}", expires=expires, redirect_uri="/"
    )
    IDToken.objects.create(user=seller, application=app, expires=expires)
    EmailAddress.objects.create(user=seller, email=seller.email, verified=True, primary=True)
    TOTP.activate(seller, generate_totp_secret())
    DBTaskResult.objects.create(
        status=TaskResultStatus.SUCCESSFUL,
        task_path="apps_registry.mail.send_email",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
    )


# The session, the user and their second factor; the capped count; the page's rows; and for
# people, the groups their filter offers.
STAFF_LISTS = [
    ("apps_registry_partner", {}, add_partner, 5),
    ("apps_registry_partner", {"is_verified__exact": "1"}, add_partner, 5),
    ("apps_registry_partner", {"q": "Partner"}, add_partner, 5),
    ("apps_registry_partnerapp", {}, add_partner, 5),
    ("apps_registry_partnerapp", {"status__exact": "live"}, add_partner, 5),
    ("apps_registry_partnerapp", {"category__exact": "other"}, add_partner, 5),
    ("apps_registry_partnerapp", {"partner__is_verified__exact": "1"}, add_partner, 5),
    ("apps_registry_partnerapp", {"q": "Helpdesk"}, add_partner, 5),
    ("apps_registry_partnerauditevent", {}, add_partner, 5),
    ("apps_registry_partnerauditevent", {"action__exact": "partner_verified"}, add_partner, 5),
    ("apps_registry_partnerauditevent", {"created_at__gte": SINCE_2000}, add_partner, 5),
    ("apps_registry_partnerauditevent", {"q": "Partner"}, add_partner, 5),
    ("apps_registry_shop", {}, add_authorization, 5),
    ("apps_registry_shop", {"q": "GB"}, add_authorization, 5),
    ("apps_registry_shopauthorization", {}, add_authorization, 5),
    ("apps_registry_shopauthorization", {"revoked_at__isnull": "True"}, add_authorization, 5),
    ("apps_registry_shopauthorization", {"q": "Helpdesk"}, add_authorization, 5),
    ("auth_user", {}, add_person, 6),
    ("auth_user", {"is_staff__exact": "0"}, add_person, 6),
    ("auth_user", {"is_active__exact": "1"}, add_person, 6),
    ("auth_user", {"q": "Sam"}, add_person, 6),
    ("oauth2_provider_accesstoken", {}, add_credentials, 5),
    ("oauth2_provider_accesstoken", {"q": "Helpdesk"}, add_credentials, 5),
    ("oauth2_provider_refreshtoken", {}, add_credentials, 5),
    ("oauth2_provider_idtoken", {}, add_credentials, 5),
    ("oauth2_provider_grant", {}, add_credentials, 5),
    ("account_emailaddress", {}, add_credentials, 5),
    ("account_emailaddress", {"verified__exact": "1"}, add_credentials, 5),
    ("mfa_authenticator", {}, add_credentials, 5),
    ("django_tasks_database_dbtaskresult", {}, add_credentials, 5),
]


@pytest.mark.parametrize(
    ("url_name", "params", "add_rows", "queries"),
    STAFF_LISTS,
    ids=[f"{url_name}?{'&'.join(params)}" for url_name, params, _, _ in STAFF_LISTS],
)
def test_the_staff_lists_run_the_same_queries_at_one_and_many_rows(
    client, url_name, params, add_rows, queries, django_assert_num_queries
):
    staff = factories.UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_mfa(client, staff)

    assert_same_queries_at_one_and_many(
        client,
        reverse(f"admin:{url_name}_changelist"),
        params,
        queries=queries,
        add_one=lambda: add_rows(staff),
        add_many=lambda: [add_rows(staff) for _ in range(11)],
        django_assert_num_queries=django_assert_num_queries,
    )


def test_the_partners_list_counts_each_partners_members(client, superuser):
    partner = factories.MembershipFactory().partner
    make_member(partner)
    alone = factories.PartnerFactory()

    page = client.get(changelist("partner")).context["cl"]

    members = {row.pk: row.member_count for row in page.result_list}
    assert members[partner.pk] == Membership.objects.filter(partner=partner).count() == 2
    assert members[alone.pk] == 0


def test_the_review_age_index_covers_exactly_the_applications_waiting_on_reviewers():
    """The queue's age filters read the partial index only while its condition is the filter's:
    a status added to WAITING_ON_REVIEWER_STATUSES alone would send them back to a long scan."""
    (index,) = [i for i in AccessRequest._meta.indexes if i.name == "accessrequest_waiting_by_age"]

    assert index.condition == Q(status__in=list(WAITING_ON_REVIEWER_STATUSES))
    assert index.fields == ["submitted_at", "id"]
