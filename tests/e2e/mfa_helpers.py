"""Two-factor steps as a partner owner takes them in the browser (ADR 0018): setting up an
authenticator app on allauth's page, and entering a code when the console asks for one."""

from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect


def current_totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def set_up_totp(page: Page, password: str) -> list[str]:
    """On the way to allauth's activation page (after the password, if it asks for it): read the
    secret off the page, enter its current code, and return the recovery codes shown next."""
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("Confirm access|Activate authenticator app"))
    if heading.inner_text() == "Confirm access":
        page.locator('input[name="password"]').fill(password)
        page.get_by_role("button", name="Confirm").click()
    expect(heading).to_have_text("Activate authenticator app")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator('input[name="code"]').fill(current_totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    return page.locator("#recovery_codes").input_value().split()


def enter_code(page: Page, code: str) -> None:
    """On allauth's MFA reauthentication page: an authenticator or recovery code."""
    expect(page).to_have_url(re.compile(r"/accounts/2fa/reauthenticate/"))
    page.locator('input[name="code"]').fill(code)
    page.get_by_role("button", name="Confirm").click()
