"""Seller center: the seller's shops and the apps they connected, with revocation."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.text import get_text_list
from django.views.generic import TemplateView

from apps_registry.models import ShopAuthorization
from apps_registry.selectors.authorizations import (
    ConnectedApp,
    connected_app_for_seller,
    connected_app_rows,
    connected_apps_for_seller,
    recent_platform_revocations,
    shops_for_seller,
    shops_with_connected_apps,
)
from apps_registry.services.authorizations import (
    authorization_revoke_app,
    authorization_revoke_scope,
    authorization_revoke_shop,
)
from console.keyset import keyset_page_for_request
from console.views.actions import ObjectActionView
from core.replica_pages import replica_reads
from scopes.models import Scope

# The pages a disconnect button may be on; its confirmation and its result go back there.
APPS_PAGE = "apps"
SHOPS_PAGE = "shops"
RETURN_PAGES = {APPS_PAGE: "seller-apps", SHOPS_PAGE: "seller-shops"}
# Each connected app is a card with a row per shop: a page of them reads at a glance.
APPS_PER_PAGE = 20


class SellerHomeView(LoginRequiredMixin, TemplateView):
    template_name = "seller/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            shop_count=shops_for_seller(seller=self.request.user).count(),
            connected_app_count=connected_app_rows(seller=self.request.user).count(),
            **kwargs,
        )


class ShopListView(LoginRequiredMixin, TemplateView):
    """The seller's shops, each with the apps connected to it."""

    template_name = "seller/shops.html"

    def get_context_data(self, **kwargs):
        shops = shops_with_connected_apps(seller=self.request.user)
        return super().get_context_data(shops=shops, return_to=SHOPS_PAGE, **kwargs)


@method_decorator(replica_reads, name="get")
class ConnectedAppListView(LoginRequiredMixin, TemplateView):
    template_name = "seller/apps.html"

    def get_context_data(self, **kwargs):
        seller = self.request.user
        page = keyset_page_for_request(
            self.request, connected_app_rows(seller=seller), size=APPS_PER_PAGE
        )
        return super().get_context_data(
            page=page,
            connected_apps=connected_apps_for_seller(
                seller=seller, app_ids=[app.pk for app in page.items]
            ),
            platform_revocations=recent_platform_revocations(seller=self.request.user),
            return_to=APPS_PAGE,
            **kwargs,
        )


@dataclass(frozen=True)
class RevokeConfirmation:
    """What a disconnect stops, said the same way by the dialog and by the page it is read from
    (the confirmation page, which is also where the button goes without JavaScript)."""

    title: str
    consequence: str  # ends with "…no longer be able to:", followed by `lost_scopes`
    lost_scopes: list[Scope]
    confirm_label: str


class _RevokeView(LoginRequiredMixin, ObjectActionView):
    """GET: the confirmation page, saying exactly what will stop working, with the POST form.
    POST: the change. Another seller's app, shop or scope is a 404 and nothing changes."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        return render(
            request,
            "seller/revoke_confirm.html",
            {
                "confirmation": self.confirmation(self.get_object()),
                "action_url": request.path,
                "return_to": self.return_to,
                "return_url": self.redirect_url(None),
            },
        )

    def get_object(self) -> ConnectedApp:
        connected = connected_app_for_seller(seller=self.request.user, app_id=self.kwargs["app_id"])
        if connected is None:
            raise Http404("No connected app with this id.")
        return connected

    @property
    def return_to(self) -> str:
        page = self.request.POST.get("return_to") or self.request.GET.get("return_to")
        return page if page in RETURN_PAGES else APPS_PAGE

    def redirect_url(self, connected: ConnectedApp | None) -> str:
        return reverse(RETURN_PAGES[self.return_to])

    def confirmation(self, connected: ConnectedApp) -> RevokeConfirmation:
        raise NotImplementedError


class RevokeAppView(_RevokeView):
    def confirmation(self, connected: ConnectedApp) -> RevokeConfirmation:
        app = connected.app.name
        shops = get_text_list([auth.shop.name for auth in connected.authorizations], "and")
        return RevokeConfirmation(
            title=f"Disconnect {app} from all your shops?",
            consequence=f"{app} will immediately lose access to {shops}: "
            "it will no longer be able to:",
            lost_scopes=connected.scopes,
            confirm_label="Disconnect app",
        )

    def perform(self, connected: ConnectedApp) -> str:
        authorization_revoke_app(seller=self.request.user, app=connected.app)
        return f"{connected.app.name} is disconnected from all your shops; its access has ended."


class RevokeShopView(_RevokeView):
    def _authorization(self, connected: ConnectedApp) -> ShopAuthorization:
        for authorization in connected.authorizations:
            if authorization.shop.pk == self.kwargs["shop_id"]:
                return authorization
        raise Http404("This shop is not connected to the app.")

    def confirmation(self, connected: ConnectedApp) -> RevokeConfirmation:
        authorization = self._authorization(connected)
        app, shop = connected.app.name, authorization.shop.name
        return RevokeConfirmation(
            title=f"Disconnect {shop} from {app}?",
            consequence=f"{app} will immediately lose access to {shop}: "
            "it will no longer be able to:",
            lost_scopes=list(authorization.scopes.all()),
            confirm_label="Disconnect shop",
        )

    def perform(self, connected: ConnectedApp) -> str:
        shop = self._authorization(connected).shop
        authorization_revoke_shop(seller=self.request.user, app=connected.app, shop=shop)
        return f"{connected.app.name} can no longer access {shop.name}."


class RevokeScopeView(_RevokeView):
    def _scope(self, connected: ConnectedApp) -> Scope:
        for scope in connected.scopes:
            if scope.key == self.kwargs["scope_key"]:
                return scope
        raise Http404("The app does not hold this permission.")

    def confirmation(self, connected: ConnectedApp) -> RevokeConfirmation:
        scope = self._scope(connected)
        if scope.key in connected.required_scope_keys:
            # Never offered: the service refuses it (only disconnecting the app ends it).
            raise Http404("The app needs this permission; disconnect the app instead.")
        app = connected.app.name
        shops = get_text_list(
            [auth.shop.name for auth in connected.authorizations if scope in auth.scopes.all()],
            "and",
        )
        return RevokeConfirmation(
            title=f"Withdraw “{scope.name}” from {app}?",
            consequence=f"{app} will immediately lose this permission on {shops}: "
            "it will no longer be able to:",
            lost_scopes=[scope],
            confirm_label="Withdraw permission",
        )

    def perform(self, connected: ConnectedApp) -> str:
        scope = self._scope(connected)
        authorization_revoke_scope(seller=self.request.user, app=connected.app, scope_key=scope.key)
        return f"{connected.app.name} no longer has “{scope.name}” on your shops."
