"""Seller center: the seller's shops and the apps they connected, with revocation."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.views.generic import TemplateView

from apps_registry.selectors.authorizations import (
    ConnectedApp,
    connected_app_for_seller,
    connected_apps_for_seller,
    recent_platform_revocations,
    shops_for_seller,
)
from apps_registry.services.authorizations import (
    authorization_revoke_app,
    authorization_revoke_scope,
    authorization_revoke_shop,
)
from console.views.actions import ObjectActionView


class SellerHomeView(LoginRequiredMixin, TemplateView):
    template_name = "seller/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            shop_count=shops_for_seller(seller=self.request.user).count(),
            connected_apps=connected_apps_for_seller(seller=self.request.user),
            **kwargs,
        )


class ShopListView(LoginRequiredMixin, TemplateView):
    template_name = "seller/shops.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(shops=shops_for_seller(seller=self.request.user), **kwargs)


class ConnectedAppListView(LoginRequiredMixin, TemplateView):
    template_name = "seller/apps.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            connected_apps=connected_apps_for_seller(seller=self.request.user),
            platform_revocations=recent_platform_revocations(seller=self.request.user),
            **kwargs,
        )


class _RevokeView(LoginRequiredMixin, ObjectActionView):
    """POST only; another seller's app, shop or scope is a 404 and nothing changes."""

    http_method_names = ["post"]

    def get_object(self) -> ConnectedApp:
        connected = connected_app_for_seller(seller=self.request.user, app_id=self.kwargs["app_id"])
        if connected is None:
            raise Http404("No connected app with this id.")
        return connected

    def redirect_url(self, connected: ConnectedApp) -> str:
        return reverse("seller-apps")


class RevokeAppView(_RevokeView):
    def perform(self, connected: ConnectedApp) -> str:
        authorization_revoke_app(seller=self.request.user, app=connected.app)
        return f"{connected.app.name} is disconnected from all your shops; its access has ended."


class RevokeShopView(_RevokeView):
    def perform(self, connected: ConnectedApp) -> str:
        shop_id = self.kwargs["shop_id"]
        shops = {auth.shop.pk: auth.shop for auth in connected.authorizations}
        if shop_id not in shops:
            raise Http404("This shop is not connected to the app.")
        authorization_revoke_shop(seller=self.request.user, app=connected.app, shop=shops[shop_id])
        return f"{connected.app.name} can no longer access {shops[shop_id].name}."


class RevokeScopeView(_RevokeView):
    def perform(self, connected: ConnectedApp) -> str:
        scope_key = self.kwargs["scope_key"]
        scopes = {scope.key: scope for scope in connected.scopes}
        if scope_key not in scopes:
            raise Http404("The app does not hold this permission.")
        authorization_revoke_scope(seller=self.request.user, app=connected.app, scope_key=scope_key)
        return f"{connected.app.name} no longer has “{scopes[scope_key].name}” on your shops."
