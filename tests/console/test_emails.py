"""Every e-mail the platform sends, allauth's and the console's: its exact subject (no host, no
"[site]"), a text and an HTML part in the platform's layout, a greeting by name or address and
never by username, and absolute links that lead where they say."""

from __future__ import annotations

import re
from html import escape

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from apps_registry import notifications
from apps_registry.models import AccessRequest
from apps_registry.services import reviews
from apps_registry.services.partners import invitation_create
from apps_registry.services.secret_access import Assurance
from tests import factories
from tests.apps_registry.review_helpers import make_first_approved, make_request, make_reviewer

pytestmark = pytest.mark.django_db

Status = AccessRequest.Status
PASSWORD = "a-Long-and-unusual-passphrase-42"
HREF = re.compile(r'href="([^"]*)"')


def site() -> str:
    return settings.OAUTH_ISSUER.rstrip("/")


def person(*, email: str, username: str, first_name: str = "", last_name: str = ""):
    """A user whose username looks like nothing else in the mail, so any leak of it shows."""
    user = factories.UserFactory(
        username=username, email=email, first_name=first_name, last_name=last_name
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def assert_branded(message, *, subject: str, to: str, greeting: str, links: list[str]) -> str:
    """The message's shared shape; returns its HTML part."""
    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject == subject
    assert message.to == [to]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]
    html = message.alternatives[0][0]
    assert message.body.startswith(f"Hello {greeting},\n\n")
    assert message.body.endswith(f"\n\n— Partner Console\n{site()}/\n")
    assert f"<p>Hello {escape(greeting)},</p>" in html
    assert f'<td class="brand"><a href="{site()}/">Partner Console</a></td>' in html
    assert all(href.startswith(("http://", "https://")) for href in HREF.findall(html))
    for link in links:
        assert f"\n{link}\n" in message.body  # on a line of its own, whole
        assert f'href="{escape(link)}"' in html
    return html


def assert_no_username(message, user) -> None:
    """The username appears nowhere once the person's address is taken out."""
    for part in (message.body, message.alternatives[0][0]):
        assert user.username not in part.replace(user.email, "")


