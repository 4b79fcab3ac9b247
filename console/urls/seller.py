"""Seller center: /seller/, /seller/shops/, /seller/apps/ (connected apps and revocation)."""

from django.urls import path

from console.urls import converters  # noqa: F401 - registers <id:…> and <scope_key:…>
from console.views import seller

urlpatterns = [
    path("", seller.SellerHomeView.as_view(), name="seller-home"),
    path("shops/", seller.ShopListView.as_view(), name="seller-shops"),
    path("apps/", seller.ConnectedAppListView.as_view(), name="seller-apps"),
    path("apps/<id:app_id>/revoke/", seller.RevokeAppView.as_view(), name="seller-app-revoke"),
    path(
        "apps/<id:app_id>/shops/<id:shop_id>/revoke/",
        seller.RevokeShopView.as_view(),
        name="seller-app-revoke-shop",
    ),
    path(
        "apps/<id:app_id>/scopes/<scope_key:scope_key>/revoke/",
        seller.RevokeScopeView.as_view(),
        name="seller-app-revoke-scope",
    ),
]
