"""The app's installs page: the shops that authorize the app now (shops, never sellers' names or
addresses), how many sellers that is, the latest authorizations and revocations, and 30 days of
tokens issued and calls denied as server-drawn SVG bar charts. Owner-scoped, aggregated in the
database, and the same number of queries however many shops and tokens there are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from apps_registry.models import GateDenialCount, ScopeUsage
from apps_registry.selectors.installs import (
    DailyCount,
    InstalledShop,
    app_installs_for_user,
    installed_shop,
    installed_shops_for_user,
)
from apps_registry.services.authorizations import authorization_grant, authorization_revoke_shop
from console.charts import daily_bar_chart
from console.views.partner.installs import SHOPS_PER_PAGE
from tests import factories
from tests.oauth.flow import app_with_scopes

pytestmark = pytest.mark.django_db

PRODUCT = "seller.product.basic"
ORDER = "seller.order.info"


@pytest.fixture
def live_app(member, product_scope, order_scope):
    return app_with_scopes(
        required=[product_scope], optional=[order_scope], partner=member.partner, name="Acme Sync"
    )


def issue_refresh_token(app, seller, *, days_ago: int):
    """A refresh token as DOT leaves it after issuing tokens `days_ago` days ago (UTC)."""
    token = get_refresh_token_model().objects.create(
        user=seller, application=app, token=f"rt-{app.pk}-{seller.pk}-{days_ago}-{timezone.now()}"
    )
    created = timezone.now() - timedelta(days=days_ago)
    get_refresh_token_model().objects.filter(pk=token.pk).update(created=created)


def deny(app, *, days_ago: int, count: int, reason: str = "scope_not_granted_by_seller"):
    at = timezone.now() - timedelta(days=days_ago)
    GateDenialCount.objects.create(
        app=app, reason=reason, day=at.date(), count=count, last_denied_at=at
    )


@pytest.fixture
def installed(live_app):
    """Two sellers: the first authorized two shops and then disconnected one; tokens and denials
    on a few of the last 30 days, and some outside them or of another app."""
    first_seller, second_seller = factories.UserFactory(), factories.UserFactory()
    northwind = factories.ShopFactory(owner=first_seller, name="Northwind Goods", region="GB")
    harbour = factories.ShopFactory(owner=first_seller, name="Harbour Books", region="FR")
    alpine = factories.ShopFactory(owner=second_seller, name="Alpine Tea", region="DE")
    for shop in (northwind, harbour):
        authorization_grant(
            seller=first_seller,
            app=live_app,
            shops=[shop],
            scope_keys=[PRODUCT, ORDER],
            duration_days=90,
        )
    authorization_grant(
        seller=second_seller, app=live_app, shops=[alpine], scope_keys=[PRODUCT], duration_days=30
    )
    authorization_revoke_shop(seller=first_seller, app=live_app, shop=harbour)
    used_at = timezone.now() - timedelta(hours=2)
    ScopeUsage.objects.create(app=live_app, shop=northwind, scope_id=PRODUCT, last_used_at=used_at)
    ScopeUsage.objects.create(
        app=live_app, shop=northwind, scope_id=ORDER, last_used_at=used_at - timedelta(days=1)
    )
    for days_ago in (0, 0, 3, 29, 30):
        issue_refresh_token(live_app, first_seller, days_ago=days_ago)
    issue_refresh_token(factories.PartnerAppFactory(), first_seller, days_ago=0)
    deny(live_app, days_ago=1, count=4)
    deny(live_app, days_ago=1, count=2, reason="shop_required")
    deny(live_app, days_ago=31, count=9)
    return {"northwind": northwind, "alpine": alpine, "used_at": used_at}


def series(counts: dict[int, int]) -> list[DailyCount]:
    """30 days, oldest first: `counts` by days ago, zero on every other day."""
    today = timezone.now().date()
    return [
        DailyCount(today - timedelta(days=days_ago), counts.get(days_ago, 0))
        for days_ago in range(29, -1, -1)
    ]


def test_the_selector_gives_the_live_shops_sellers_events_and_exact_daily_series(
    member, live_app, installed
):
    installs = app_installs_for_user(user=member.user, app_id=live_app.pk)
    shops = installed_shops_for_user(user=member.user, app_id=live_app.pk)

    northwind, alpine = installed["northwind"], installed["alpine"]
    alpine_authorization = alpine.authorizations.get()
    northwind_authorization = northwind.authorizations.get()
    assert [installed_shop(authorization) for authorization in shops] == [  # newest first
        InstalledShop(
            name="Alpine Tea",
            cipher=alpine.cipher,
            region="DE",
            installed_at=alpine_authorization.granted_at,
            expires_at=alpine_authorization.expires_at,
            scope_keys=[PRODUCT],
            last_used_at=None,
        ),
        InstalledShop(
            name="Northwind Goods",
            cipher=northwind.cipher,
            region="GB",
            installed_at=northwind_authorization.granted_at,
            expires_at=northwind_authorization.expires_at,
            scope_keys=[ORDER, PRODUCT],
            last_used_at=installed["used_at"],
        ),
    ]
    assert (installs.shop_count, installs.seller_count) == (2, 2)
    assert [(event.action, event.shop.name) for event in installs.recent_events] == [
        ("revoke_shop", "Harbour Books"),
        ("grant", "Alpine Tea"),
        ("grant", "Harbour Books"),
        ("grant", "Northwind Goods"),
    ]
    assert installs.tokens_issued == series({0: 2, 3: 1, 29: 1})
    assert installs.calls_denied == series({1: 6})


def test_a_seller_with_several_live_shops_counts_as_one_seller(member, live_app, installed):
    first_seller = installed["northwind"].owner
    quay = factories.ShopFactory(owner=first_seller, name="Quay Crafts", region="GB")
    authorization_grant(
        seller=first_seller, app=live_app, shops=[quay], scope_keys=[PRODUCT], duration_days=90
    )

    installs = app_installs_for_user(user=member.user, app_id=live_app.pk)

    assert (installs.shop_count, installs.seller_count) == (3, 2)


@pytest.mark.parametrize("more_shops", [0, 60])
def test_the_page_reads_in_a_constant_number_of_queries_and_pages_the_shops(
    client, live_app, installed, more_shops, django_assert_num_queries
):
    for _ in range(more_shops):
        shop = factories.ShopFactory(owner=factories.UserFactory())
        authorization_grant(
            seller=shop.owner, app=live_app, shops=[shop], scope_keys=[PRODUCT], duration_days=30
        )
        issue_refresh_token(live_app, shop.owner, days_ago=7)
    url = reverse("partner:app-installs", args=[live_app.pk])

    # The session, the user, their membership, the app, the header's roles; the shops' page and
    # their scopes, the two totals in one, the events and the two daily series.
    with django_assert_num_queries(11):
        first = client.get(url).text
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', first)

    assert first.count("<tr data-shop=") == min(2 + more_shops, SHOPS_PER_PAGE)
    assert f'data-testid="shop-count">{2 + more_shops}<' in first
    assert bool(older) == (more_shops > 0)
    if older:
        with django_assert_num_queries(11):
            second = client.get(url, {"cursor": older.group(1)}).text
        assert second.count("<tr data-shop=") == 2 + more_shops - SHOPS_PER_PAGE
        assert installed["northwind"].cipher in second  # the oldest install, on the last page


def test_another_organisations_app_is_a_404_and_its_installs_are_empty(client, installed, live_app):
    outsider = factories.MembershipFactory().user
    client.force_login(outsider)

    response = client.get(reverse("partner:app-installs", args=[live_app.pk]))

    assert response.status_code == 404
    installs = app_installs_for_user(user=outsider, app_id=live_app.pk)
    assert not installed_shops_for_user(user=outsider, app_id=live_app.pk).exists()
    assert (installs.shop_count, installs.seller_count, installs.recent_events) == (0, 0, [])
    assert installs.tokens_issued == series({})
    assert installs.calls_denied == series({})


def test_the_page_lists_the_shops_without_the_sellers_and_draws_30_bars_per_chart(
    client, live_app, installed
):
    response = client.get(reverse("partner:app-installs", args=[live_app.pk]))

    assert response.status_code == 200
    page = response.text
    assert "Northwind Goods" in page
    assert "Alpine Tea" in page
    assert 'data-testid="seller-count">2<' in page
    assert 'data-testid="shop-count">2<' in page
    for shop in (installed["northwind"], installed["alpine"]):
        assert shop.owner.email not in page
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 2
    for chart in charts:
        assert len(re.findall(r'<rect class="chart-bar', chart)) == 30
        assert "<title id=" in chart
        assert "<desc id=" in chart
    tokens_chart = charts[0]
    assert "Tokens issued per day, last 30 days" in tokens_chart
    assert len(re.findall(r'class="chart-bar chart-bar-zero"', tokens_chart)) == 27
    assert "Total: 4." in tokens_chart
    today = timezone.now().date()
    assert f'<time datetime="{today:%Y-%m-%d}">' in page  # the hidden table's rows
    assert "Shop disconnected" in page
    app_page = client.get(reverse("partner:app-detail", args=[live_app.pk])).text
    assert f'href="/console/apps/{live_app.pk}/installs/"' in app_page


def test_a_chart_of_zero_days_still_draws_every_bar_on_the_axis():
    chart = daily_bar_chart(
        series({}), chart_id="empty", title="Empty", description="Nothing.", unit="tokens"
    )

    assert len(chart.bars) == 30
    assert {bar.height for bar in chart.bars} == {1}
    assert [tick.label for tick in chart.y_ticks] == ["0", "1"]
    assert chart.total == 0


def test_a_chart_scales_to_a_round_maximum():
    chart = daily_bar_chart(
        series({0: 7, 1: 3}), chart_id="some", title="Some", description="Some.", unit="tokens"
    )

    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10"]
    tallest = chart.bars[-1]
    assert (tallest.count, tallest.height) == (7, round(7 / 10 * 156, 2))


def test_the_page_costs_the_same_queries_with_more_shops_and_tokens(client, live_app, installed):
    url = reverse("partner:app-installs", args=[live_app.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        shop = factories.ShopFactory(owner=factories.UserFactory())
        authorization_grant(
            seller=shop.owner, app=live_app, shops=[shop], scope_keys=[PRODUCT], duration_days=30
        )
        issue_refresh_token(live_app, shop.owner, days_ago=4)

    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert response.text.count("<tr data-shop=") == 7
    assert len(many) == len(few)
