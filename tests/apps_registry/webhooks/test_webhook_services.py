"""The webhook services: setting the receiver (and refusing every non-public or malformed URL with
nothing changed), rotating and removing, the test event and replaying a delivery."""

from __future__ import annotations

import re
import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from apps_registry.events import audit as audit_events
from apps_registry.models import (
    Membership,
    PartnerApp,
    PartnerAuditEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.services import webhooks as webhook_services
from apps_registry.webhooks import secrets
from core.errors import (
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionRefusedError,
    RateLimitedError,
)
from tests import factories
from tests.webhook_records import (
    NON_PUBLIC_HOSTS,
    PUBLIC_HOST,
    RECEIVER_URL,
    SECRET,
    endpoint_state,
    make_delivery,
    make_endpoint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_dns")]

URL = RECEIVER_URL


@pytest.fixture
def membership():
    return factories.MembershipFactory(role=Membership.Role.OWNER)


@pytest.fixture
def app(membership):
    return factories.PartnerAppFactory(partner=membership.partner)


@pytest.fixture
def user(membership):
    return membership.user


@pytest.fixture
def replay_deliver(monkeypatch) -> mock.Mock:
    task = mock.Mock()
    monkeypatch.setattr("apps_registry.services.webhooks.deliver", task)
    return task


def audit_rows(app) -> list[tuple[str, audit_events.EventDetails]]:
    return [
        (event.action, audit_events.read_details(event))
        for event in PartnerAuditEvent.objects.filter(app=app).order_by("pk")
    ]


def delivery_state(delivery) -> dict:
    return WebhookDelivery.objects.filter(pk=delivery.pk).values().get()


# --- Setting the receiver -------------------------------------------------------------------------


def test_setting_a_webhook_creates_it_with_a_secret_returned_once(app, user):
    result = webhook_services.webhook_endpoint_set(
        app_id=app.pk,
        acting_user=user,
        url=f"  {URL}  ",
        topics=[WebhookTopic.SCOPE_CHANGED, WebhookTopic.AUTHORIZATION_REVOKED],
    )

    endpoint = WebhookEndpoint.objects.get(app=app)
    assert result.created is True
    assert result.endpoint == endpoint
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{32}", result.secret)  # 24 bytes: no "=" padding
    assert len(secrets.signing_key(result.secret)) == 24
    assert secrets.decrypt(endpoint.secret_ciphertext) == result.secret
    assert result.secret not in endpoint.secret_ciphertext
    assert endpoint.secret_hint == result.secret[-4:]
    assert endpoint.url == URL
    assert endpoint.topics == ["authorization.revoked", "scope.changed"]  # in WebhookTopic's order
    assert audit_rows(app) == [
        (
            PartnerAuditEvent.Action.WEBHOOK_SET,
            audit_events.WebhookSet(
                url=URL,
                topics=["authorization.revoked", "scope.changed"],
                secret_hint=endpoint.secret_hint,
            ),
        )
    ]


def test_a_developer_may_set_the_webhook_as_for_redirect_uris(app, membership):
    developer = factories.MembershipFactory(
        partner=membership.partner, role=Membership.Role.DEVELOPER
    ).user

    result = webhook_services.webhook_endpoint_set(
        app_id=app.pk, acting_user=developer, url=URL, topics=[WebhookTopic.APP_SUSPENDED]
    )

    assert result.created is True
    assert WebhookEndpoint.objects.get(app=app).topics == ["app.suspended"]


def test_setting_it_again_changes_url_and_topics_but_keeps_the_secret(app, user):
    endpoint = make_endpoint(app)

    result = webhook_services.webhook_endpoint_set(
        app_id=app.pk,
        acting_user=user,
        url=f"https://{PUBLIC_HOST}/v2",
        topics=[WebhookTopic.APP_SUSPENDED],
    )

    endpoint.refresh_from_db()
    assert (result.created, result.secret) == (False, None)
    assert endpoint.url == f"https://{PUBLIC_HOST}/v2"
    assert endpoint.topics == ["app.suspended"]
    assert endpoint.secret_ciphertext == result.endpoint.secret_ciphertext
    assert audit_rows(app) == [
        (
            PartnerAuditEvent.Action.WEBHOOK_SET,
            audit_events.WebhookSet(
                url=f"https://{PUBLIC_HOST}/v2",
                topics=["app.suspended"],
                previous_url=URL,
                previous_topics=["authorization.revoked"],
            ),
        )
    ]


def test_a_new_url_clears_the_failing_warning_and_new_topics_alone_keep_it(app, user):
    failing_since = timezone.now() - timedelta(hours=3)
    endpoint = make_endpoint(app, failing_since=failing_since)

    webhook_services.webhook_endpoint_set(
        app_id=app.pk, acting_user=user, url=URL, topics=[WebhookTopic.APP_SUSPENDED]
    )
    endpoint.refresh_from_db()
    assert endpoint.failing_since == failing_since

    webhook_services.webhook_endpoint_set(
        app_id=app.pk,
        acting_user=user,
        url=f"https://{PUBLIC_HOST}/v2",
        topics=[WebhookTopic.APP_SUSPENDED],
    )
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


NOT_PUBLIC = "The host must resolve only to public internet addresses"
INVISIBLE = "Remove the spaces, tabs, line breaks and other invisible characters from the URL"

REFUSED_URLS = [
    ("", "webhook_url_invalid", "Enter the URL"),
    ("https://" + "a" * 2040 + ".com/", "webhook_url_invalid", "at most 2048 characters"),
    ("ftp://hooks.example.com/", "webhook_url_invalid", "Use a full https address"),
    ("hooks.example.com/receive", "webhook_url_invalid", "Use a full https address"),
    ("https:///receive", "webhook_url_invalid", "with a host name"),
    ("https://hooks.example.com:99999/", "webhook_url_invalid", "is not a valid URL"),
    ("http://hooks.example.com/receive", "webhook_url_invalid", "Use https"),
    ("https://me:pw@hooks.example.com/", "webhook_url_invalid", "Remove the user name"),
    ("https://me@hooks.example.com/", "webhook_url_invalid", "Remove the user name"),
    ("https://hooks.example.com/receive#top", "webhook_url_invalid", "Remove the #fragment"),
    ("https://hooks.example.com/a\r\nX-Evil: 1", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a b", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a\tb", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com\x00.evil/", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/\x7f", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a\x85b", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a\u00a0b", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a\u2028b", "webhook_url_invalid", INVISIBLE),
    ("https://hooks.example.com/a\u3000b", "webhook_url_invalid", INVISIBLE),
    *(
        (f"https://{host}/", "webhook_url_not_public", NOT_PUBLIC)
        for host in (
            "10.0.0.5",
            "192.168.1.1",
            "127.0.0.1",
            "2130706433",
            "0x7f.1",
            "[::1]",
            "[::ffff:10.0.0.1]",
            "169.254.169.254",
            "[fe80::1]",
            "[fd00::1]",
            "[fec0::1]",
            "[::10.0.0.1]",
            "[2002:a00:1::1]",
            "[2002:5db8:d822::1]",  # 6to4 is refused whole, even of a public address
            "[64:ff9b::a00:1]",
            "[64:ff9b:1::1]",
            "224.0.0.1",
            "[ff02::1]",
            "0.0.0.0",  # noqa: S104 (a URL refused, not an address bound)
            "[::]",
            "240.0.0.1",
            "100.64.0.1",
            "192.0.0.9",
            "192.88.99.1",
            *NON_PUBLIC_HOSTS,
        )
    ),
]


@pytest.mark.parametrize(("url", "code", "message"), REFUSED_URLS, ids=lambda v: str(v)[:40])
def test_a_refused_url_creates_nothing(app, user, url, code, message):
    with pytest.raises(InvalidInputError) as refused:
        webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=user, url=url, topics=[WebhookTopic.APP_SUSPENDED]
        )

    assert refused.value.code == code
    assert message in refused.value.message
    assert refused.value.fields == {"url": [refused.value.message]}
    assert endpoint_state(app) is None
    assert audit_rows(app) == []


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
def test_a_non_public_host_is_refused_without_a_word_on_what_it_resolves_to(app, user, host):
    # One answer whether the host resolves to an internal address or not at all: a partner
    # cannot probe the console's internal DNS.
    with pytest.raises(InvalidInputError) as refused:
        webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=user, url=f"https://{host}/hook", topics=["app.suspended"]
        )

    assert (refused.value.code, refused.value.message) == (
        "webhook_url_not_public",
        f"{NOT_PUBLIC}: check the spelling of “{host}” and its DNS records, and use your "
        "receiver's public https URL.",
    )


def test_the_host_is_resolved_before_the_transaction_opens(app, user, monkeypatch):
    connection = transaction.get_connection()
    outside = len(connection.atomic_blocks)  # the test's own transaction
    resolve = socket.getaddrinfo
    depths = []

    def getaddrinfo(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return resolve(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    webhook_services.webhook_endpoint_set(
        app_id=app.pk, acting_user=user, url=URL, topics=[WebhookTopic.APP_SUSPENDED]
    )

    assert depths == [outside]
    assert WebhookEndpoint.objects.get(app=app).url == URL


@pytest.mark.parametrize(
    "url", ["https://10.0.0.5/", "http://hooks.example.com/", "https://me@hooks.example.com/"]
)
def test_a_refused_url_leaves_an_existing_webhook_unchanged(app, user, url):
    make_endpoint(app)
    before = endpoint_state(app)

    with pytest.raises(InvalidInputError):
        webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=user, url=url, topics=[WebhookTopic.APP_SUSPENDED]
        )

    assert endpoint_state(app) == before
    assert audit_rows(app) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/hook",
        "https://127.0.0.1/hook",
        "http://[::1]:8765/hook",
        "http://local.example.com/hook",
    ],
)
def test_development_may_use_loopback(app, user, settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = True

    result = webhook_services.webhook_endpoint_set(
        app_id=app.pk, acting_user=user, url=url, topics=[WebhookTopic.APP_SUSPENDED]
    )

    assert result.endpoint.url == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/", "webhook_url_invalid"),
        ("https://10.0.0.5/", "webhook_url_not_public"),
        ("https://169.254.169.254/", "webhook_url_not_public"),
    ],
)
def test_development_still_refuses_http_to_others_and_private_addresses(
    app, user, settings, url, code
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True

    with pytest.raises(InvalidInputError) as refused:
        webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=user, url=url, topics=[WebhookTopic.APP_SUSPENDED]
        )

    assert refused.value.code == code
    assert endpoint_state(app) is None


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ([], "Choose at least one topic to receive."),
        (
            ["app.suspended", "order.created"],
            "Unknown topic: order.created. Choose from authorization.revoked, "
            "authorization.expiring, authorization.expired, access_request.decided, "
            "app.suspended, scope.changed.",
        ),
        (["webhook.test"], "Unknown topic: webhook.test."),
    ],
)
def test_bad_topics_are_refused_by_name_and_nothing_changes(app, user, topics, message):
    with pytest.raises(InvalidInputError) as refused:
        webhook_services.webhook_endpoint_set(
            app_id=app.pk, acting_user=user, url=URL, topics=topics
        )

    assert refused.value.code == "webhook_topics_invalid"
    assert refused.value.message.startswith(message)
    assert refused.value.fields == {"topics": [refused.value.message]}
    assert endpoint_state(app) is None
    assert audit_rows(app) == []


