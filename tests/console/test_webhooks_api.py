"""The partner API for an app's webhook: its status codes, the one error body and the secret shown
only when it is made."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps_registry.models import Membership, PartnerAuditEvent, WebhookDelivery, WebhookEndpoint
from apps_registry.webhooks import secrets
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


def webhook_path(app) -> str:
    return f"/api/v1/apps/{app.pk}/webhook/"


def replay_path(app, delivery) -> str:
    return f"{webhook_path(app)}deliveries/{delivery.event_id}/replay/"


def test_put_creates_the_webhook_with_the_secret_in_that_response_only(api, app):
    response = api.put(webhook_path(app), {"url": URL, "topics": ["app.suspended"]}, format="json")

    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(app=app)
    body = response.json()
    assert secrets.decrypt(endpoint.secret_ciphertext) == body.pop("secret")
    assert body == {
        "url": URL,
        "topics": ["app.suspended"],
        "secret_hint": endpoint.secret_hint,
        "secret_created_at": endpoint.secret_created_at.isoformat().replace("+00:00", "Z"),
        "previous_secret_expires_at": None,
        "failing_since": None,
        "created_at": endpoint.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": endpoint.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert "no-store" in response["Cache-Control"]
    assert "secret" not in api.get(webhook_path(app)).json()


def test_put_again_updates_with_200_and_no_secret(api, app):
    make_endpoint(app)

    response = api.put(
        webhook_path(app),
        {"url": f"https://{PUBLIC_HOST}/v2", "topics": ["scope.changed", "app.suspended"]},
        format="json",
    )

    assert response.status_code == 200
    assert "secret" not in response.json()
    assert response.json()["topics"] == ["app.suspended", "scope.changed"]
    assert WebhookEndpoint.objects.get(app=app).url == f"https://{PUBLIC_HOST}/v2"


def test_get_without_a_webhook_is_a_404(api, app):
    response = api.get(webhook_path(app))

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No such webhook endpoint.",
        "fields": {},
    }


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        (
            {"url": "https://10.0.0.5/", "topics": ["app.suspended"]},
            "webhook_url_not_public",
            {"url"},
        ),
        (
            {"url": "http://hooks.example.com/", "topics": ["app.suspended"]},
            "webhook_url_invalid",
            {"url"},
        ),
        (
            {"url": "https://nowhere.example.com/", "topics": ["app.suspended"]},
            "webhook_url_not_public",
            {"url"},
        ),
        ({"url": URL, "topics": ["order.created"]}, "invalid", {"topics.0"}),
        ({"url": URL, "topics": []}, "invalid", {"topics"}),
        ({"url": 42, "topics": ["app.suspended"]}, "invalid", {"url"}),
        ({"topics": ["app.suspended"]}, "invalid", {"url"}),
    ],
)
def test_put_refusals_are_400_with_the_error_body_and_nothing_changes(api, app, body, code, fields):
    response = api.put(webhook_path(app), body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert set(response.json()["fields"]) == fields
    assert endpoint_state(app) is None


def test_an_unknown_topic_is_named(api, app):
    response = api.put(webhook_path(app), {"url": URL, "topics": ["order.created"]}, format="json")

    assert response.json()["fields"] == {"topics.0": ['"order.created" is not a valid choice.']}


def test_delete_removes_the_webhook(api, app):
    make_endpoint(app)

    response = api.delete(webhook_path(app))

    assert response.status_code == 204
    assert endpoint_state(app) is None


def test_rotate_secret_returns_the_new_secret(api, app):
    make_endpoint(app)

    response = api.post(f"{webhook_path(app)}rotate-secret/")

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(app=app)
    assert secrets.decrypt(endpoint.secret_ciphertext) == response.json()["secret"]
    assert response.json()["previous_secret_expires_at"] is not None
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("method", "suffix"), [("delete", ""), ("post", "rotate-secret/"), ("post", "test/")]
)
def test_without_a_webhook_these_are_409(api, app, method, suffix):
    response = getattr(api, method)(webhook_path(app) + suffix)

    assert response.status_code == 409
    assert response.json() == {
        "code": "webhook_not_set",
        "message": f"{app.name} has no webhook URL yet: set one first.",
        "fields": {},
    }
    assert WebhookDelivery.objects.count() == 0


def test_test_event_is_accepted_and_listed(api, app, outbox_deliver):
    make_endpoint(app)

    response = api.post(f"{webhook_path(app)}test/")

    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get(app=app)
    assert response.json()["event_id"] == delivery.event_id
    assert response.json()["status"] == "pending"
    assert response.json()["payload"]["type"] == "webhook.test"


def test_deliveries_are_listed_newest_first_with_attempts_and_filters(api, app):
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
    test_event = make_delivery(app, event_type="webhook.test", status="pending", attempts=0)
    make_delivery(factories.PartnerAppFactory())  # another organisation's

    everything = api.get(f"{webhook_path(app)}deliveries/").json()
    by_status = api.get(f"{webhook_path(app)}deliveries/?status=failed").json()
    by_type = api.get(f"{webhook_path(app)}deliveries/?type=webhook.test").json()

    assert everything["next"] is None
    assert [row["event_id"] for row in everything["results"]] == [
        test_event.event_id,
        delivered.event_id,
        failed.event_id,
    ]
    assert [row["event_id"] for row in by_status["results"]] == [failed.event_id]
    assert [row["event_id"] for row in by_type["results"]] == [test_event.event_id]
    attempts = by_status["results"][0]["attempts"]
    assert [(a["number"], a["response_status"], a["duration_ms"]) for a in attempts] == [
        (1, 500, 121),
        (2, 500, 122),
    ]
    assert attempts[0]["response_excerpt"] == "upstream exploded"


def test_a_bad_filter_is_a_400_naming_it(api, app):
    response = api.get(f"{webhook_path(app)}deliveries/?status=lost")

    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ['"lost" is not a valid choice.']}


def test_replay_puts_a_failed_delivery_back_to_pending(api, app, monkeypatch):
    make_endpoint(app)
    delivery = make_delivery(app)
    monkeypatch.setattr("apps_registry.services.webhooks.deliver", mock.Mock())

    response = api.post(f"{webhook_path(app)}deliveries/{delivery.event_id}/replay/")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"


def test_replaying_a_pending_delivery_is_409_and_an_unknown_one_404(api, app):
    make_endpoint(app)
    delivery = make_delivery(app, status="pending", attempts=1)
    before = WebhookDelivery.objects.filter(pk=delivery.pk).values().get()

    pending = api.post(f"{webhook_path(app)}deliveries/{delivery.event_id}/replay/")
    unknown = api.post(f"{webhook_path(app)}deliveries/evt_0000/replay/")

    assert (pending.status_code, pending.json()["code"]) == (409, "webhook_delivery_pending")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "webhook_delivery_not_found")
    assert WebhookDelivery.objects.filter(pk=delivery.pk).values().get() == before


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("put", ""),
        ("delete", ""),
        ("post", "rotate-secret/"),
        ("post", "test/"),
        ("get", "deliveries/"),
        ("post", "deliveries/{event_id}/replay/"),
    ],
)
def test_another_organisations_app_is_a_404_and_nothing_changes(method, suffix):
    other_app = factories.PartnerAppFactory()
    make_endpoint(other_app)
    delivery = make_delivery(other_app)
    before = (
        endpoint_state(other_app),
        list(WebhookDelivery.objects.values()),
    )
    client = APIClient()
    sign_in_with_mfa(client, factories.MembershipFactory(role=Membership.Role.OWNER).user)

    response = getattr(client, method)(
        webhook_path(other_app) + suffix.format(event_id=delivery.event_id),
        {"url": URL, "topics": ["app.suspended"]} if method == "put" else None,
        format="json",
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (endpoint_state(other_app), list(WebhookDelivery.objects.values())) == before


def test_anonymous_calls_are_403(app, client):
    response = APIClient().get(webhook_path(app))

    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_writes_need_the_csrf_token(member, app):
    client = APIClient(enforce_csrf_checks=True)
    sign_in_with_mfa(client, member.user)

    response = client.put(
        webhook_path(app), {"url": URL, "topics": ["app.suspended"]}, format="json"
    )

    assert response.status_code == 403
    assert endpoint_state(app) is None


def test_thousands_of_topics_are_a_400_with_the_error_body_and_nothing_changes(api, app):
    response = api.put(
        webhook_path(app), {"url": URL, "topics": ["app.suspended"] * 5000}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"topics": ["Ensure this field has no more than 6 elements."]},
    }
    assert endpoint_state(app) is None


def test_a_body_over_the_upload_limit_is_a_400_with_the_error_body(api, app, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"url": URL, "topics": ["app.suspended"], "padding": "x" * 5000}

    response = api.put(webhook_path(app), body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "The request body is larger than the 1000 bytes the API accepts.",
        "fields": {},
    }
    assert endpoint_state(app) is None


def test_a_test_event_over_the_hourly_limit_is_a_429_with_the_error_body(
    api, app, outbox_deliver, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    make_endpoint(app)
    for _ in range(10):
        make_delivery(app, event_type="webhook.test", created_at=timezone.now())

    response = api.post(f"{webhook_path(app)}test/")

    assert response.status_code == 429
    assert response.json()["code"] == "webhook_test_events_limited"
    assert response.json()["fields"] == {}
    assert response["Retry-After"] == "3600"
    assert WebhookDelivery.objects.count() == 10


def test_the_eleventh_replay_of_a_delivered_event_is_a_429_and_nothing_changes(
    api, app, monkeypatch, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    make_endpoint(app)
    task = mock.Mock()
    monkeypatch.setattr("apps_registry.services.webhooks.deliver", task)
    for _ in range(10):
        delivered = make_delivery(app, status="delivered", response_status=200)
        assert api.post(replay_path(app, delivered)).status_code == 202
    delivered = make_delivery(app, status="delivered", response_status=200)
    before = WebhookDelivery.objects.filter(pk=delivered.pk).values().get()

    response = api.post(replay_path(app, delivered))

    assert response.status_code == 429
    again_at = timezone.now() + timedelta(hours=1)
    assert response.json() == {
        "code": "webhook_replays_limited",
        "message": f"{app.name} had 10 delivered events replayed in the last hour, the most "
        f"allowed: replay another after {again_at:%H:%M} UTC. Failed events may be replayed at "
        "any time.",
        "fields": {},
    }
    assert response["Retry-After"] == "3600"
    assert WebhookDelivery.objects.filter(pk=delivered.pk).values().get() == before
    assert PartnerAuditEvent.objects.filter(app=app, action="webhook_replayed").count() == 10
    failed = make_delivery(app)
    assert api.post(replay_path(app, failed)).status_code == 202


@pytest.mark.parametrize("count", [1, 45])
def test_the_delivery_log_pages_by_cursor_in_a_constant_number_of_queries(
    api, app, count, django_assert_num_queries
):
    make_endpoint(app)
    for _ in range(count):
        make_delivery(app, attempts=3)
    url = f"{webhook_path(app)}deliveries/"

    # The session, the user, the app's membership check, the page and its attempts.
    with django_assert_num_queries(5):
        first = api.get(url, {"limit": "20"}).json()
    pages = [first]
    while pages[-1]["next"]:
        with django_assert_num_queries(5):
            pages.append(api.get(pages[-1]["next"]).json())

    event_ids = [row["event_id"] for page in pages for row in page["results"]]
    assert len(pages) == -(-count // 20)
    assert len(event_ids) == len(set(event_ids)) == count
    assert all(len(row["attempts"]) == 3 for page in pages for row in page["results"])
