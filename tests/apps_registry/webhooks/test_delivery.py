"""Delivering to a real receiver: retries on failures and timeouts, stops on 2xx, fails after the
schedule, warns the partner once, follows no redirect and posts only to public addresses."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
import urllib3
from cryptography import x509
from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps_registry.models import (
    TEST_EVENT_TYPE,
    Membership,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps_registry.webhooks.delivery import (
    INTERNAL_ERROR,
    attempt_delivery,
    claim,
    claim_duration,
    enqueue_due_deliveries,
    record_attempt,
)
from apps_registry.webhooks.outbox import record_event
from apps_registry.webhooks.transport import PostResult
from tests import factories
from tests.webhook_receiver import Reply, subscribe
from tests.webhook_records import NON_PUBLIC_HOSTS, PUBLIC_HOST

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
DELAYS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600]
NOT_PUBLIC = "The host must resolve only to public internet addresses"


@pytest.fixture
def app():
    return factories.PartnerAppFactory(name="Acme Sync")


def _event(app, *, now=None, data=None):
    """A committed event whose wake-up is not run, so each test drives the attempts itself."""
    return record_event(
        app_id=app.pk,
        event_type=TEST_EVENT_TYPE,
        data=data or {"n": 1},
        now=now or timezone.now(),
    )


def _attempts(delivery):
    return list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list(
            "number", "response_status", "error"
        )
    )


def _attempt_on_schedule(delivery, *, start):
    """Attempt the delivery at `start` and at each retry's due time; return those moments."""
    moments = [start]
    for delay in [0, *DELAYS]:
        moments.append(moments[-1] + timedelta(seconds=delay))
        assert attempt_delivery(delivery_id=delivery.pk, now=moments[-1])
    return moments[1:]


def test_500_then_500_then_200_is_delivered_on_the_third_attempt_on_schedule(
    app, webhook_receiver, loopback_webhooks
):
    webhook_receiver.answer(500, 500, 200)
    subscribe(app, url=webhook_receiver.url)
    start = timezone.now()
    delivery = _event(app, now=start)

    assert attempt_delivery(delivery_id=delivery.pk, now=start)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        Status.PENDING,
        1,
        start + timedelta(seconds=60),
    )
    assert delivery.locked_until is None
    # Not due yet: a second try a second later posts nothing.
    assert not attempt_delivery(delivery_id=delivery.pk, now=start + timedelta(seconds=1))

    second = start + timedelta(seconds=60)
    assert attempt_delivery(delivery_id=delivery.pk, now=second)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == second + timedelta(seconds=5 * 60)

    third = second + timedelta(seconds=5 * 60)
    assert attempt_delivery(delivery_id=delivery.pk, now=third)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.finished_at) == (
        Status.DELIVERED,
        3,
        third,
    )
    assert (delivery.next_attempt_at, delivery.locked_until, delivery.last_response_status) == (
        None,
        None,
        200,
    )
    assert _attempts(delivery) == [
        (1, 500, "The receiver answered 500 Internal Server Error"),
        (2, 500, "The receiver answered 500 Internal Server Error"),
        (3, 200, ""),
    ]
    assert list(delivery.attempts.values_list("started_at", flat=True)) == [start, second, third]
    assert len(webhook_receiver.requests) == 3
    assert {request.headers["Webhook-Id"] for request in webhook_receiver.requests} == {
        delivery.event_id
    }


def test_a_timeout_is_recorded_and_retried(app, webhook_receiver, loopback_webhooks):
    loopback_webhooks.WEBHOOK_TIMEOUT_SECONDS = 0.5
    webhook_receiver.answer(Reply(delay=3))
    subscribe(app, url=webhook_receiver.url)
    now = timezone.now()
    delivery = _event(app, now=now)

    started = time.monotonic()
    attempt_delivery(delivery_id=delivery.pk, now=now)

    assert time.monotonic() - started < 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        Status.PENDING,
        1,
        now + timedelta(seconds=60),
    )
    [attempt] = delivery.attempts.all()
    assert (attempt.response_status, attempt.error) == (None, "Timed out after 0.5 s")
    assert 500 <= attempt.duration_ms < 2000
    assert attempt.url == webhook_receiver.url