SERVICE_CALLS = {
    "set": lambda app, user: webhook_services.webhook_endpoint_set(
        app_id=app.pk, acting_user=user, url=URL, topics=[WebhookTopic.APP_SUSPENDED]
    ),
    "remove": lambda app, user: webhook_services.webhook_endpoint_remove(
        app_id=app.pk, acting_user=user
    ),
    "rotate": lambda app, user: webhook_services.webhook_secret_rotate(
        app_id=app.pk, acting_user=user
    ),
    "test": lambda app, user: webhook_services.webhook_send_test(app_id=app.pk, acting_user=user),
    "replay": lambda app, user: webhook_services.webhook_delivery_replay(
        app_id=app.pk, event_id=WebhookDelivery.objects.get(app=app).event_id, acting_user=user
    ),
}


@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_a_user_of_another_organisation_is_refused_and_nothing_changes(app, call):
    make_endpoint(app)
    delivery = make_delivery(app)
    before = (endpoint_state(app), delivery_state(delivery))
    outsider = factories.MembershipFactory(role=Membership.Role.OWNER).user

    with pytest.raises(PermissionRefusedError) as refused:
        call(app, outsider)

    assert refused.value.code == "not_a_member"
    assert (endpoint_state(app), delivery_state(delivery)) == before
    assert WebhookDelivery.objects.count() == 1
    assert audit_rows(app) == []


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.DEVELOPER])
@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_a_suspended_apps_members_may_still_configure_its_webhook(
    app, membership, role, call, replay_deliver
):
    """So the partner receives `app.suspended` and can fix its receiver."""
    app.status = PartnerApp.Status.SUSPENDED
    app.save(update_fields=["status"])
    make_endpoint(app)
    make_delivery(app)
    user = factories.MembershipFactory(partner=membership.partner, role=role).user

    call(app, user)

    assert PartnerApp.objects.get(pk=app.pk).status == PartnerApp.Status.SUSPENDED


