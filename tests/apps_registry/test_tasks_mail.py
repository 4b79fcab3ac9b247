"""Every e-mail leaves from the worker (apps_registry/mail.py): queued when the transaction that
caused it commits, never when it rolls back, encrypted while it waits (its links carry one-time
tokens), retried when the mail server fails."""

from __future__ import annotations

import json
import logging
import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.db import transaction
from django.tasks import default_task_backend
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps_registry import mail, notifications
from apps_registry.models import AccessRequest, Membership
from apps_registry.services.partners import invitation_create
from apps_registry.services.secret_access import Assurance
from core.encryption import InvalidToken, decrypt, encrypt
from tests import factories
from tests.apps_registry.review_helpers import make_request
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MESSAGE = {
    "subject": "Approved: orders.read for Acme",
    "body": "Hello\n",
    "alternatives": [["<p>Hello</p>", "text/html"]],
    "from_email": "Partner Console <no-reply@console.test>",
    "to": ["ada@partner.example"],
    "headers": {"X-Entity-Ref-ID": "42"},
}


class RolledBackError(Exception):
    pass


def notify_then_roll_back(access_request, *, before_the_rollback=lambda: None) -> None:
    with transaction.atomic():
        notifications.notify_partner_of_decision(request_id=access_request.pk)
        before_the_rollback()
        raise RolledBackError


def backend_settings(backend: str, *, enqueue_on_commit: bool) -> dict:
    return {
        "default": {
            "BACKEND": backend,
            "QUEUES": ["default", "webhooks"],
            "OPTIONS": {"enqueue_on_commit": enqueue_on_commit},
        }
    }


@pytest.fixture
def queued(settings):
    """Tasks are kept, not run (Django's DummyBackend), and a task started in a transaction waits
    for its commit, as with a queue on another server (RQ)."""
    settings.TASKS = backend_settings(
        "django.tasks.backends.dummy.DummyBackend", enqueue_on_commit=True
    )
    return default_task_backend


@pytest.fixture
def in_the_database(settings):
    """The production backend: tasks are rows in the console's database."""
    settings.TASKS = backend_settings("django_tasks_db.DatabaseBackend", enqueue_on_commit=False)


def encrypted(message: dict) -> str:
    return encrypt(json.dumps(message))


def queued_mail(backend) -> list[tuple[str, list[str], str]]:
    messages = [
        json.loads(decrypt(result.kwargs["encrypted_message"])) for result in backend.results
    ]
    return [
        (result.task.name, message["to"], message["subject"])
        for result, message in zip(backend.results, messages, strict=True)
    ]


def test_an_allauth_mail_is_queued_when_the_request_commits(
    queued, client, mailoutbox, django_capture_on_commit_callbacks
):
    user = factories.UserFactory(email="ada@partner.example")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("account_reset_password"), {"email": user.email})
        assert queued.results == []  # nothing before the commit

    assert len(callbacks) == 1
    assert queued_mail(queued) == [("send_email", [user.email], "Reset your password")]
    assert mailoutbox == []  # the worker sends it


def test_a_notification_in_a_rolled_back_transaction_queues_nothing(
    queued, django_capture_on_commit_callbacks
):
    access_request = make_request(status=AccessRequest.Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RolledBackError):
        notify_then_roll_back(access_request)

    assert queued.results == []


def test_with_the_database_backend_the_mail_task_is_written_in_the_transaction(in_the_database):
    access_request = make_request(status=AccessRequest.Status.APPROVED)

    in_the_transaction = []

    with pytest.raises(RolledBackError):
        notify_then_roll_back(
            access_request,
            before_the_rollback=lambda: in_the_transaction.extend(
                DBTaskResult.objects.values_list("task_path", flat=True)
            ),
        )

    assert in_the_transaction == ["apps_registry.mail.send_email"]
    assert DBTaskResult.objects.count() == 0


def test_the_worker_sends_the_message_exactly_as_built(in_the_database, mailoutbox):
    built = mail.branded_message(
        to="ada@partner.example",
        subject="Approved: orders.read for Acme",
        template="email/security_notification",
        context={"message": "Your password was changed."},
        greeting_name="Ada",
        headers={"X-Entity-Ref-ID": "42"},
    )
    mail.send_later(built)
    [stored] = DBTaskResult.objects.all()

    # What the worker does with the stored row: the task, with its arguments read back as JSON.
    assert stored.task.call(**stored.args_kwargs["kwargs"]) == 1

    [sent] = mailoutbox
    assert (sent.subject, sent.body, sent.from_email, sent.to, sent.extra_headers) == (
        built.subject,
        built.body,
        built.from_email,
        built.to,
        {"X-Entity-Ref-ID": "42"},
    )
    assert sent.alternatives == built.alternatives


def test_a_failed_send_is_logged_and_tried_again_later(queued, failing_mail, time_machine, caplog):
    time_machine.move_to(NOW, tick=False)

    with caplog.at_level(logging.ERROR):
        assert mail.send_email.call(encrypted_message=encrypted(MESSAGE), attempt=2) == 0

    [retry] = queued.results
    assert (retry.task.name, retry.task.run_after, retry.kwargs["attempt"]) == (
        "send_email",
        NOW + timedelta(seconds=mail.RETRY_DELAYS_SECONDS[1]),
        3,
    )
    assert json.loads(decrypt(retry.kwargs["encrypted_message"])) == MESSAGE
    assert [record.getMessage() for record in caplog.records] == [
        "Email 'Approved: orders.read for Acme' to ['ada@partner.example'] failed (attempt 2); "
        "trying again in 600 seconds"
    ]