def test_a_used_up_schedule_fails_the_delivery_and_emails_the_partner_once(
    app, webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    owner = factories.MembershipFactory(partner=app.partner).user
    developer = factories.MembershipFactory(
        partner=app.partner, role=Membership.Role.DEVELOPER
    ).user
    factories.MembershipFactory()  # another partner's member hears nothing
    webhook_receiver.answer(*[503] * 12)
    subscribe(app, url=webhook_receiver.url)
    start = timezone.now()
    first = _event(app, now=start)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first_moments = _attempt_on_schedule(first, start=start)
        # A second delivery failing too while the endpoint is already failing mails nobody.
        second = _event(app, now=first_moments[-1])
        moments = _attempt_on_schedule(second, start=first_moments[-1])

    for delivery, finished_at in ((first, first_moments[-1]), (second, moments[-1])):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempt_count, delivery.finished_at) == (
            Status.FAILED,
            6,
            finished_at,
        )
        assert (delivery.next_attempt_at, delivery.last_response_status) == (None, 503)
    assert not attempt_delivery(delivery_id=first.pk, now=moments[-1] + timedelta(days=1))
    assert len(webhook_receiver.requests) == 12
    endpoint = WebhookEndpoint.objects.get(app=app)
    assert endpoint.failing_since == first_moments[-1]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [owner.email, developer.email]
    )
    message = mail.outbox[0]
    assert message.subject == "Webhooks failing: Acme Sync"
    assert webhook_receiver.url in message.body
    assert "The receiver answered 503 Service Unavailable" in message.body
    assert reverse("partner:app-webhooks", kwargs={"app_id": app.pk}) in message.body

    # The receiver is fixed: the next delivery clears the warning and mails nobody.
    mail.outbox.clear()
    later = moments[-1] + timedelta(hours=1)
    third = _event(app, now=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert attempt_delivery(delivery_id=third.pk, now=later)
    third.refresh_from_db()
    assert third.status == Status.DELIVERED
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert mail.outbox == []


def test_a_delivery_that_cannot_be_signed_fails_on_schedule_instead_of_blocking_its_app(
    app, webhook_receiver, loopback_webhooks, caplog, django_capture_on_commit_callbacks
):
    owner = factories.MembershipFactory(partner=app.partner).user
    subscribe(app, url=webhook_receiver.url)
    # A secret no configured key decrypts, as after ENCRYPTION_KEYS lost the key that wrote it.
    WebhookEndpoint.objects.filter(app=app).update(secret_ciphertext="gAAAAABnot-a-token")
    start = timezone.now()
    delivery = _event(app, now=start)
    mail.outbox.clear()

    with (
        caplog.at_level(logging.ERROR, logger="apps_registry.webhooks.delivery"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        moments = _attempt_on_schedule(delivery, start=start)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.finished_at) == (
        Status.FAILED,
        6,
        moments[-1],
    )
    assert delivery.locked_until is None
    # The partner reads what to expect, never the exception's text.
    assert _attempts(delivery) == [(number, None, INTERNAL_ERROR) for number in range(1, 7)]
    assert webhook_receiver.requests == []
    assert WebhookEndpoint.objects.get(app=app).failing_since == moments[-1]
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert [(record.getMessage(), record.exc_info[0]) for record in caplog.records] == [
        (f"Webhook delivery {delivery.pk} could not be signed or posted", InvalidToken)
    ] * 6


def test_the_failing_email_is_queued_in_the_transaction_that_marks_the_endpoint_failing(
    app, settings, django_capture_on_commit_callbacks
):
    # The production backend: the task row is written in the transaction, so the one email
    # cannot be lost to a crash right after failing_since commits.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "webhooks"],
            "OPTIONS": {"enqueue_on_commit": False},
        }
    }
    factories.MembershipFactory(partner=app.partner)
    subscribe(app, url=f"https://{PUBLIC_HOST}/webhooks")
    now = timezone.now()
    delivery = _event(app, now=now)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempt_count=len(DELAYS))
    claimed_until = claim(delivery_id=delivery.pk, now=now)

    with django_capture_on_commit_callbacks() as callbacks:
        record_attempt(
            delivery_id=delivery.pk,
            claimed_until=claimed_until,
            url=f"https://{PUBLIC_HOST}/webhooks",
            result=PostResult(503, "The receiver answered 503 Service Unavailable", "", 5),
            now=now,
        )

    assert callbacks == []
    assert WebhookEndpoint.objects.get(app=app).failing_since == now
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "apps_registry.mail.send_email"
    ]


