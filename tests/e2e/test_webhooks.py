"""A partner sets up the app's webhook in a real browser against a real local receiver: the URL and
topics, the signing secret shown once, a test event, and the delivery log showing it delivered with
200 — and the receiver got a body whose signature verifies with the `standardwebhooks` package."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook

from apps_registry.models import WebhookDelivery, WebhookEndpoint
from tests.e2e.test_partner_console import partner_with_app, shot


class Receiver(BaseHTTPRequestHandler):
    """Answers every POST with 200 and keeps what it got on the server's `received`."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):  # quiet: the test reads `received`
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_partner_sets_a_webhook_sends_a_test_event_and_sees_it_delivered(
    live_server, page: Page, settings, receiver
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # a receiver on this machine, as in development
    url = f"http://127.0.0.1:{receiver.server_port}/hooks/partner-console"
    app = partner_with_app(live_server, page)

    page.goto(f"{live_server.url}/console/apps/{app.pk}/")
    page.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Webhooks")
    page.get_by_label("Receiver URL").fill(url)
    for checkbox in page.get_by_role("checkbox").all():
        checkbox.uncheck()
    page.get_by_role("checkbox", name="authorization.revoked").check()
    page.get_by_role("checkbox", name="app.suspended").check()
    page.get_by_role("button", name="Save webhook").click()

    secret_box = page.get_by_test_id("webhook-secret")
    expect(secret_box).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/]{32}$"))
    secret = secret_box.inner_text().strip()
    expect(page.get_by_test_id("webhook-url")).to_have_text(url)
    shot(page, "webhook-secret")
    endpoint = WebhookEndpoint.objects.get(app=app)
    assert endpoint.topics == ["authorization.revoked", "app.suspended"]

    page.get_by_role("button", name="Send test event").click()

    delivery_row = page.get_by_test_id("webhook-delivery").first
    expect(delivery_row).to_contain_text("webhook.test")
    expect(delivery_row.get_by_test_id("delivery-status")).to_have_text("Delivered")
    expect(delivery_row.get_by_test_id("delivery-response")).to_have_text("200")
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # shown once only
    expect(page.get_by_test_id("webhook-secret-hint")).to_contain_text(secret[-4:])
    delivery_row.get_by_text("Attempts (1)").click()
    expect(delivery_row.get_by_role("cell", name=url, exact=True)).to_be_visible()
    shot(page, "webhook-delivered")

    delivery = WebhookDelivery.objects.get(app=app)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = Webhook(secret).verify(body, headers)
    assert headers["Webhook-Id"] == delivery.event_id
    assert event == json.loads(body) == delivery.payload
    assert event["type"] == "webhook.test"
    assert event["app_id"] == app.client_id
    assert event["data"]["app_name"] == app.name