# --- Rotating and removing ------------------------------------------------------------------------


def test_rotating_makes_a_new_secret_and_keeps_the_old_one_signing_for_a_day(app, user, settings):
    settings.WEBHOOK_PREVIOUS_SECRET_HOURS = 24
    endpoint = make_endpoint(app)
    old_ciphertext = endpoint.secret_ciphertext
    before = timezone.now()

    _, secret = webhook_services.webhook_secret_rotate(app_id=app.pk, acting_user=user)

    endpoint.refresh_from_db()
    assert secret.startswith("whsec_")
    assert secrets.decrypt(endpoint.secret_ciphertext) == secret
    assert endpoint.secret_hint == secret[-4:]
    assert endpoint.previous_secret_ciphertext == old_ciphertext
    expected_expiry = endpoint.secret_created_at + timedelta(hours=24)
    assert endpoint.previous_secret_expires_at == expected_expiry
    assert before <= endpoint.secret_created_at <= timezone.now()
    assert audit_rows(app) == [
        (
            PartnerAuditEvent.Action.WEBHOOK_SECRET_ROTATED,
            audit_events.WebhookSecretRotated(
                secret_hint=secret[-4:],
                previous_secret_hint=SECRET[-4:],
                previous_secret_expires_at=expected_expiry.isoformat(),
            ),
        )
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda app, user: webhook_services.webhook_endpoint_remove(app_id=app.pk, acting_user=user),
        lambda app, user: webhook_services.webhook_secret_rotate(app_id=app.pk, acting_user=user),
        lambda app, user: webhook_services.webhook_send_test(app_id=app.pk, acting_user=user),
    ],
    ids=["remove", "rotate", "test"],
)
def test_without_a_webhook_these_are_refused_clearly(app, user, call):
    with pytest.raises(InvalidTransitionError) as refused:
        call(app, user)

    assert refused.value.code == "webhook_not_set"
    assert refused.value.message == f"{app.name} has no webhook URL yet: set one first."
    assert WebhookDelivery.objects.count() == 0
    assert audit_rows(app) == []


