"""The app's installs: which shops authorize it now, its latest authorizations and revocations,
and its daily token issuance and gateway denials over the last 30 days, drawn as SVG charts."""

from __future__ import annotations

from django.views import View

from apps_registry.models import PartnerApp
from apps_registry.selectors import installs as install_selectors
from apps_registry.selectors import partners as selectors
from console.charts import daily_bar_chart
from console.keyset import keyset_page_for_request
from console.not_found import found_or_404
from console.views.partner.base import PartnerMixin

SHOPS_PER_PAGE = 50


class AppInstallsView(PartnerMixin, View):
    def get(self, request, app_id: int):
        app = found_or_404(selectors.app_get_for_user(user=request.user, app_id=app_id), PartnerApp)
        installs = install_selectors.app_installs_for_user(user=request.user, app_id=app.pk)
        shops_page = keyset_page_for_request(
            request,
            install_selectors.installed_shops_for_user(user=request.user, app_id=app.pk),
            size=SHOPS_PER_PAGE,
        )
        days = install_selectors.USAGE_DAYS
        period = f"{installs.first_day:%-d %b} to {installs.last_day:%-d %b %Y} (UTC)"
        return self.render(
            "console/app_installs.html",
            {
                "app": app,
                "installs": installs,
                "page": shops_page,
                "shops": [install_selectors.installed_shop(row) for row in shops_page.items],
                "usage_days": days,
                "events_limit": install_selectors.RECENT_AUTHORIZATION_EVENTS_LIMIT,
                "charts": [
                    daily_bar_chart(
                        installs.tokens_issued,
                        chart_id="tokens-issued",
                        title=f"Tokens issued per day, last {days} days",
                        description=(
                            "Access tokens issued to the app each day, one for each "
                            f"authorization code it redeemed and each refresh, {period}."
                        ),
                        unit="tokens issued",
                    ),
                    daily_bar_chart(
                        installs.calls_denied,
                        chart_id="calls-denied",
                        title=f"API calls denied by the gateway per day, last {days} days",
                        description=(
                            f"Calls of the app that the API gateway refused each day, {period}."
                        ),
                        unit="calls denied",
                    ),
                ],
            },
        )
