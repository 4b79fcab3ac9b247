"""The answers a reviewer judges on a decision page: the previous round's text of each answer the
partner changed on resubmission, and its word diff rendered as escaped HTML."""

from __future__ import annotations

import pytest

from apps_registry.admin import answer_diff
from apps_registry.admin.answer_diff import answer_diff_html
from apps_registry.models import AccessRequest
from apps_registry.selectors.access_requests import answers_under_review
from apps_registry.services import access_requests, reviews
from tests.apps_registry.review_helpers import ANSWERS, make_request, make_reviewer

Status = AccessRequest.Status


# --- The diff -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (
            "Encrypted at rest, deleted after 90 days.",
            "Encrypted at rest, deleted after 30 days.",
            "Encrypted at rest, deleted after <del>90</del><ins>30</ins> days.",
        ),
        (
            "We keep messages.",
            "We keep messages. Deleted after 30 days.",
            "We keep messages.<ins> Deleted after 30 days.</ins>",
        ),
        (
            "Stored in the EU, deleted on request.",
            "Stored in the EU.",
            "Stored in the EU<del>, deleted on request</del>.",
        ),
        ("", "A new answer.", "<ins>A new answer.</ins>"),
        ("An old answer.", "", "<del>An old answer.</del>"),
        ("Same words.", "Same words.", "Same words."),
        (
            "Line one.\nLine two.",
            "Line one.\nLine 2.",
            "Line one.\nLine <del>two</del><ins>2</ins>.",
        ),
    ],
)
def test_the_diff_marks_removed_and_added_words(previous, current, expected):
    assert answer_diff_html(previous, current) == expected


def test_the_diff_escapes_the_partners_text_on_both_sides():
    diff = answer_diff_html('Kept <i>safe</i> & "sound".', "Kept <b>safe</b> & sound.")

    assert diff == (
        "Kept &lt;<del>i</del><ins>b</ins>&gt;safe&lt;/<del>i</del><ins>b</ins>&gt; &amp; "
        "<del>&quot;</del>sound<del>&quot;</del>."
    )


# ~1,400 tokens each ("x", " ", "<", " ", "y", ".", " "), which differ from the first to the last
# but one: about two million token pairs to compare, far over MAX_COMPARED_TOKEN_PAIRS.
REPETITIVE_OLD = ("x < y. " * 200).strip()
REPETITIVE_NEW = ("y > x. " * 200).strip()


def test_a_long_rewrite_shows_the_old_text_removed_and_the_new_added_whole(monkeypatch):
    def refuse_to_compare(*args, **kwargs):
        raise AssertionError("a comparison this big must not be run")

    monkeypatch.setattr(answer_diff.difflib, "SequenceMatcher", refuse_to_compare)

    diff = answer_diff_html(REPETITIVE_OLD, REPETITIVE_NEW)

    assert diff == (
        "<del>"
        + "x &lt; y. " * 199
        + "x &lt; y</del><ins>"
        + "y &gt; x. " * 199
        + "y &gt; x</ins>."
    )


def test_a_long_answer_with_one_word_changed_still_gets_a_word_diff():
    """Only the middle between the shared start and end is compared, so 8,000 characters around
    one edit cost no more than the edit."""
    padding = "We keep logs. " * 300
    previous = f"{padding}Deleted after 90 days. {padding}"
    current = f"{padding}Deleted after 30 days. {padding}"

    assert answer_diff_html(previous, current) == (
        f"{padding}Deleted after <del>90</del><ins>30</ins> days. {padding}"
    )


# --- The previous round -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_first_submission_has_no_previous_round():
    access_request = make_request()

    under_review = answers_under_review(access_request)

    assert under_review.is_resubmission is False
    assert under_review.changes_requested == ""
    assert [
        (answer.field, answer.text, answer.previous, answer.reviewer_comment)
        for answer in under_review.answers
    ] == [(field, ANSWERS[field], None, "") for field in AccessRequest.ANSWER_FIELDS]


def send_back_and_resubmit(access_request, reviewer, *, comment, field_comments, answers):
    reviews.access_request_assign(request_id=access_request.pk, reviewer=reviewer)
    reviews.access_request_request_changes(
        request_id=access_request.pk,
        reviewer=reviewer,
        comment=comment,
        field_comments=field_comments,
    )
    return access_requests.access_request_resubmit(
        request_id=access_request.pk, answers=answers, acting_user=access_request.submitted_by
    )


@pytest.mark.django_db
def test_a_resubmission_keeps_the_previous_text_of_each_changed_answer_and_its_comment():
    reviewer = make_reviewer()
    access_request = make_request()
    resubmitted = send_back_and_resubmit(
        access_request,
        reviewer,
        comment="Say how long you keep messages.",
        field_comments={"data_protection": "Retention period?", "demo_url": "Broken link."},
        answers={"data_protection": "Encrypted at rest, deleted after 30 days."},
    )

    under_review = answers_under_review(resubmitted)

    assert under_review.is_resubmission is True
    assert under_review.changes_requested == "Say how long you keep messages."
    assert [
        (answer.field, answer.previous, answer.reviewer_comment)
        for answer in under_review.answers
        if answer.changed or answer.reviewer_comment
    ] == [
        ("data_protection", ANSWERS["data_protection"], "Retention period?"),
        ("demo_url", None, "Broken link."),  # commented on, left as it was
    ]
    assert {answer.field: answer.text for answer in under_review.answers} == {
        **ANSWERS,
        "data_protection": "Encrypted at rest, deleted after 30 days.",
    }


@pytest.mark.django_db
def test_a_second_resubmission_is_compared_with_the_round_before_it_not_the_first():
    reviewer = make_reviewer()
    access_request = make_request()
    send_back_and_resubmit(
        access_request,
        reviewer,
        comment="How long?",
        field_comments={"data_protection": "Retention period?"},
        answers={"data_protection": "Deleted after 30 days."},
    )
    resubmitted = send_back_and_resubmit(
        access_request,
        reviewer,
        comment="And the demo?",
        field_comments={"demo_url": "Broken link."},
        answers={"demo_url": "https://app.example.com/demo-2"},
    )

    under_review = answers_under_review(resubmitted)

    assert under_review.changes_requested == "And the demo?"
    assert [
        (answer.field, answer.previous, answer.reviewer_comment)
        for answer in under_review.answers
        if answer.changed or answer.reviewer_comment
    ] == [("demo_url", ANSWERS["demo_url"], "Broken link.")]