def test_removing_deletes_the_webhook_and_keeps_the_log(app, user):
    make_endpoint(app)
    delivery = make_delivery(app)

    webhook_services.webhook_endpoint_remove(app_id=app.pk, acting_user=user)

    assert endpoint_state(app) is None
    assert list(WebhookDelivery.objects.all()) == [delivery]
    assert audit_rows(app) == [
        (PartnerAuditEvent.Action.WEBHOOK_REMOVED, audit_events.WebhookRemoved(url=URL))
    ]


# --- The test event ------------------------------------------------------------------------------


def test_a_test_event_is_queued_whatever_the_topics_and_the_worker_woken_on_commit(
    app, user, outbox_deliver, django_capture_on_commit_callbacks
):
    make_endpoint(app, topics=[WebhookTopic.SCOPE_CHANGED])

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_services.webhook_send_test(app_id=app.pk, acting_user=user)
        outbox_deliver.enqueue.assert_not_called()  # not before the delivery row commits

    outbox_deliver.enqueue.assert_called_once_with(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.event_type == "webhook.test"
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.payload == {
        "id": delivery.event_id,
        "type": "webhook.test",
        "created_at": delivery.created_at.isoformat(),
        "app_id": app.client_id,
        "data": {
            "message": "A test event from the Partner Console: your receiver got it.",
            "app_name": app.name,
        },
    }


def test_the_eleventh_test_event_within_the_hour_is_refused_and_nothing_is_written(
    app, user, outbox_deliver, django_capture_on_commit_callbacks
):
    make_endpoint(app)
    now = timezone.now()
    make_delivery(app, event_type="webhook.test", created_at=now - timedelta(minutes=61))
    first = make_delivery(app, event_type="webhook.test", created_at=now - timedelta(minutes=50))
    for _ in range(9):
        webhook_services.webhook_send_test(app_id=app.pk, acting_user=user)
    before = list(WebhookDelivery.objects.values())

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RateLimitedError) as refused,
    ):
        webhook_services.webhook_send_test(app_id=app.pk, acting_user=user)

    assert refused.value.code == "webhook_test_events_limited"
    assert refused.value.status == 429
    again_at = first.created_at + timedelta(hours=1)
    assert refused.value.message == (
        f"{app.name} was sent 10 test events in the last hour, the most allowed: send another "
        f"after {again_at:%H:%M} UTC."
    )
    assert 9 * 60 <= refused.value.retry_after_seconds <= 10 * 60  # the oldest is 50 minutes old
    assert list(WebhookDelivery.objects.values()) == before
    outbox_deliver.enqueue.assert_not_called()


