"""Sellers' shops and their consents to apps, read-only."""

from __future__ import annotations

from django.contrib import admin

from append_only.admin import ReadOnlyAdmin
from apps_registry.models import Shop, ShopAuthorization
from core.admin_big_tables import BigTableAdminMixin


@admin.register(Shop)
class ShopAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ("name", "region", "owner", "cipher", "created_at")
    list_select_related = ("owner",)
    # A region is searched for by its code: a filter would read every shop for its regions.
    search_fields = ("name__istartswith", "cipher__exact", "region__iexact", "owner__email__iexact")
    search_help_text = (
        "The start of the shop's name, its cipher, its region (GB) or its owner's email."
    )
    ordering = ("name", "pk")


@admin.register(ShopAuthorization)
class ShopAuthorizationAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ("shop", "app", "granted_at", "expires_at", "revoked_at")
    list_select_related = ("shop", "app")
    list_filter = ("revoked_at",)
    search_fields = (
        "shop__name__istartswith",
        "shop__cipher__exact",
        "app__name__istartswith",
        "app__client_id__exact",
    )
    search_help_text = "The start of a shop's or app's name, a shop cipher or a client ID."
    ordering = ("-granted_at", "-pk")
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
