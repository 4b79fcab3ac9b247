"""The pages' data tables share one frame (templates/_table.html): each page still renders its
caption, header and rows exactly as before."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from apps_registry.models import Invitation, Membership, PartnerApp
from tests import factories

pytestmark = pytest.mark.django_db

SUBMITTED_AT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
LAST_USED_AT = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)


def day(value) -> str:
    return date_filter(value, "j M Y")


def page(client, url: str) -> tuple[str, str]:
    """The page's HTML and the CSRF token its forms carry."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return html, token.group(1) if token else ""


@pytest.fixture
def owner(client):
    membership = factories.MembershipFactory(role=Membership.Role.OWNER, partner__name="Acme Ltd")
    client.force_login(membership.user)
    return membership


@pytest.fixture
def app(owner):
    return factories.PartnerAppFactory(
        partner=owner.partner,
        name="Helpdesk Sync",
        client_id="client-id-0123456789abcdef",
        status=PartnerApp.Status.DRAFT,
    )


def test_app_list_table(client, app):
    html, _ = page(client, "/console/apps/")

    assertInHTML(
        f"""<div class="table-wrap"><table>
        <caption class="visually-hidden">Your organisation's apps</caption>
        <thead><tr><th scope="col">App</th><th scope="col">Status</th><th scope="col">Client ID</th>
          <th scope="col">Created</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody><tr>
          <td><a href="/console/apps/{app.pk}/">Helpdesk Sync</a><br>
            <span class="muted">Other</span></td>
          <td><span class="badge badge-neutral">Draft</span></td>
          <td><code>client-id-0123456…</code></td>
          <td>{day(app.created)}</td>
          <td><a href="/console/apps/{app.pk}/api/">Manage API</a></td>
        </tr></tbody></table></div>""",
        html,
    )


def test_dashboard_table_of_applications(client, app):
    access_request = factories.AccessRequestFactory(
        app=app,
        scope__key="seller.customer.messages",
        scope__name="Customer messages",
        submitted_at=SUBMITTED_AT,
    )

    html, _ = page(client, "/console/")

    assertInHTML(
        f"""<div class="table-wrap"><table>
        <caption class="visually-hidden">Your organisation's applications for Custom scopes
        </caption>
        <thead><tr><th scope="col">Scope</th><th scope="col">App</th><th scope="col">Status</th>
          <th scope="col">Submitted</th></tr></thead>
        <tbody><tr>
          <td><a href="/console/requests/{access_request.pk}/">Customer messages</a><br>
            <code>seller.customer.messages</code></td>
          <td>Helpdesk Sync</td>
          <td><span class="badge badge-custom">Submitted</span></td>
          <td><time datetime="2025-03-04T05:06:07+00:00">4 Mar 2025</time></td>
        </tr></tbody></table></div>""",
        html,
    )


def test_team_tables_of_members_and_invitations(client, owner):
    colleague = factories.MembershipFactory(
        partner=owner.partner, role=Membership.Role.DEVELOPER, user__email="dev@example.com"
    )
    invitation = Invitation.objects.create(
        partner=owner.partner,
        email="new@example.com",
        token_hash="h" * 64,
        invited_by=owner.user,
        expires_at=timezone.now() + timedelta(days=3),
    )

    html, token = page(client, "/console/team/")

    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    assertInHTML(
        f"""<div class="table-wrap"><table>
        <caption class="visually-hidden">Members of Acme Ltd</caption>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Joined</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
        <tr>
          <td>{owner.user.email} <span class="badge badge-neutral">You</span></td>
          <td>Owner</td><td>{day(owner.created_at)}</td>
          <td><form method="post" action="/console/team/members/{owner.pk}/remove/">{csrf}
            <button type="submit" class="link-button">Leave organisation</button></form></td>
        </tr>
        <tr>
          <td>dev@example.com</td><td>Developer</td><td>{day(colleague.created_at)}</td>
          <td><form method="post" action="/console/team/members/{colleague.pk}/remove/">{csrf}
            <button type="submit" class="link-button">Remove<span class="visually-hidden">
            dev@example.com</span></button></form></td>
        </tr>
        </tbody></table></div>""",
        html,
    )
    assertInHTML(
        f"""<div class="table-wrap"><table>
        <caption class="visually-hidden">Invitations not yet accepted</caption>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Expires</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody><tr>
          <td>new@example.com</td><td>Developer</td><td>{day(invitation.expires_at)}</td>
          <td><form method="post" action="/console/team/invitations/{invitation.pk}/revoke/">{csrf}
            <button type="submit" class="link-button">Revoke<span class="visually-hidden"> the
            invitation for new@example.com</span></button></form></td>
        </tr></tbody></table></div>""",
        html,
    )


def test_scope_detail_table_of_endpoints(client):
    scope = factories.ScopeFactory(key="seller.product.basic", name="Product Basic")
    factories.EndpointFactory(
        scopes=[scope], path="/product/202309/products/{product_id}", title="Get Product"
    )
    factories.EndpointFactory(
        scopes=[scope],
        method="POST",
        path="/product/202309/products",
        title="Create Product",
        needs_shop=False,
    )

    html, _ = page(client, f"/scopes/{scope.key}/")

    assertInHTML(
        """<div class="table-wrap"><table class="catalog-endpoints">
        <caption class="muted">Any one of an endpoint's scopes lets an app call it.</caption>
        <thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">API</th>
          <th scope="col">Shop needed</th></tr></thead>
        <tbody>
        <tr><td><span class="method">POST</span></td><td><code>/product/202309/products</code></td>
          <td>Create Product</td><td>No</td></tr>
        <tr><td><span class="method">GET</span></td>
          <td><code>/product/202309/products/{product_id}</code></td>
          <td>Get Product</td><td>Yes</td></tr>
        </tbody></table></div>""",
        html,
    )


def test_seller_table_of_connected_shops_has_no_caption(client):
    seller = factories.UserFactory()
    shop = factories.ShopFactory(owner=seller, name="Northwind Goods")
    connected = factories.PartnerAppFactory(name="Acme Sync")
    authorization = factories.ShopAuthorizationFactory(
        app=connected, shop=shop, scopes=[factories.ScopeFactory()], last_used_at=LAST_USED_AT
    )
    client.force_login(seller)

    html, token = page(client, "/seller/apps/")

    assertInHTML(
        f"""<div class="table-wrap"><table>
        <thead><tr><th scope="col">Shop</th><th scope="col">Granted</th><th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
        <tbody><tr>
          <td>Northwind Goods <span class="badge badge-neutral">GB</span></td>
          <td>{day(authorization.granted_at)}</td><td>{day(authorization.expires_at)}</td>
          <td>2 Jan 2025, 03:04</td>
          <td><form method="post" action="/seller/apps/{connected.pk}/shops/{shop.pk}/revoke/"
              class="inline-form"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">
            <button type="submit" class="button-secondary button-small"
              aria-label="Disconnect Northwind Goods from Acme Sync">Disconnect shop</button>
          </form></td>
        </tr></tbody></table></div>""",
        html,
    )