# --- Replaying ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "response_status"),
    [(WebhookDelivery.Status.FAILED, 500), (WebhookDelivery.Status.DELIVERED, 200)],
)
def test_replaying_sends_it_again_with_a_new_round_of_retries(
    app, user, status, response_status, replay_deliver, django_capture_on_commit_callbacks
):
    make_endpoint(app)
    delivery = make_delivery(app, status=status, attempts=6, response_status=response_status)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=delivery.event_id, acting_user=user
        )
        replay_deliver.enqueue.assert_not_called()

    replay_deliver.enqueue.assert_called_once_with(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert before <= delivery.next_attempt_at <= timezone.now()
    assert delivery.finished_at is None
    assert delivery.attempt_count == 6
    assert delivery.round_started_at_attempt == 6
    assert delivery.attempts.count() == 6  # the log keeps every earlier attempt
    assert audit_rows(app) == [
        (
            PartnerAuditEvent.Action.WEBHOOK_REPLAYED,
            audit_events.WebhookReplayed(
                event_id=delivery.event_id,
                event_type="authorization.revoked",
                previous_status=status.value,
            ),
        )
    ]
    assert PartnerAuditEvent.objects.get(app=app).actor == user


def replay(app, user, delivery) -> WebhookDelivery:
    return webhook_services.webhook_delivery_replay(
        app_id=app.pk, event_id=delivery.event_id, acting_user=user
    )


def replay_delivered_events(app, user, count: int) -> None:
    for _ in range(count):
        replay(app, user, make_delivery(app, status="delivered", response_status=200))


def test_the_eleventh_replay_of_a_delivered_event_within_the_hour_is_refused_and_nothing_changes(
    app, user, replay_deliver, django_capture_on_commit_callbacks, time_machine
):
    make_endpoint(app)
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    replay_delivered_events(app, user, 1)  # over an hour before the refusal: no longer counted
    time_machine.move_to(start + timedelta(minutes=30), tick=False)
    replay_delivered_events(app, user, 1)
    time_machine.move_to(start + timedelta(minutes=61), tick=False)
    replay_delivered_events(app, user, 9)
    delivery = make_delivery(app, status="delivered", response_status=200)
    before = (delivery_state(delivery), audit_rows(app))

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RateLimitedError) as refused,
    ):
        replay(app, user, delivery)

    assert refused.value.code == "webhook_replays_limited"
    assert refused.value.status == 429
    again_at = start + timedelta(minutes=90)  # when the first one counted leaves the hour
    assert refused.value.message == (
        f"{app.name} had 10 delivered events replayed in the last hour, the most allowed: "
        f"replay another after {again_at:%H:%M} UTC. Failed events may be replayed at any time."
    )
    assert refused.value.retry_after_seconds == 29 * 60
    assert (delivery_state(delivery), audit_rows(app)) == before
    assert len(before[1]) == 11
    replay_deliver.enqueue.assert_not_called()