def test_an_email_that_cannot_be_queued_does_not_undo_the_last_attempt(app, monkeypatch, caplog):
    def broken_template(*, app_id):
        raise LookupError("email/webhook_failing.txt")

    monkeypatch.setattr(
        "apps_registry.webhooks.delivery.notify_partner_of_failing_webhook", broken_template
    )
    subscribe(app, url=f"https://{PUBLIC_HOST}/webhooks")
    now = timezone.now()
    delivery = _event(app, now=now)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempt_count=len(DELAYS))
    claimed_until = claim(delivery_id=delivery.pk, now=now)

    with caplog.at_level(logging.ERROR, logger="apps_registry.webhooks.delivery"):
        record_attempt(
            delivery_id=delivery.pk,
            claimed_until=claimed_until,
            url=f"https://{PUBLIC_HOST}/webhooks",
            result=PostResult(503, "The receiver answered 503 Service Unavailable", "", 5),
            now=now,
        )

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.locked_until) == (
        Status.FAILED,
        6,
        None,
    )
    assert WebhookEndpoint.objects.get(app=app).failing_since == now
    assert [record.getMessage() for record in caplog.records] == [
        f"Webhook endpoint of app {app.pk} is failing; its email was not queued"
    ]


def test_a_redirect_is_a_failure_and_is_not_followed(app, make_webhook_receiver, loopback_webhooks):
    receiver, target = make_webhook_receiver(), make_webhook_receiver()
    receiver.answer(Reply(status=302, headers={"Location": target.url}))
    subscribe(app, url=receiver.url)
    now = timezone.now()
    delivery = _event(app, now=now)

    attempt_delivery(delivery_id=delivery.pk, now=now)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_response_status) == (Status.PENDING, 302)
    assert _attempts(delivery) == [
        (1, 302, "The receiver answered 302, a redirect: redirects are not followed")
    ]
    assert len(receiver.requests) == 1
    assert target.requests == []


def test_the_excerpt_keeps_the_first_500_characters(app, webhook_receiver, loopback_webhooks):
    webhook_receiver.answer(Reply(status=400, body="é" + "x" * 2000 + "\x00"))
    subscribe(app, url=webhook_receiver.url)
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    [attempt] = delivery.attempts.all()
    assert attempt.response_excerpt == "é" + "x" * 499
    assert attempt.error == "The receiver answered 400 Bad Request"


def test_a_slow_drip_answer_is_cut_at_the_deadline(app, webhook_receiver, loopback_webhooks):
    loopback_webhooks.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.5
    webhook_receiver.answer(Reply(status=200, body="y" * 100, drip_seconds=0.2))
    subscribe(app, url=webhook_receiver.url)
    delivery = _event(app)

    started = time.monotonic()
    attempt_delivery(delivery_id=delivery.pk)

    # The deadline is connect + read timeout (1.5 s); dripping all 100 bytes would take 20 s.
    assert time.monotonic() - started < 3
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    [attempt] = delivery.attempts.all()
    assert 3 <= len(attempt.response_excerpt) < 100
    assert set(attempt.response_excerpt) == {"y"}


def test_a_receiver_dripping_its_headers_is_cut_at_the_deadline(
    app, webhook_receiver, loopback_webhooks
):
    # Each byte comes well within the read timeout, so only an overall deadline stops it.
    loopback_webhooks.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.5
    webhook_receiver.answer(Reply(drip_headers=True, drip_seconds=0.2))
    subscribe(app, url=webhook_receiver.url)
    delivery = _event(app)

    started = time.monotonic()
    attempt_delivery(delivery_id=delivery.pk)

    assert time.monotonic() - started < 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.PENDING, 1)
    assert delivery.attempts.get().error == "No complete answer within 1.5 s"


def test_a_refused_connection_says_so(app, webhook_receiver, loopback_webhooks):
    url = webhook_receiver.url
    webhook_receiver.stop()
    subscribe(app, url=url)
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert _attempts(delivery) == [(1, None, "Connection refused")]


def test_an_untrusted_certificate_is_refused(
    app, make_webhook_receiver, loopback_webhooks, tmp_path
):
    receiver = make_webhook_receiver(tls=_self_signed_tls(tmp_path))
    subscribe(app, url=receiver.url)
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert receiver.url.startswith("https://127.0.0.1:")
    assert _attempts(delivery) == [(1, None, "TLS certificate not valid for 127.0.0.1")]
    assert receiver.requests == []