def test_after_its_last_retry_a_failed_send_is_given_up_loudly(queued, failing_mail, caplog):
    last_attempt = len(mail.RETRY_DELAYS_SECONDS) + 1

    with caplog.at_level(logging.ERROR), pytest.raises(smtplib.SMTPServerDisconnected):
        mail.send_email.call(encrypted_message=encrypted(MESSAGE), attempt=last_attempt)

    assert queued.results == []
    assert [record.getMessage() for record in caplog.records] == [
        "Email 'Approved: orders.read for Acme' to ['ada@partner.example'] failed 5 times; "
        "giving up"
    ]


def test_on_the_tests_backend_a_failing_send_runs_every_retry_then_fails(failing_mail, caplog):
    with caplog.at_level(logging.ERROR, logger="apps_registry.mail"):
        result = mail.send_email.enqueue(encrypted_message=encrypted(MESSAGE))

    assert result.status == "SUCCESSFUL"  # the first attempt handed over to its retry
    assert [
        record.getMessage().split("; ")[1]
        for record in caplog.records
        if record.name == "apps_registry.mail"
    ] == [
        "trying again in 60 seconds",
        "trying again in 600 seconds",
        "trying again in 3600 seconds",
        "trying again in 21600 seconds",
        "giving up",
    ]


# --- What the task table keeps ------------------------------------------------------------------


def invite() -> str:
    owner = factories.MembershipFactory(role=Membership.Role.OWNER)
    _invitation, raw_token = invitation_create(
        partner=owner.partner,
        email="grace@partner.example",
        role=Membership.Role.DEVELOPER,
        acting_user=owner.user,
        assurance=Assurance.RECENT_SECOND_FACTOR,
    )
    return raw_token


def reset_password() -> None:
    user = factories.UserFactory(email="ada@partner.example")
    Client().post(reverse("account_reset_password"), {"email": user.email})


def sign_up() -> None:
    Client().post(
        reverse("account_signup"),
        {"email": "new@partner.example", "password1": PASSWORD, "password2": PASSWORD},
    )


PASSWORD = "a-Long-and-unusual-passphrase-42"
# Each mail's one-time secret, as its link carries it.
ONE_TIME_SECRET = {
    "invitation": r"/invitations/([^/\s]+)/",
    "password reset": r"/accounts/password/reset/key/([^/\s]+)/",
    "email verification": r"/accounts/confirm-email/([^/\s]+)/",
}


def stored_task_results() -> str:
    """Every column of every task result, as the admin or a database dump would show them."""
    return json.dumps(list(DBTaskResult.objects.values()), default=str, ensure_ascii=False)


def readable_parts(message: dict) -> list[str]:
    """What a reader of the stored row must not learn: the subject, the recipient, and every line
    of both parts long enough not to turn up in ciphertext by chance."""
    lines = [message["body"], *(content for content, _mimetype in message["alternatives"])]
    return [
        message["subject"],
        *message["to"],
        *(line.strip() for text in lines for line in text.splitlines() if len(line.strip()) >= 12),
    ]


@pytest.fixture
def built_messages(monkeypatch) -> list[dict]:
    """The parts of every message `send_later` queues, as they were built."""
    built = []

    def record(message):
        built.append(as_json(message))
        return built[-1]

    as_json = mail._as_json
    monkeypatch.setattr(mail, "_as_json", record)
    return built


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("mail_kind", "cause"),
    [("invitation", invite), ("password reset", reset_password), ("email verification", sign_up)],
)
def test_a_queued_mail_keeps_no_token_and_no_text_in_the_clear(
    in_the_database, built_messages, mailoutbox, mail_kind, cause
):
    cause()
    [built] = built_messages
    [secret] = re.findall(ONE_TIME_SECRET[mail_kind], built["body"])
    queued = stored_task_results()

    run_worker()

    ran = stored_task_results()
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("apps_registry.mail.send_email", "SUCCESSFUL")
    ]
    for stored in (queued, ran):
        assert secret not in stored
        assert [part for part in readable_parts(built) if part in stored] == []
    [sent] = mailoutbox
    assert mail._as_json(sent) == built  # the worker sends what was built, token and all
    assert secret in sent.body


@pytest.mark.django_db(transaction=True)
def test_the_task_results_admin_shows_no_part_of_a_queued_mail(
    in_the_database, built_messages, superuser, client
):
    reset_password()
    [built] = built_messages
    [secret] = re.findall(ONE_TIME_SECRET["password reset"], built["body"])
    [task_result] = DBTaskResult.objects.all()

    pages = [
        client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")),
        client.get(
            reverse("admin:django_tasks_database_dbtaskresult_change", args=[task_result.pk])
        ),
    ]

    assert [page.status_code for page in pages] == [200, 200]
    for page in pages:
        assert secret not in page.text
        assert [part for part in readable_parts(built) if part in page.text] == []


def test_a_mail_no_key_decrypts_fails_at_once_without_retries(queued, settings, caplog):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    lost = encrypted(MESSAGE)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with caplog.at_level(logging.ERROR), pytest.raises(InvalidToken):
        mail.send_email.call(encrypted_message=lost)

    assert queued.results == []
    assert [record.getMessage() for record in caplog.records] == [
        "A queued email cannot be decrypted with the configured keys; not sent"
    ]