def test_replays_of_failed_events_are_not_limited(app, user, replay_deliver):
    make_endpoint(app)
    replay_delivered_events(app, user, webhook_services.REPLAYS_PER_HOUR)
    failed = [make_delivery(app, status="failed") for _ in range(12)]

    for delivery in failed:
        replay(app, user, delivery)

    assert set(
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in failed]).values_list(
            "status", flat=True
        )
    ) == {"pending"}
    assert [details.previous_status for _, details in audit_rows(app)] == [
        *["delivered"] * 10,
        *["failed"] * 12,
    ]


def test_an_hour_after_the_tenth_replay_of_delivered_events_another_is_allowed(
    app, user, replay_deliver, time_machine
):
    make_endpoint(app)
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    replay_delivered_events(app, user, webhook_services.REPLAYS_PER_HOUR)
    delivery = make_delivery(app, status="delivered", response_status=200)
    with pytest.raises(RateLimitedError):
        replay(app, user, delivery)

    time_machine.move_to(start + timedelta(hours=1, seconds=1), tick=False)
    replay(app, user, delivery)

    assert delivery_state(delivery)["status"] == "pending"
    assert len(audit_rows(app)) == 11


def test_replaying_a_pending_delivery_is_refused_and_nothing_changes(
    app, user, replay_deliver, django_capture_on_commit_callbacks
):
    make_endpoint(app)
    delivery = make_delivery(app, status=WebhookDelivery.Status.PENDING, attempts=1)
    before = delivery_state(delivery)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidTransitionError) as refused,
    ):
        webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=delivery.event_id, acting_user=user
        )

    assert refused.value.code == "webhook_delivery_pending"
    assert delivery_state(delivery) == before
    replay_deliver.enqueue.assert_not_called()


def test_replaying_another_apps_delivery_is_not_found_and_nothing_changes(app, user):
    make_endpoint(app)
    other_delivery = make_delivery(factories.PartnerAppFactory())
    before = delivery_state(other_delivery)

    with pytest.raises(NotFoundError) as refused:
        webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=other_delivery.event_id, acting_user=user
        )

    assert refused.value.code == "webhook_delivery_not_found"
    assert delivery_state(other_delivery) == before


def test_replaying_without_a_webhook_is_refused_and_nothing_changes(app, user):
    delivery = make_delivery(app)
    before = delivery_state(delivery)

    with pytest.raises(InvalidTransitionError) as refused:
        webhook_services.webhook_delivery_replay(
            app_id=app.pk, event_id=delivery.event_id, acting_user=user
        )

    assert refused.value.code == "webhook_not_set"
    assert delivery_state(delivery) == before