def _self_signed_tls(directory) -> ssl.SSLContext:
    """A server context whose certificate for 127.0.0.1 nobody trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def connections(monkeypatch):
    """Where a POST would connect: recorded, and refused, so nothing leaves the machine."""
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return connected


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
def test_a_host_with_any_non_public_address_is_refused_before_posting(
    app, fake_dns, connections, settings, host
):
    # Every answer is checked, not only the first one requests-hardened connects to, by the rule
    # the URL passed when it was set (DNS changed since); a name that no longer resolves is
    # refused in the same words, so internal names cannot be probed through a CNAME.
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    subscribe(app, url=f"https://{host}/webhooks")
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert _attempts(delivery) == [(1, None, NOT_PUBLIC)]
    assert connections == []


def test_a_public_host_passes_the_check_and_is_connected_to(app, fake_dns, connections, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    subscribe(app, url=f"https://{PUBLIC_HOST}/webhooks")
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert _attempts(delivery) == [(1, None, "Connection refused")]
    assert connections == [("93.184.216.34", 443)]


@pytest.mark.parametrize("second_answer", [["10.0.0.5"], []])
def test_an_answer_that_changes_after_the_check_is_refused_at_connect(
    app, connections, settings, monkeypatch, second_answer
):
    # requests-hardened resolves again and connects only to the address it checked.
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    answers = [["93.184.216.34"], second_answer]

    def getaddrinfo(host, port, *args, **kwargs):
        addresses = answers.pop(0)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    subscribe(app, url=f"https://{PUBLIC_HOST}/webhooks")
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert answers == []
    assert _attempts(delivery) == [(1, None, NOT_PUBLIC)]
    assert connections == []


def test_loopback_is_refused_outside_development(app, webhook_receiver, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    subscribe(app, url=f"https://127.0.0.1:{webhook_receiver.port}/webhooks")
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert _attempts(delivery) == [(1, None, NOT_PUBLIC)]
    assert webhook_receiver.requests == []


@pytest.mark.parametrize(
    ("allow_loopback", "url", "error"),
    [
        (False, "http://127.0.0.1:{port}/webhooks", "The URL must start with https://"),
        (
            True,
            "http://hooks.example.com/webhooks",
            "The URL must start with https:// (http:// only to this machine, in development)",
        ),
    ],
)
def test_plain_http_is_refused_unless_to_loopback_in_development(
    app, webhook_receiver, settings, allow_loopback, url, error
):
    settings.WEBHOOK_ALLOW_LOOPBACK = allow_loopback
    subscribe(app, url=url.format(port=webhook_receiver.port))
    delivery = _event(app)

    attempt_delivery(delivery_id=delivery.pk)

    assert _attempts(delivery) == [(1, None, error)]
    assert webhook_receiver.requests == []


def test_a_rolled_back_transaction_sends_nothing(
    app, webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    subscribe(app, url=webhook_receiver.url)

    def change_that_fails():
        with transaction.atomic():
            _event(app)
            raise RuntimeError("the change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        change_that_fails()

    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert webhook_receiver.requests == []


def test_a_committed_event_is_delivered_on_commit(
    app, webhook_receiver, loopback_webhooks, django_capture_on_commit_callbacks
):
    subscribe(app, url=webhook_receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        delivery = _event(app)

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert len(webhook_receiver.requests) == 1


def test_a_delivery_whose_endpoint_was_removed_fails_without_an_attempt(
    app, webhook_receiver, loopback_webhooks
):
    subscribe(app, url=webhook_receiver.url)
    now = timezone.now()
    delivery = _event(app, now=now)
    WebhookEndpoint.objects.filter(app=app).delete()

    assert attempt_delivery(delivery_id=delivery.pk, now=now)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.finished_at, delivery.next_attempt_at) == (
        Status.FAILED,
        now,
        None,
    )
    assert (delivery.attempt_count, delivery.locked_until) == (0, None)
    assert not delivery.attempts.exists()
    assert webhook_receiver.requests == []


def test_an_apps_second_delivery_waits_while_its_first_is_held(app):
    subscribe(app, url="https://hooks.example.com/webhooks")
    other_app = factories.PartnerAppFactory()
    subscribe(other_app, url="https://other.example.com/webhooks")
    now = timezone.now()
    first, second, other = _event(app, now=now), _event(app, now=now), _event(other_app, now=now)

    assert claim(delivery_id=first.pk, now=now) == now + claim_duration()

    assert claim(delivery_id=first.pk, now=now) is None
    assert claim(delivery_id=second.pk, now=now) is None
    assert claim(delivery_id=other.pk, now=now) is not None
    second.refresh_from_db()
    assert second.locked_until is None
    # Once the first claim lapses (its worker died), either may be taken again.
    later = now + claim_duration()
    assert claim(delivery_id=second.pk, now=later) == later + claim_duration()


def test_an_attempt_whose_claim_was_lost_writes_nothing(app):
    subscribe(app, url="https://hooks.example.com/webhooks")
    now = timezone.now()
    delivery = _event(app, now=now)
    claim(delivery_id=delivery.pk, now=now)

    recorded = record_attempt(
        delivery_id=delivery.pk,
        claimed_until=now,  # not this delivery's claim
        url="https://hooks.example.com/webhooks",
        result=PostResult(200, "", "ok", 5),
        now=now,
    )

    assert recorded is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Status.PENDING, 0)
    assert delivery.locked_until == now + claim_duration()
    assert not delivery.attempts.exists()


def test_the_sweep_enqueues_each_free_apps_earliest_due_delivery(
    app, make_webhook_receiver, loopback_webhooks, monkeypatch
):
    busy_app, quiet_app = factories.PartnerAppFactory(), factories.PartnerAppFactory()
    for each in (app, busy_app, quiet_app):
        subscribe(each, url=make_webhook_receiver().url)
    now = timezone.now()
    earliest = _event(app, now=now - timedelta(minutes=2))
    _event(app, now=now - timedelta(minutes=1))
    held = _event(busy_app, now=now - timedelta(minutes=3))
    _event(busy_app, now=now - timedelta(minutes=3))
    _event(quiet_app, now=now + timedelta(minutes=1))  # not due
    claim(delivery_id=held.pk, now=now)
    enqueued = _sweep_into_a_list(monkeypatch, supports_defer=False)

    assert enqueue_due_deliveries(now=now) == 1

    assert enqueued == [earliest.pk]


@pytest.mark.parametrize(
    ("supports_defer", "swept"),
    [(True, ["overdue"]), (False, ["overdue", "queued a minute ago", "due now"])],
)
def test_with_a_backend_that_defers_the_sweep_leaves_what_is_due_under_two_minutes(
    monkeypatch, supports_defer, swept
):
    # Such a backend got each retry enqueued for its time: a delivery due less than two minutes
    # ago is waiting for a busy worker, and enqueuing it again would only pile up tasks.
    now = timezone.now()
    deliveries = {}
    for name, due in (
        ("overdue", now - timedelta(minutes=2, seconds=1)),
        ("queued a minute ago", now - timedelta(minutes=1)),
        ("due now", now),
    ):
        app = factories.PartnerAppFactory()
        subscribe(app, url=f"https://{PUBLIC_HOST}/webhooks")
        deliveries[_event(app, now=due).pk] = name
    enqueued = _sweep_into_a_list(monkeypatch, supports_defer=supports_defer)

    assert enqueue_due_deliveries(now=now) == len(swept)

    assert [deliveries[delivery_id] for delivery_id in enqueued] == swept


def _sweep_into_a_list(monkeypatch, *, supports_defer: bool) -> list[int]:
    """The deliveries the sweep enqueues, kept in a list, from a backend that can defer or not."""
    enqueued = []
    backend = SimpleNamespace(supports_defer=supports_defer)
    monkeypatch.setattr(
        "apps_registry.webhooks.delivery.deliver",
        SimpleNamespace(enqueue=enqueued.append, get_backend=lambda: backend),
    )
    return enqueued


def test_the_sweep_delivers_once_however_often_it_runs(app, webhook_receiver, loopback_webhooks):
    subscribe(app, url=webhook_receiver.url)
    now = timezone.now()
    first, second = _event(app, now=now), _event(app, now=now)

    # The immediate backend runs each enqueued task at once; the first wakes the second.
    assert enqueue_due_deliveries() == 1
    assert enqueue_due_deliveries() == 0

    assert [request.headers["Webhook-Id"] for request in webhook_receiver.requests] == [
        first.event_id,
        second.event_id,
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}
