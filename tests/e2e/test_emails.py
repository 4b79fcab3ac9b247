"""The confirmation e-mail in a real browser: sign up, open the message's HTML part as a mail
client would show it, and follow its button back to the console."""

from __future__ import annotations

from pathlib import Path

from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

PASSWORD = "a-Long-and-unusual-passphrase-42"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_the_confirmation_email_opens_in_the_layout_and_its_button_confirms(
    live_server, page: Page, tmp_path
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")

    [message] = mail.outbox
    assert message.subject == "Confirm your email address"
    html = message.alternatives[0][0]
    opened = tmp_path / "email-confirmation.html"
    opened.write_text(html)
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(opened.as_uri())
    expect(page.get_by_role("link", name="Partner Console").first).to_be_visible()
    expect(page.get_by_text("Hello ada@acme.test,")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "email-confirmation.html").write_text(html)
    page.screenshot(path=SCREENSHOTS / "email-confirmation.png")

    page.get_by_role("link", name="Confirm email address").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/confirm-email/{key(message.body)}/")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{live_server.url}/console/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your organisation")
    assert EmailAddress.objects.get(email="ada@acme.test").verified


def key(body: str) -> str:
    return body.split("/accounts/confirm-email/", 1)[1].split("/", 1)[0]
