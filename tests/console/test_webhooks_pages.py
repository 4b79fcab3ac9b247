"""The webhook page of an app: setting the receiver, the secret shown once, rotating, removing,
the test event, the delivery log with replays, the failing banner, and who may do what."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from html import unescape
from unittest import mock

import pytest
from django.utils import timezone
from django.utils.html import escape

from apps_registry.models import (
    Membership,
    PartnerAuditEvent,
    ReviewEvent,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.services import webhooks as webhook_services
from apps_registry.webhooks import events as webhook_events
from apps_registry.webhooks import secrets
from console.keyset import InvalidCursorError
from tests import factories
from tests.conftest import sign_in_with_mfa
from tests.webhook_records import (
    PUBLIC_HOST,
    RECEIVER_URL,
    endpoint_state,
    make_delivery,
    make_endpoint,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_dns")]

URL = RECEIVER_URL
SECRET_SHOWN = re.compile(r'data-testid="webhook-secret">(whsec_[A-Za-z0-9+/]{32})<')


def page(app) -> str:
    return f"/console/apps/{app.pk}/webhooks/"


def flash(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Setting the receiver -------------------------------------------------------------------------


def test_without_a_webhook_the_page_offers_to_set_one_and_documents_the_contract(client, app):
    response = client.get(page(app))

    assert response.status_code == 200
    text = response.text
    assert "No webhook yet." in text
    assert "Set up the webhook" in text
    for topic in WebhookTopic:
        assert f'value="{topic.value}"' in text
        assert escape(topic.label) in text
        assert f'data-event-type="{topic.value}"' in text
    assert 'data-event-type="webhook.test"' in text
    assert "from standardwebhooks.webhooks import Webhook" in text
    assert 'import { Webhook } from "standardwebhooks";' in text
    assert "Webhook-Signature" in text
    assert "1 min, 5 min, 30 min, 2 h, 12 h" in text
    assert "Send test event" not in text
    assert "No deliveries yet." in text


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.DEVELOPER])
def test_saving_creates_the_webhook_and_shows_its_secret_once(client, app, member, role):
    user = factories.MembershipFactory(partner=member.partner, role=role).user
    sign_in_with_mfa(client, user)

    response = client.post(
        page(app), {"url": URL, "topics": ["authorization.revoked", "app.suspended"]}, follow=True
    )

    endpoint = WebhookEndpoint.objects.get(app=app)
    assert endpoint.url == URL
    assert endpoint.topics == ["authorization.revoked", "app.suspended"]
    assert flash(response) == ["Webhook saved. Copy its signing secret now: it is shown once."]
    shown = SECRET_SHOWN.search(response.text)[1]
    assert secrets.decrypt(endpoint.secret_ciphertext) == shown
    assert "no-store" in response["Cache-Control"]
    again = client.get(page(app))
    assert shown not in again.text
    assert f"whsec_••••••••{endpoint.secret_hint}" in again.text


def test_saving_changes_url_and_topics_and_shows_no_secret(client, app):
    make_endpoint(app)

    response = client.post(
        page(app), {"url": f"https://{PUBLIC_HOST}/v2", "topics": ["scope.changed"]}, follow=True
    )

    endpoint = WebhookEndpoint.objects.get(app=app)
    assert (endpoint.url, endpoint.topics) == (f"https://{PUBLIC_HOST}/v2", ["scope.changed"])
    assert flash(response) == ["Webhook URL and topics saved."]
    assert SECRET_SHOWN.search(response.text) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"url": "https://10.0.0.5/hook", "topics": ["app.suspended"]},
            "The host must resolve only to public internet addresses",
        ),
        ({"url": "http://hooks.example.com/", "topics": ["app.suspended"]}, "Use https"),
        ({"url": URL, "topics": ["order.created"]}, "Select a valid choice. order.created"),
        ({"url": URL}, "Choose at least one topic to receive."),
    ],
)
def test_a_refused_receiver_re_renders_with_the_reason_and_nothing_changes(
    client, app, data, message
):
    response = client.post(page(app), data)

    assert response.status_code == 400
    assert message in response.text
    assert endpoint_state(app) is None


# --- Rotate, remove, test event ----------------------------------------------------------------


def test_rotating_shows_the_new_secret_once(client, app):
    endpoint = make_endpoint(app)

    response = client.post(f"{page(app)}rotate-secret/", follow=True)

    endpoint.refresh_from_db()
    shown = SECRET_SHOWN.search(response.text)[1]
    assert secrets.decrypt(endpoint.secret_ciphertext) == shown
    assert flash(response) == [
        "A new signing secret was generated. Deliveries are signed with the old one too for 24 "
        "hours, while you update your receiver."
    ]
    assert "Deliveries carry a second signature with it until" in response.text


def test_removing_the_webhook(client, app):
    make_endpoint(app)

    response = client.post(f"{page(app)}remove/", follow=True)

    assert endpoint_state(app) is None
    assert flash(response) == ["Webhook removed: no more events are sent to it."]


def test_sending_a_test_event_lists_it_in_the_log(client, app, outbox_deliver):
    make_endpoint(app)

    response = client.post(f"{page(app)}test/", follow=True)

    delivery = WebhookDelivery.objects.get(app=app)
    assert delivery.event_type == "webhook.test"
    assert flash(response) == [
        f"Test event {delivery.event_id} queued: it appears in the delivery log below."
    ]
    assert f'data-event-id="{delivery.event_id}"' in response.text
    assert "Not tried yet" in response.text


@pytest.mark.parametrize("action", ["rotate-secret/", "remove/", "test/"])
def test_without_a_webhook_buttons_say_so(client, app, action):
    response = client.post(f"{page(app)}{action}", follow=True)

    assert flash(response) == [f"{app.name} has no webhook URL yet: set one first."]
    assert WebhookDelivery.objects.count() == 0


# --- The delivery log ---------------------------------------------------------------------------


def test_the_log_lists_deliveries_newest_first_with_their_attempts(client, app):
    make_endpoint(app)
    now = timezone.now()
    failed = make_delivery(app, created_at=now - timedelta(hours=2), attempts=2)
    delivered = make_delivery(
        app,
        status="delivered",
        response_status=200,
        attempts=1,
        created_at=now - timedelta(hours=1),
    )
    pending = make_delivery(app, status="pending", attempts=0, created_at=now)

    text = client.get(page(app)).text

    order = [text.index(f'data-event-id="{d.event_id}"') for d in (pending, delivered, failed)]
    assert order == sorted(order)
    failed_row = text[order[2] :]
    assert '<span class="badge badge-danger">Failed</span>' in failed_row
    assert "Attempts (2)" in failed_row
    assert "upstream exploded" in failed_row
    assert "The receiver answered 500." in failed_row
    assert "122 ms" in failed_row
    replays = re.findall(r"/webhooks/deliveries/(evt_[0-9a-f]+)/replay/", text)
    assert replays == [delivered.event_id, failed.event_id]  # never a pending one


def test_the_log_is_paginated_by_cursor(client, app):
    make_endpoint(app)
    now = timezone.now()
    deliveries = [
        make_delivery(app, created_at=now - timedelta(minutes=minutes)) for minutes in range(21)
    ]

    first = client.get(page(app)).text
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', first).group(1)
    second = client.get(page(app), {"cursor": older}).text

    assert first.count('data-testid="webhook-delivery"') == 20
    assert 'rel="prev"' not in first
    assert second.count('data-testid="webhook-delivery"') == 1
    assert f'data-event-id="{deliveries[-1].event_id}"' in second
    assert 'rel="next"' not in second
    assert 'rel="prev"' in second


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbled", id="garbled"),
        # 1e400 parses to infinity, which no integer column takes.
        pytest.param(
            base64.urlsafe_b64encode(b'["next",["2026-01-01T00:00:00+00:00",1e400]]').decode(),
            id="an id of 1e400",
        ),
    ],
)
def test_a_broken_page_link_shows_the_first_page_and_says_so(client, app, cursor):
    make_endpoint(app)
    delivery = make_delivery(app)

    response = client.get(page(app), {"cursor": cursor})

    assert response.status_code == 200
    assert f'data-event-id="{delivery.event_id}"' in response.text
    assert flash(response) == [str(InvalidCursorError())]


def test_replaying_a_failed_delivery(client, app, monkeypatch):
    make_endpoint(app)
    delivery = make_delivery(app)
    monkeypatch.setattr("apps_registry.services.webhooks.deliver", mock.Mock())

    response = client.post(f"{page(app)}deliveries/{delivery.event_id}/replay/", follow=True)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert flash(response) == [
        f"Event {delivery.event_id} will be sent again now, with the same event id."
    ]


def test_replaying_a_pending_delivery_says_why_not(client, app):
    make_endpoint(app)
    delivery = make_delivery(app, status="pending", attempts=1)

    response = client.post(f"{page(app)}deliveries/{delivery.event_id}/replay/", follow=True)

    assert WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at == delivery.next_attempt_at
    assert flash(response) == [
        f"Event {delivery.event_id} is still being delivered: replay it once it is delivered or "
        "has failed."
    ]


# --- Failing banner and the app page -------------------------------------------------------------


def test_a_failing_webhook_is_shown_on_its_page_and_on_the_app_page(client, app):
    make_endpoint(app, failing_since=timezone.now() - timedelta(hours=3))

    for path in (page(app), f"/console/apps/{app.pk}/"):
        text = client.get(path).text
        assert 'data-testid="webhook-failing"' in text
        assert f"Deliveries to <code>{URL}</code> are failing since" in text
        assert "fix the receiver, then replay" in text


def test_a_healthy_webhook_shows_no_banner_and_the_app_page_summarises_it(client, app):
    make_endpoint(app)

    app_page = client.get(f"/console/apps/{app.pk}/").text

    assert 'data-testid="webhook-failing"' not in client.get(page(app)).text
    assert 'data-testid="webhook-failing"' not in app_page
    assert f"Events go to <code>{URL}</code>: <code>authorization.revoked</code>." in app_page
    assert f'href="/console/apps/{app.pk}/webhooks/"' in app_page


# --- Another organisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", ""),
        ("post", "rotate-secret/"),
        ("post", "remove/"),
        ("post", "test/"),
        ("post", "deliveries/{event_id}/replay/"),
    ],
)
def test_another_organisations_webhook_is_a_404_and_nothing_changes(client, method, suffix):
    other_app = factories.PartnerAppFactory()
    make_endpoint(other_app)
    delivery = make_delivery(other_app)
    endpoint_before = endpoint_state(other_app)
    delivery_before = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()
    sign_in_with_mfa(client, factories.MembershipFactory(role=Membership.Role.OWNER).user)

    response = getattr(client, method)(
        page(other_app) + suffix.format(event_id=delivery.event_id),
        {"url": URL, "topics": ["app.suspended"]} if method == "post" else None,
    )

    assert response.status_code == 404
    assert endpoint_state(other_app) == endpoint_before
    assert WebhookDelivery.objects.filter(pk=delivery.pk).values().get() == delivery_before
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("count", [1, 45])
def test_the_page_queries_do_not_grow_with_deliveries(
    client, app, count, django_assert_num_queries
):
    make_endpoint(app)
    for _ in range(count):
        make_delivery(app, attempts=3)

    # No COUNT of the log: a page is one keyset read of its deliveries, one of their attempts.
    with django_assert_num_queries(8):
        first = client.get(page(app))
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', first.text)
    if older:
        with django_assert_num_queries(8):
            assert client.get(page(app), {"cursor": older.group(1)}).status_code == 200
    assert first.status_code == 200
    assert bool(older) == (count > 20)


def test_the_app_page_activity_says_what_changed_in_the_webhook(client, app, monkeypatch):
    monkeypatch.setattr("apps_registry.services.webhooks.deliver", mock.Mock())
    client.post(page(app), {"url": URL, "topics": ["app.suspended", "scope.changed"]})
    delivery = make_delivery(app, status="delivered", response_status=200)
    client.post(f"{page(app)}deliveries/{delivery.event_id}/replay/")
    client.post(f"{page(app)}remove/")

    activity = client.get(f"/console/apps/{app.pk}/").context["activity"]

    assert [(entry["event"].get_action_display(), entry["changes"]) for entry in activity] == [
        ("Webhook removed", [f"No more events go to {URL}"]),
        (
            "Webhook event replayed",
            [f"Sent authorization.revoked event {delivery.event_id} again (previously delivered)"],
        ),
        ("Webhook URL or topics set", [f"Events go to {URL}: app.suspended, scope.changed"]),
    ]


# --- The example events -------------------------------------------------------------------------


def shown_examples(client, app) -> dict[str, dict]:
    """The example bodies on the page, by event type."""
    examples = re.findall(
        r'data-event-type="([a-z_.]+)">.*?<pre class="code-sample"><code>(.*?)</code></pre>',
        client.get(page(app)).text,
        re.S,
    )
    return {event_type: json.loads(unescape(body)) for event_type, body in examples}


def real_data(topic: str) -> dict:
    """A `data` of `topic` from its builder, called on saved rows as the services call it."""
    authorization = factories.ShopAuthorizationFactory()
    now = timezone.now()
    match topic:
        case WebhookTopic.AUTHORIZATION_REVOKED:
            return webhook_events.authorization_revoked(
                authorization,
                revoked_scopes=["seller.order.read"],
                remaining_scopes=[],
                reason="seller_disconnected_app",
                revoked_at=now,
            )
        case WebhookTopic.AUTHORIZATION_EXPIRING:
            return webhook_events.authorization_expiring(authorization, scope_keys=[], now=now)
        case WebhookTopic.AUTHORIZATION_EXPIRED:
            return webhook_events.authorization_expired(authorization, scope_keys=[])
        case WebhookTopic.ACCESS_REQUEST_DECIDED:
            approved = factories.ApprovedAccessRequestFactory()
            approval = ReviewEvent.objects.create(
                request=approved,
                action=ReviewEvent.Action.APPROVE,
                to_status=approved.status,
                details={"expires_at": approved.approval_expires_at.isoformat()},
            )
            return webhook_events.access_request_decided(approved, approval)
        case WebhookTopic.APP_SUSPENDED:
            suspension = PartnerAuditEvent.objects.create(
                app=authorization.app,
                partner=authorization.app.partner,
                action=PartnerAuditEvent.Action.APP_SUSPENDED,
                details={"from_status": "live", "to_status": "suspended", "reason": "Abuse."},
            )
            return webhook_events.app_suspended(suspension)
        case WebhookTopic.SCOPE_CHANGED:
            return webhook_events.scope_changed(
                scope_key="seller.order.read",
                change="updated",
                changed_fields=["description"],
                changed_at=now,
            )


@pytest.mark.parametrize("topic", WebhookTopic.values)
def test_each_example_has_exactly_the_keys_the_real_event_has(client, app, topic):
    example = shown_examples(client, app)[topic]

    assert example["type"] == topic
    assert set(example["data"]) == set(real_data(topic))


def test_the_page_shows_one_example_per_topic_and_the_test_event_in_the_real_envelope(
    client, app, member, outbox_deliver
):
    make_endpoint(app)
    sent = webhook_services.webhook_send_test(app_id=app.pk, acting_user=member.user)

    examples = shown_examples(client, app)

    assert list(examples) == [*WebhookTopic.values, "webhook.test"]
    for example in examples.values():
        assert set(example) == set(sent.payload)
    assert examples["webhook.test"]["data"] == sent.payload["data"]