def test_sign_up_confirmation_greets_the_address_and_links_to_the_confirmation(client):
    client.post(
        "/accounts/signup/",
        {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    [message] = mail.outbox
    confirmation = re.search(r"http://testserver/accounts/confirm-email/\S+/", message.body)[0]
    html = assert_branded(
        message,
        subject="Confirm your email address",
        to="ada@example.com",
        greeting="ada@example.com",
        links=[confirmation],
    )
    assert "Confirm email address</a>" in html
    user = EmailAddress.objects.get(email="ada@example.com").user
    assert user.username  # allauth filled one in; nobody is told it
    assert_no_username(message, user)
    client.post(confirmation.removeprefix("http://testserver"))
    assert EmailAddress.objects.get(email="ada@example.com").verified


def test_confirming_an_added_address_greets_the_person_by_name(client):
    user = person(
        email="ada@example.com", username="u-7f3a9c", first_name="Ada", last_name="Lovelace"
    )
    client.force_login(user)

    client.post("/accounts/email/", {"email": "ada@work.example", "action_add": ""})

    [message] = mail.outbox
    confirmation = re.search(r"http://testserver/accounts/confirm-email/\S+/", message.body)[0]
    assert_branded(
        message,
        subject="Confirm your email address",
        to="ada@work.example",
        greeting="Ada Lovelace",
        links=[confirmation],
    )
    assert_no_username(message, user)


def test_password_reset_links_to_the_reset_page_and_greets_by_name(client):
    user = person(
        email="ada@example.com", username="u-7f3a9c", first_name="Ada", last_name="Lovelace"
    )

    client.post("/accounts/password/reset/", {"email": "ada@example.com"})

    [message] = mail.outbox
    reset = re.search(r"http://testserver/accounts/password/reset/key/\S+/", message.body)[0]
    assert_branded(
        message,
        subject="Reset your password",
        to="ada@example.com",
        greeting="Ada Lovelace",
        links=[reset],
    )
    assert_no_username(message, user)
    assert "username" not in message.body.lower()  # allauth's "your username is …" line is gone
    page = client.get(reset.removeprefix("http://testserver"), follow=True)
    assert page.status_code == 200
    assert "Change password" in page.text


def test_password_reset_for_an_unknown_address_offers_to_sign_up(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    [message] = mail.outbox
    assert_branded(
        message,
        subject="No account with this email address",
        to="nobody@example.com",
        greeting="nobody@example.com",
        links=["http://testserver/accounts/signup/"],
    )


def test_signing_up_again_with_a_known_address_points_to_the_password_reset(client):
    person(email="ada@example.com", username="u-7f3a9c", first_name="Ada")

    client.post(
        "/accounts/signup/",
        {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    [message] = mail.outbox
    assert_branded(
        message,
        subject="You already have an account",
        to="ada@example.com",
        greeting="ada@example.com",
        links=["http://testserver/accounts/password/reset/"],
    )


def test_a_decision_mail_is_multipart_in_the_layout_and_greets_each_member_by_name(mailoutbox):
    reviewer = make_reviewer(username="r-55e1", email="rita@platform.test", first_name="Rita")
    member = person(
        email="ada@example.com", username="u-7f3a9c", first_name="Ada", last_name="Lovelace"
    )
    access_request = make_request(
        status=Status.IN_REVIEW, assigned_to=reviewer, submitted_by=member
    )
    factories.MembershipFactory(partner=access_request.app.partner, user=member)
    reviews.access_request_approve(request_id=access_request.pk, reviewer=reviewer)

    notifications.notify_partner_of_decision(request_id=access_request.pk)

    message = next(m for m in mailoutbox if m.to == ["ada@example.com"])
    console_url = f"{site()}/console/requests/{access_request.pk}/"
    html = assert_branded(
        message,
        subject=f"Approved: {access_request.scope.key} for {access_request.app.name}",
        to="ada@example.com",
        greeting="Ada Lovelace",
        links=[console_url],
    )
    assert f"<strong>{access_request.scope.key}</strong>" in html
    assert "Open the application</a>" in html
    assert_no_username(message, member)


def test_a_reviewer_is_named_by_name_or_address_in_other_reviewers_mail(mailoutbox):
    first = make_reviewer(username="r-55e1", email="rita@platform.test", first_name="Rita")
    second = make_reviewer(username="r-9b20", email="sam@platform.test")
    access_request = make_first_approved(first)

    notifications.notify_reviewers_second_approval_needed(request_id=access_request.pk)

    [message] = mailoutbox
    admin_url = f"{site()}/admin/apps_registry/accessrequest/{access_request.pk}/change/"
    assert_branded(
        message,
        subject=(
            f"Second approval needed: {access_request.scope.key} for {access_request.app.name}"
        ),
        to=second.email,
        greeting="sam@platform.test",
        links=[admin_url],
    )
    assert message.body.startswith("Hello sam@platform.test,\n\nRita approved the application")
    assert "r-55e1" not in message.body + message.alternatives[0][0]
    assert_no_username(message, second)


def test_the_invitation_is_multipart_in_the_layout(owner, django_capture_on_commit_callbacks):
    partner = owner.memberships.get().partner

    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            partner=partner,
            email="new.dev@example.com",
            role="developer",
            acting_user=owner,
            base_url="https://console.test/",
            assurance=Assurance.RECENT_SECOND_FACTOR,
        )

    [message] = mail.outbox
    accept = re.search(r"https://console\.test/console/invitations/\S+/", message.body)[0]
    assert_branded(
        message,
        subject=f"You're invited to join {partner.name} on Partner Console",
        to="new.dev@example.com",
        greeting="new.dev@example.com",
        links=[accept],
    )


def test_people_print_as_their_name_or_address_never_their_username():
    named = factories.UserFactory(username="u-1", email="ada@example.com", first_name="Ada")
    unnamed = factories.UserFactory(username="u-2", email="bob@example.com")

    assert (str(named), str(unnamed)) == ("Ada", "bob@example.com")


def _send_review_mail(kind: str, access_request: AccessRequest) -> None:
    if kind == "submitted":
        notifications.notify_reviewers_of_submission(request_id=access_request.pk)
    elif kind == "overdue":
        notifications.notify_reviewers_of_overdue(access_requests=[access_request])
    elif kind == "grace":
        notifications.notify_partner_of_grace_approval(request_id=access_request.pk)
    elif kind == "expiring":
        notifications.notify_partner_of_expiring_approval(access_request=access_request)
    else:
        notifications.notify_partner_of_decision(request_id=access_request.pk)


@pytest.mark.parametrize(
    ("kind", "status", "subject"),
    [
        ("submitted", Status.SUBMITTED, "Application to review: {scope} for {app}"),
        ("overdue", Status.SUBMITTED, "1 application(s) past the review target"),
        ("decision", Status.APPROVED, "Approved: {scope} for {app}"),
        ("decision", Status.REJECTED, "Not approved: {scope} for {app}"),
        ("decision", Status.CHANGES_REQUESTED, "Changes requested: {scope} for {app}"),
        ("decision", Status.REVOKED, "Access revoked: {scope} for {app}"),
        ("decision", Status.EXPIRED, "Approval expired: {scope} for {app}"),
        ("grace", Status.APPROVED, "Now a Custom scope: {scope} for {app}"),
        ("expiring", Status.APPROVED, "Approval ending soon: {scope} for {app}"),
    ],
)
def test_every_review_workflow_mail_is_multipart_in_the_layout(kind, status, subject, mailoutbox):
    reviewer = make_reviewer(username="r-55e1", email="rita@platform.test")
    access_request = make_request(status=status, assigned_to=reviewer)
    to_reviewer = kind in ("submitted", "overdue")
    recipient = reviewer if to_reviewer else access_request.submitted_by

    _send_review_mail(kind, access_request)

    [message] = mailoutbox
    link = (
        f"{site()}/admin/apps_registry/accessrequest/{access_request.pk}/change/"
        if to_reviewer
        else f"{site()}/console/requests/{access_request.pk}/"
    )
    assert_branded(
        message,
        subject=subject.format(scope=access_request.scope.key, app=access_request.app.name),
        to=recipient.email,
        greeting=recipient.email,
        links=[] if kind == "overdue" else [link],  # the digest lists it indented
    )
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
    assert_no_username(message, recipient)
