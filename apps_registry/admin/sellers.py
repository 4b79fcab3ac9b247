"""Sellers' shops and their consents to apps, read-only."""

from __future__ import annotations

from django.contrib import admin

from append_only.admin import ReadOnlyAdmin
from apps_registry.models import Shop, ShopAuthorization


@admin.register(Shop)
class ShopAdmin(ReadOnlyAdmin):
    list_display = ("name", "region", "owner", "cipher", "created_at")
    list_select_related = ("owner",)
    list_filter = ("region",)
    search_fields = ("name", "=cipher", "owner__email")


@admin.register(ShopAuthorization)
class ShopAuthorizationAdmin(ReadOnlyAdmin):
    list_display = ("shop", "app", "granted_at", "expires_at", "revoked_at")
    list_select_related = ("shop", "app")
    list_filter = ("revoked_at",)
    search_fields = ("shop__name", "app__name", "=app__client_id")
    fields = (
        "app",
        "shop",
        "granted_by",
        "scopes",
        "granted_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
