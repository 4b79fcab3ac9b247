"""Seller center: the seller's shops and the apps they connected, with revocation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from apps_registry.errors import DomainError
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


class _RevokeView(LoginRequiredMixin, View):
    """POST only; another seller's app, shop or scope is a 404 and nothing changes."""

    http_method_names = ["post"]

    def post(self, request, app_id: int, **kwargs):
        connected = connected_app_for_seller(seller=request.user, app_id=app_id)
        try:
            message = self.revoke(connected, **kwargs)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, message)
        return redirect("seller-apps")

    def revoke(self, connected: ConnectedApp, **kwargs) -> str:
        raise NotImplementedError


class RevokeAppView(_RevokeView):
    def revoke(self, connected: ConnectedApp) -> str:
        authorization_revoke_app(seller=self.request.user, app=connected.app)
        return f"{connected.app.name} is disconnected from all your shops; its access has ended."


class RevokeShopView(_RevokeView):
    def revoke(self, connected: ConnectedApp, shop_id: int) -> str:
        shops = {auth.shop.pk: auth.shop for auth in connected.authorizations}
        if shop_id not in shops:
            raise Http404("This shop is not connected to the app.")
        authorization_revoke_shop(seller=self.request.user, app=connected.app, shop=shops[shop_id])
        return f"{connected.app.name} can no longer access {shops[shop_id].name}."


class RevokeScopeView(_RevokeView):
    def revoke(self, connected: ConnectedApp, scope_key: str) -> str:
        scopes = {scope.key: scope for scope in connected.scopes}
        if scope_key not in scopes:
            raise Http404("The app does not hold this permission.")
        authorization_revoke_scope(seller=self.request.user, app=connected.app, scope_key=scope_key)
        return f"{connected.app.name} no longer has “{scopes[scope_key].name}” on your shops."
