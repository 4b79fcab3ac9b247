"""Every page people use works under the site's Content Security Policy in a real browser: no
inline script or style is refused, and nothing is loaded from another host."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from playwright.sync_api import Page

from apps_registry.models import AccessRequest, Membership
from scopes.services.scope_edits import scope_edit
from tests import factories
from tests.apps_registry.review_helpers import make_catalog_manager, make_request, make_reviewer
from tests.conftest import sign_in_with_mfa
from tests.e2e.consent_helpers import CALLBACK, make_app, make_seller
from tests.oauth.flow import Flow


def browse_as(page: Page, live_server, user, *, with_mfa: bool = False) -> None:
    """Give the browser a session for `user` without driving the login form."""
    client = Client()
    if with_mfa:
        sign_in_with_mfa(client, user)
    else:
        client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def refusals_while_visiting(page: Page, live_server, paths: list[str]) -> list[str]:
    """CSP refusals and off-site requests, each labelled with the page that caused it."""
    problems: list[str] = []
    current = {"path": ""}
    own_host = live_server.url.split("/")[2]
    page.on(
        "console",
        lambda message: (
            problems.append(f"{current['path']}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            problems.append(f"{current['path']}: off-site {request.url}")
            if request.url.split("/")[2] not in (own_host, CALLBACK.split("/")[2])
            else None
        ),
    )
    for path in paths:
        current["path"] = path
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        page.wait_for_load_state("networkidle")
    return problems


def test_public_pages(live_server, page: Page, catalog):
    paths = [
        "/",
        "/scopes/",
        "/scopes/?q=inventory&kind=custom",
        "/scopes/seller.product.write/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/api/docs/",
    ]
    assert refusals_while_visiting(page, live_server, paths) == []


def test_partner_pages(live_server, page: Page, catalog):
    owner = factories.MembershipFactory(role=Membership.Role.OWNER).user
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    app = factories.PartnerAppFactory(partner=owner.memberships.get().partner)
    access_request = make_request(app=app, status=AccessRequest.Status.SUBMITTED)
    browse_as(page, live_server, owner)
    paths = [
        "/console/",
        "/console/apps/",
        "/console/apps/new/",
        f"/console/apps/{app.pk}/",
        f"/console/apps/{app.pk}/api/",
        f"/console/apps/{app.pk}/installs/",
        f"/console/apps/{app.pk}/webhooks/",
        f"/console/apps/{app.pk}/api/seller.customer_engagement.read/apply/",
        f"/console/requests/{access_request.pk}/",
        "/console/team/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
    ]
    assert refusals_while_visiting(page, live_server, paths) == []


def test_seller_pages_and_the_consent_page(live_server, page: Page):
    seller = make_seller()
    factories.ShopFactory(owner=seller)
    app = make_app()
    browse_as(page, live_server, seller)
    paths = [
        "/seller/",
        "/seller/shops/",
        "/seller/apps/",
        Flow.start(app, redirect_uri=CALLBACK).authorize_url(),
    ]
    assert refusals_while_visiting(page, live_server, paths) == []


@pytest.mark.parametrize("decision", ["approve", "reject", "request-changes"])
def test_review_pages(live_server, page: Page, decision):
    reviewer = make_reviewer()
    access_request = make_request(status=AccessRequest.Status.IN_REVIEW, assigned_to=reviewer)
    browse_as(page, live_server, reviewer, with_mfa=True)
    change = f"/admin/apps_registry/accessrequest/{access_request.pk}/change/"
    paths = [
        "/admin/",
        "/admin/apps_registry/accessrequest/",
        "/admin/apps_registry/accessrequest/?status__exact=in_review",
        change,
        f"/admin/apps_registry/accessrequest/{access_request.pk}/{decision}/",
        f"/admin/apps_registry/partnerapp/{access_request.app_id}/change/",
        "/admin/scopes/scope/",
    ]
    assert refusals_while_visiting(page, live_server, paths) == []


def test_catalog_manager_pages(live_server, page: Page):
    manager = make_catalog_manager()
    scope = factories.CustomScopeFactory(requires_dual_approval=True)
    scope_edit(scope_id=scope.pk, changes={"requires_dual_approval": False}, actor=manager)
    browse_as(page, live_server, manager, with_mfa=True)
    paths = [
        "/admin/scopes/scope/",
        f"/admin/scopes/scope/{scope.pk}/change/",
        "/admin/scopes/scopechange/",
        "/admin/scopes/catalogevent/",
    ]
    assert refusals_while_visiting(page, live_server, paths) == []
