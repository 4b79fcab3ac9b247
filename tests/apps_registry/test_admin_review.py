"""The reviewers' queue and decision pages in the admin: what they show, that they call the
workflow services (separation of duties, locking, reasons), and that nothing else can change."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps_registry.models import AccessRequest, Membership, ReviewEvent
from apps_registry.services import access_requests, reviews
from apps_registry.services import partners as partner_services
from tests import factories
from tests.apps_registry.review_helpers import (
    ask_about_data_protection_and_resubmit,
    make_first_approved,
    make_member,
    make_request,
    make_reviewer,
    snapshot,
)
from tests.conftest import sign_in_with_mfa

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
MONDAY_NOON = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
QUEUE_URL = reverse("admin:apps_registry_accessrequest_changelist")


def change_url(access_request) -> str:
    return reverse("admin:apps_registry_accessrequest_change", args=[access_request.pk])


def decide_url(access_request, decision: str) -> str:
    return reverse("admin:apps_registry_accessrequest_decide", args=[access_request.pk, decision])


def assign_url(access_request) -> str:
    return reverse("admin:apps_registry_accessrequest_assign", args=[access_request.pk])


# --- The queue ----------------------------------------------------------------------------------


def test_queue_shows_time_left_dual_approvals_and_the_assignee(client, reviewer, settings):
    settings.REVIEW_TARGET_BUSINESS_DAYS = 5
    first_approver = make_reviewer(email="fay.first@example.com")
    with time_machine.travel(MONDAY_NOON, tick=False):
        fresh = make_request(app=factories.PartnerAppFactory(name="Fresh App"))
        old = make_request(
            app=factories.PartnerAppFactory(name="Old App"),
            status=Status.IN_REVIEW,
            assigned_to=reviewer,
            submitted_at=datetime(2026, 2, 27, 9, 0, tzinfo=UTC),
        )
        halfway = make_first_approved(first_approver)
        make_request(
            app=factories.PartnerAppFactory(name="Returned App"),
            status=Status.CHANGES_REQUESTED,
            submitted_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        )
        sign_in_with_mfa(client, reviewer)

        page = client.get(QUEUE_URL).content.decode()
        overdue = client.get(QUEUE_URL, {"age": "overdue"}).content.decode()

    assert queue_cell(page, fresh, "review_time_left") == "5 business days left"
    assert queue_cell(page, old, "review_time_left") == (
        '<span class="review-overdue">overdue by 1 business day</span>'
    )
    assert queue_cell(page, halfway, "status_with_approvals") == (
        'In review<span class="review-approval-progress">'
        '<span class="review-badge">Dual approval</span> '
        "needs 2nd approval (1st by fay.first<wbr>@example.com)</span>"
    )
    assert queue_cell(page, fresh, "status_with_approvals") == "Submitted"
    assert "on target" not in page
    assert "0 business days" not in page
    assert "waiting on the partner" not in page
    local, _, domain = reviewer.email.partition("@")
    assert queue_cell(page, old, "assigned_reviewer") == f"{local}<wbr>@{domain}"
    assert queue_cell(page, halfway, "assigned_reviewer") == "fay.first<wbr>@example.com"
    assert queue_cell(page, fresh, "assigned_reviewer") == "-"
    assert old.app.name in overdue
    assert fresh.app.name not in overdue


def queue_cell(page: str, access_request, column: str) -> str:
    """The content of one column's cell in `access_request`'s row of the queue."""
    row = page.split(f'<a href="{change_url(access_request)}">{access_request.pk}</a>')[1]
    return row.split(f'<td class="field-{column}">')[1].split("</td>")[0]


def test_queue_filters_and_searches(client, reviewer):
    wanted = make_request(
        # Named outright: the admin searches word by word, and a sequence number in the factory's
        # "Partner <n> Ltd" can be part of the other request's scope key.
        app=factories.PartnerAppFactory(
            name="Helpdesk Pro", partner=factories.PartnerFactory(name="Northwind Software")
        ),
        scope=factories.CustomScopeFactory(group="Finance"),
    )
    other = make_request(app=factories.PartnerAppFactory(name="Other Thing"))

    def names(params):
        page = client.get(QUEUE_URL, params).content.decode()
        return {name for name in (wanted.app.name, other.app.name) if name in page}

    assert names({"q": wanted.app.client_id}) == {wanted.app.name}
    assert names({"q": wanted.app.partner.name}) == {wanted.app.name}
    assert names({"q": "Helpdesk"}) == {wanted.app.name}
    assert names({"scope_group": "Finance"}) == {wanted.app.name}
    assert names({"status__exact": "submitted"}) == {wanted.app.name, other.app.name}
    assert names({"status__exact": "approved"}) == set()
    assert names({"q": other.app.partner.name}) == {other.app.name}
    assert names({"q": "desk Pro"}) == set()  # names match from their start


# --- The detail page ----------------------------------------------------------------------------


def test_detail_shows_answers_other_grants_and_the_timeline_with_diffs(client, reviewer):
    app = factories.PartnerAppFactory()
    member = make_member(app.partner)
    factories.AppScopeFactory(app=app, scope=factories.ScopeFactory(key="seller.shop.info"))
    make_request(
        app=app, status=Status.APPROVED, scope=factories.CustomScopeFactory(key="seller.finance")
    )
    access_request = make_request(
        app=app, submitted_by=member, status=Status.IN_REVIEW, assigned_to=reviewer
    )
    ask_about_data_protection_and_resubmit(
        access_request,
        reviewer=reviewer,
        revised="Deleted after <b>30</b> days.",
        acting_user=member,
    )

    page = client.get(change_url(access_request)).content.decode()

    assert access_request.data_usage in page
    assert "seller.shop.info" in page  # the app's scope selection
    assert "seller.finance" in page  # its other application
    assert "Say how long you keep data." in page
    assert "On “Data protection”: Retention period?" in page
    assert "<del>Encrypted at rest, deleted after 90 days.</del>" in page
    assert "<ins>Deleted after &lt;b&gt;30&lt;/b&gt; days.</ins>" in page  # escaped
    assert "Assign to me" in page  # resubmitted, so back to "submitted"
    assert 'name="status"' not in page  # no editable workflow field


def test_detail_checks_for_a_conflict_of_interest_once_however_many_actions_it_offers(
    client, reviewer, in_review, django_assert_max_num_queries
):
    submitted = make_request()  # offers one action: Assign to me
    client.get(change_url(submitted))
    with CaptureQueriesContext(connection) as one_action:
        assert client.get(change_url(submitted)).status_code == 200

    # Four actions (assign and the three decisions); one more query: the assignee's name.
    with django_assert_max_num_queries(len(one_action.captured_queries) + 1) as four_actions:
        page = client.get(change_url(in_review)).content.decode()

    assert decide_url(in_review, "approve") in page
    membership_checks = [
        query
        for query in four_actions.captured_queries
        if 'FROM "apps_registry_membership"' in query["sql"]
    ]
    assert len(membership_checks) == 1


def test_detail_offers_decisions_only_to_the_assigned_reviewer(client, reviewer, in_review):
    page = client.get(change_url(in_review)).content.decode()
    assert decide_url(in_review, "approve") in page
    assert decide_url(in_review, "reject") in page
    assert decide_url(in_review, "request-changes") in page

    assert assign_url(in_review) not in page  # "Assign to me" is disabled: it is theirs already
    assert (
        '<p class="help review-refusal" id="refusal-assign"><strong>Assign to me</strong> is not '
        "available to you: This application is already assigned to you.</p>"
    ) in page

    other = make_reviewer()
    sign_in_with_mfa(client, other)
    page = client.get(change_url(in_review)).content.decode()
    assert decide_url(in_review, "approve") not in page
    assert (
        '<p class="help review-refusal" id="refusal-approve"><strong>Approve</strong> is not '
        "available to you: Assign the application to yourself before you approve it.</p>"
    ) in page
    assert assign_url(in_review) in page


SECOND_APPROVAL_REFUSAL = (
    "You gave the first approval, so this application needs a second approval from a "
    "different reviewer."
)
MEMBER_REFUSAL = "You are a member of the partner that applied, so another reviewer must handle it."


@pytest.fixture
def first_approved(client, reviewer):
    """A dual-approval application the signed-in reviewer approved first and took again."""
    return make_first_approved(reviewer)


def test_detail_disables_approve_for_the_first_approver_and_says_why(
    client, reviewer, first_approved
):
    page = client.get(change_url(first_approved)).content.decode()

    assert (
        '<button type="button" class="button" disabled aria-describedby="refusal-approve">'
        "Approve</button>"
    ) in page
    assert (
        '<p class="help review-refusal" id="refusal-approve"><strong>Approve</strong> is not '
        f"available to you: {SECOND_APPROVAL_REFUSAL}</p>"
    ) in page
    assert decide_url(first_approved, "approve") not in page
    assert decide_url(first_approved, "reject") in page
    assert decide_url(first_approved, "request-changes") in page


def test_detail_disables_assign_for_a_member_of_the_partner_and_says_why(client, reviewer):
    access_request = make_request()
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)

    page = client.get(change_url(access_request)).content.decode()

    assert (
        '<button type="button" class="button" disabled aria-describedby="refusal-assign">'
        "Assign to me</button>"
    ) in page
    assert (
        '<p class="help review-refusal" id="refusal-assign"><strong>Assign to me</strong> is not '
        f"available to you: {MEMBER_REFUSAL}</p>"
    ) in page
    assert assign_url(access_request) not in page


WERE_A_MEMBER_REFUSAL = (
    "You were a member of the partner that applied, so another reviewer must handle it."
)
ACTED_FOR_THE_PARTNER_REFUSAL = (
    "You acted on this application for the partner, so another reviewer must handle it."
)


def _leave_partner(user, partner) -> None:
    membership = Membership.objects.get(partner=partner, user=user)
    partner_services.membership_remove(membership_id=membership.pk, acting_user=user)


def _was_a_member(reviewer, access_request) -> None:
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    _leave_partner(reviewer, access_request.app.partner)


def _resubmitted_it_for_the_partner_then_left(reviewer, access_request) -> None:
    partner = access_request.app.partner
    factories.MembershipFactory(partner=partner, user=reviewer)
    AccessRequest.objects.filter(pk=access_request.pk).update(status=Status.CHANGES_REQUESTED)
    access_requests.access_request_resubmit(
        request_id=access_request.pk,
        answers={"data_protection": "Deleted after 30 days."},
        acting_user=reviewer,
    )
    _leave_partner(reviewer, partner)


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (_was_a_member, WERE_A_MEMBER_REFUSAL),
        (_resubmitted_it_for_the_partner_then_left, ACTED_FOR_THE_PARTNER_REFUSAL),
    ],
)
def test_detail_disables_the_decisions_for_a_former_insider_and_says_why(
    client, reviewer, arrange, reason
):
    """They have left the partner, yet may not review its application; the page says why."""
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    arrange(reviewer, access_request)
    # Assigned to them by mistake, so the page offers the decisions.
    AccessRequest.objects.filter(pk=access_request.pk).update(
        status=Status.IN_REVIEW, assigned_to=reviewer
    )

    page = client.get(change_url(access_request)).content.decode()

    for slug, label in [
        ("assign", "Assign to me"),
        ("approve", "Approve"),
        ("request-changes", "Request changes"),
        ("reject", "Reject"),
    ]:
        assert (
            f'<button type="button" class="button" disabled aria-describedby="refusal-{slug}">'
            f"{label}</button>"
        ) in page
        assert (
            f'<p class="help review-refusal" id="refusal-{slug}"><strong>{label}</strong> is not '
            f"available to you: {reason}</p>"
        ) in page
    assert assign_url(access_request) not in page
    for slug in ("approve", "request-changes", "reject"):
        assert decide_url(access_request, slug) not in page


def test_detail_offers_enabled_controls_when_nothing_stands_in_the_way(client, reviewer):
    access_request = make_request()

    page = client.get(change_url(access_request)).content.decode()

    assert assign_url(access_request) in page
    assert "disabled" not in page.split('class="object-tools"')[1].split("</ul>")[0]
    assert "review-refusal" not in page


def test_approve_page_for_the_first_approver_disables_the_button_and_changes_nothing(
    client, reviewer, first_approved
):
    before = snapshot(first_approved)

    page = client.get(decide_url(first_approved, "approve")).content.decode()
    refused = client.post(
        decide_url(first_approved, "approve"),
        {"version": first_approved.version, "expires_on": "", "comment": ""},
    )

    assert f'<p class="errornote" id="action-refusal">{SECOND_APPROVAL_REFUSAL}</p>' in page
    assert (
        '<input type="submit" class="default" value="Approve" disabled '
        'aria-describedby="action-refusal">'
    ) in page
    assert refused.status_code == 403
    assert SECOND_APPROVAL_REFUSAL in refused.content.decode()
    assert snapshot(first_approved) == before


def test_a_decision_page_the_status_does_not_offer_disables_the_button_and_says_why(
    client, reviewer, in_review
):
    page = client.get(decide_url(in_review, "revoke")).content.decode()

    assert (
        '<p class="errornote" id="action-refusal">'
        "You cannot revoke an application that is “In review”.</p>"
    ) in page
    assert (
        '<input type="submit" class="default" value="Revoke" disabled '
        'aria-describedby="action-refusal">'
    ) in page


# --- What the decision pages show -------------------------------------------------------------


def test_a_decision_page_shows_the_answers_beside_the_form(client, reviewer, in_review):
    page = client.get(decide_url(in_review, "request-changes")).content.decode()

    answers, form = page.split('<section class="decision-form')
    assert '<div id="content-main" class="decision-layout">' in answers
    for question in AccessRequest.ANSWER_QUESTIONS:
        assert f"<h3>{question.label}</h3>" in answers
        assert (
            f'<p class="decision-answer-text">{getattr(in_review, question.field)}</p>' in answers
        )
        assert f'name="comment_{question.field}"' in form
    assert "<details>" not in answers  # a first round has nothing to fold away
    assert "<del>" not in answers


@pytest.mark.parametrize("decision", ["approve", "reject", "request-changes"])
def test_a_resubmission_shows_each_changed_answer_as_a_diff_and_folds_the_rest(
    client, reviewer, decision
):
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    ask_about_data_protection_and_resubmit(
        access_request,
        reviewer=reviewer,
        revised="Encrypted at rest, deleted after <b>30</b> days.",
    )
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)

    page = client.get(decide_url(access_request, decision)).content.decode()

    answers = page.split('<section class="decision-form')[0]
    assert "<h3>Data protection (changed)</h3>" in answers
    assert (
        '<p class="decision-answer-text">Encrypted at rest, deleted after '
        "<del>90</del><ins>&lt;b&gt;30&lt;/b&gt;</ins> days.</p>"
    ) in answers
    assert '<p class="decision-answer-note">Reviewer asked: Retention period?</p>' in answers
    assert (
        '<p class="decision-answer-note">Changes asked for: Say how long you keep data.</p>'
        in answers
    )
    folded = [
        label
        for label in ("Data usage", "Justification", "Endpoints used", "Demo URL")
        if f"<summary>{label} (unchanged)</summary>" in answers
    ]
    assert folded == ["Data usage", "Justification", "Endpoints used", "Demo URL"]
    assert answers.count("<details>") == 4
    assert "<b>30</b>" not in page


def test_a_decision_page_reads_the_previous_round_in_one_query(client, reviewer, in_review):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(decide_url(in_review, "approve")).status_code == 200

    previous_round_reads = [
        query
        for query in queries.captured_queries
        if 'FROM "apps_registry_reviewevent"' in query["sql"]
        and "'request_changes'" in query["sql"]
    ]
    assert len(previous_round_reads) == 1


# --- Acting through the decision pages ----------------------------------------------------------


def test_assign_to_me_from_the_detail_page(client, reviewer):
    access_request = make_request()

    response = client.post(assign_url(access_request), {"version": access_request.version})

    assert response.status_code == 302
    assert response.url == change_url(access_request)
    access_request.refresh_from_db()
    assert (access_request.status, access_request.assigned_to) == (Status.IN_REVIEW, reviewer)
    assert LogEntry.objects.filter(object_id=str(access_request.pk), user=reviewer).count() == 1


def test_approve_page_approves_with_the_chosen_expiry(client, reviewer, in_review, mailoutbox):
    assert client.get(decide_url(in_review, "approve")).status_code == 200
    expires_on = timezone.localdate() + timedelta(days=90)

    response = client.post(
        decide_url(in_review, "approve"),
        {"version": in_review.version, "expires_on": expires_on.isoformat(), "comment": "Fine."},
    )

    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Status.APPROVED
    assert timezone.localdate(in_review.approval_expires_at) == expires_on
    assert in_review.decision_reason == "Fine."
    assert LogEntry.objects.get(object_id=str(in_review.pk)).get_change_message() == "Approved."


def test_first_of_two_approvals_says_a_second_reviewer_must_approve(client, reviewer):
    dual = make_request(
        status=Status.IN_REVIEW,
        assigned_to=reviewer,
        scope=factories.CustomScopeFactory(requires_dual_approval=True),
    )

    response = client.post(
        decide_url(dual, "approve"),
        {"version": dual.version, "expires_on": "", "comment": ""},
        follow=True,
    )

    page = response.content.decode()
    assert "First approval recorded; a second reviewer must approve:" in page
    assert "Approved:" not in page
    dual.refresh_from_db()
    assert (dual.status, dual.first_approved_by, dual.assigned_to) == (
        Status.IN_REVIEW,
        reviewer,
        None,
    )
    assert LogEntry.objects.get(object_id=str(dual.pk)).get_change_message() == (
        "First approval recorded; a second reviewer must approve."
    )


def test_approve_page_defaults_to_twelve_months(client, reviewer, in_review, settings):
    settings.APPROVAL_DEFAULT_DAYS = 365

    client.post(decide_url(in_review, "approve"), {"version": in_review.version})

    in_review.refresh_from_db()
    assert timezone.localdate(in_review.approval_expires_at) == timezone.localdate() + timedelta(
        days=365
    )


def test_reject_page_needs_a_reason(client, reviewer, in_review):
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "reject"), {"version": in_review.version, "reason": "  "}
    )

    assert response.status_code == 400
    assert "Write a reason: the partner sees it" in response.content.decode()
    assert snapshot(in_review) == before

    client.post(
        decide_url(in_review, "reject"), {"version": in_review.version, "reason": "No policy."}
    )
    in_review.refresh_from_db()
    assert (in_review.status, in_review.decision_reason) == (Status.REJECTED, "No policy.")


def test_request_changes_page_sends_per_answer_comments(client, reviewer, in_review):
    response = client.post(
        decide_url(in_review, "request-changes"),
        {
            "version": in_review.version,
            "comment": "Please clarify.",
            "comment_demo_url": "The link is broken.",
            "comment_justification": "",
        },
    )

    assert response.status_code == 302
    event = ReviewEvent.objects.get(request=in_review)
    assert (event.action, event.comment, event.details) == (
        ReviewEvent.Action.REQUEST_CHANGES,
        "Please clarify.",
        {"field_comments": {"demo_url": "The link is broken."}},
    )


def test_revoke_page_revokes_an_approval(client, reviewer):
    approved = make_request(status=Status.APPROVED)

    response = client.post(
        decide_url(approved, "revoke"), {"version": approved.version, "reason": "Misuse."}
    )

    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == Status.REVOKED


def test_the_timeline_says_what_a_revocation_took_from_sellers(client, reviewer):
    approved = make_request(status=Status.APPROVED)
    app, scope = approved.app, approved.scope
    factories.AppScopeFactory(app=app, scope=scope)
    factories.ShopAuthorizationFactory(app=app, scopes=[scope])
    factories.ShopAuthorizationFactory(app=app, scopes=[scope, factories.ScopeFactory()])
    reviews.access_request_revoke(request_id=approved.pk, reviewer=reviewer, reason="Misuse.")

    page = client.get(change_url(approved)).content.decode()

    assert (
        "Removed from 1 scope selection(s), 2 seller authorization(s) (1 disconnected: no "
        "permission was left) and 0 token(s)."
    ) in page


def test_a_stale_page_is_refused_with_a_conflict(client, reviewer, in_review):
    seen_version = in_review.version
    access_requests.access_request_withdraw(
        request_id=in_review.pk, acting_user=in_review.submitted_by
    )
    before = snapshot(in_review)

    response = client.post(decide_url(in_review, "approve"), {"version": seen_version})

    assert response.status_code == 409
    assert "changed since you opened it" in response.content.decode()
    assert snapshot(in_review) == before


def test_an_illegal_decision_is_refused_with_a_conflict(client, reviewer):
    rejected = make_request(status=Status.REJECTED, assigned_to=reviewer)
    before = snapshot(rejected)

    response = client.post(decide_url(rejected, "approve"), {"version": rejected.version})

    assert response.status_code == 409
    assert "You cannot approve an application that is “Rejected”." in response.content.decode()
    assert snapshot(rejected) == before


def test_decisions_need_a_recent_sign_in(client, in_review):
    reviewer = in_review.assigned_to
    sign_in_with_mfa(client, reviewer, authenticated_at=time.time() - 3600)
    before = snapshot(in_review)

    response = client.post(
        decide_url(in_review, "reject"), {"version": in_review.version, "reason": "No."}
    )

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert snapshot(in_review) == before


# --- Separation of duties on every admin path ---------------------------------------------------


@pytest.fixture
def own_partners_request(reviewer):
    """An application from a partner the reviewer belongs to, assigned to them by mistake."""
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    return access_request


@pytest.mark.parametrize(
    ("decision", "data"),
    [("approve", {}), ("reject", {"reason": "No."}), ("request-changes", {"comment": "More."})],
)
def test_decision_pages_refuse_a_reviewer_from_the_requesting_partner(
    client, own_partners_request, decision, data
):
    before = snapshot(own_partners_request)

    response = client.post(
        decide_url(own_partners_request, decision),
        {"version": own_partners_request.version, **data},
    )

    assert response.status_code == 403
    assert "You are a member of the partner that applied" in response.content.decode()
    assert snapshot(own_partners_request) == before


def test_assign_view_refuses_a_reviewer_from_the_requesting_partner(client, reviewer):
    access_request = make_request()
    factories.MembershipFactory(partner=access_request.app.partner, user=reviewer)
    before = snapshot(access_request)

    response = client.post(
        assign_url(access_request), {"version": access_request.version}, follow=True
    )

    assert "You are a member of the partner that applied" in response.content.decode()
    assert snapshot(access_request) == before


def test_bulk_assign_reports_each_refusal_and_assigns_the_rest(client, reviewer):
    first, second = make_request(), make_request()
    own = make_request()
    factories.MembershipFactory(partner=own.app.partner, user=reviewer)
    own_before = snapshot(own)

    response = client.post(
        QUEUE_URL,
        {"action": "assign_to_me", "_selected_action": [first.pk, second.pk, own.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert f"Assigned to you: #{first.pk}, #{second.pk}." in page
    assert f"#{own.pk} {own}: You are a member of the partner that applied" in page
    assert set(AccessRequest.objects.filter(assigned_to=reviewer).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert snapshot(own) == own_before


@pytest.mark.parametrize("selected", ["abc", "1.5", "99999999999999999999999"])
def test_a_bulk_action_on_malformed_ids_is_a_clear_refusal(client, selected):
    reviewer = make_reviewer()
    sign_in_with_mfa(client, reviewer)
    access_request = make_request(status=Status.SUBMITTED)
    before = snapshot(access_request)

    response = client.post(
        QUEUE_URL, {"action": "assign_to_me", "_selected_action": [selected]}, follow=True
    )

    assert response.redirect_chain == [(QUEUE_URL, 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Select the items from the list, then run the action."
    ]
    assert snapshot(access_request) == before


def test_bulk_approve_approves_only_what_the_reviewer_may_decide(
    client, reviewer, own_partners_request
):
    mine = make_request(status=Status.IN_REVIEW, assigned_to=reviewer)
    someone_elses = make_request(status=Status.IN_REVIEW, assigned_to=make_reviewer())
    unassigned_before = snapshot(someone_elses)
    own_before = snapshot(own_partners_request)

    response = client.post(
        QUEUE_URL,
        {
            "action": "approve_selected",
            "_selected_action": [mine.pk, someone_elses.pk, own_partners_request.pk],
        },
        follow=True,
    )

    page = response.content.decode()
    assert f"Approved: #{mine.pk}." in page
    assert "Assign the application to yourself before you approve it." in page
    assert "You are a member of the partner that applied" in page
    mine.refresh_from_db()
    assert mine.status == Status.APPROVED
    assert snapshot(someone_elses) == unassigned_before
    assert snapshot(own_partners_request) == own_before


@pytest.mark.django_db(transaction=True)
def test_a_mail_failure_does_not_stop_a_bulk_approval_halfway(client, failing_mail):
    reviewer = make_reviewer()
    sign_in_with_mfa(client, reviewer)
    requests = [make_request(status=Status.IN_REVIEW, assigned_to=reviewer) for _ in range(2)]

    response = client.post(
        QUEUE_URL, {"action": "approve_selected", "_selected_action": [r.pk for r in requests]}
    )

    assert response.status_code == 302
    assert [
        AccessRequest.objects.get(pk=access_request.pk).status for access_request in requests
    ] == [Status.APPROVED, Status.APPROVED]


# --- Nobody else gets in, nothing else changes --------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_partners_cannot_reach_the_queue_or_decisions(client, method):
    access_request = make_request(status=Status.IN_REVIEW)
    partner_user = access_request.submitted_by
    client.force_login(partner_user)
    before = snapshot(access_request)

    for url in (
        QUEUE_URL,
        change_url(access_request),
        decide_url(access_request, "approve"),
        assign_url(access_request),
    ):
        response = getattr(client, method)(url, {"version": access_request.version})
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
        assert client.get(response.url).status_code == 403  # allauth's secure_admin_login

    assert snapshot(access_request) == before


def test_anonymous_visitors_are_sent_to_sign_in(client):
    access_request = make_request(status=Status.IN_REVIEW)

    response = client.post(decide_url(access_request, "approve"), {"version": 1})

    assert response.status_code == 302
    assert client.get(response.url).url.startswith(reverse("account_login"))


def test_staff_without_the_review_permission_cannot_decide(client):
    staff = factories.UserFactory(is_staff=True)
    sign_in_with_mfa(client, staff)
    access_request = make_request(status=Status.IN_REVIEW, assigned_to=staff)
    before = snapshot(access_request)

    assert (
        client.post(
            decide_url(access_request, "approve"), {"version": access_request.version}
        ).status_code
        == 403
    )
    assert (
        client.post(assign_url(access_request), {"version": access_request.version}).status_code
        == 403
    )
    assert snapshot(access_request) == before


def test_workflow_fields_cannot_be_tampered_with_through_the_change_form(client, in_review):
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_mfa(client, superuser)
    before = snapshot(in_review)

    response = client.post(
        change_url(in_review),
        {"status": "approved", "decided_by": superuser.pk, "version": 99, "justification": "x"},
    )

    assert response.status_code == 403
    assert snapshot(in_review) == before
    assert AccessRequest.objects.get(pk=in_review.pk).justification != "x"
    add = client.post(reverse("admin:apps_registry_accessrequest_add"), {"status": "approved"})
    assert add.status_code == 403
    delete = client.post(
        reverse("admin:apps_registry_accessrequest_delete", args=[in_review.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert AccessRequest.objects.count() == 1


def test_history_cannot_be_added_changed_or_deleted_in_the_admin(client, in_review, reviewer):
    reviews.access_request_reject(request_id=in_review.pk, reviewer=reviewer, reason="Original.")
    event = ReviewEvent.objects.get()
    superuser = factories.UserFactory(is_staff=True, is_superuser=True)
    sign_in_with_mfa(client, superuser)

    assert client.get(reverse("admin:apps_registry_reviewevent_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:apps_registry_reviewevent_add"), {"comment": "x"}).status_code
        == 403
    )
    changed = client.post(
        reverse("admin:apps_registry_reviewevent_change", args=[event.pk]), {"comment": "x"}
    )
    assert changed.status_code == 403
    deleted = client.post(
        reverse("admin:apps_registry_reviewevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert list(ReviewEvent.objects.values_list("comment", flat=True)) == ["Original."]
