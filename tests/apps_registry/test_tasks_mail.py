"""Every e-mail leaves from the worker (apps_registry/mail.py): queued when the transaction that
caused it commits, never when it rolls back, retried when the mail server fails."""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.tasks import default_task_backend
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps_registry import mail, notifications
from apps_registry.models import AccessRequest
from tests import factories
from tests.apps_registry.review_helpers import make_request

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


def queued_mail(backend) -> list[tuple[str, list[str], str]]:
    return [
        (result.task.name, result.kwargs["message"]["to"], result.kwargs["message"]["subject"])
        for result in backend.results
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
        assert mail.send_email.call(message=MESSAGE, attempt=2) == 0

    [retry] = queued.results
    assert (retry.task.name, retry.task.run_after, retry.kwargs) == (
        "send_email",
        NOW + timedelta(seconds=mail.RETRY_DELAYS_SECONDS[1]),
        {"message": MESSAGE, "attempt": 3},
    )
    assert [record.getMessage() for record in caplog.records] == [
        "Email 'Approved: orders.read for Acme' to ['ada@partner.example'] failed (attempt 2); "
        "trying again in 600 seconds"
    ]


def test_after_its_last_retry_a_failed_send_is_given_up_loudly(queued, failing_mail, caplog):
    last_attempt = len(mail.RETRY_DELAYS_SECONDS) + 1

    with caplog.at_level(logging.ERROR), pytest.raises(smtplib.SMTPServerDisconnected):
        mail.send_email.call(message=MESSAGE, attempt=last_attempt)

    assert queued.results == []
    assert [record.getMessage() for record in caplog.records] == [
        "Email 'Approved: orders.read for Acme' to ['ada@partner.example'] failed 5 times; "
        "giving up"
    ]


def test_on_the_tests_backend_a_failing_send_runs_every_retry_then_fails(failing_mail, caplog):
    with caplog.at_level(logging.ERROR, logger="apps_registry.mail"):
        result = mail.send_email.enqueue(message=MESSAGE)

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
