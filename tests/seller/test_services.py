"""authorization_grant and friends, called directly: the refusals change nothing."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps_registry.models import AuthorizationEvent, PartnerApp, ShopAuthorization
from apps_registry.services.authorizations import (
    authorization_grant,
    authorization_revoke_app,
)
from core.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from tests import factories

pytestmark = pytest.mark.django_db


def _grant(app, seller, owned_shops, **overrides):
    kwargs = {
        "seller": seller,
        "app": app,
        "shops": owned_shops,
        "scope_keys": ["seller.product.basic"],
        "duration_days": 90,
        **overrides,
    }
    return authorization_grant(**kwargs)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"duration_days": 45}, DomainError),
        ({"shops": []}, DomainError),
        ({"scope_keys": []}, DomainError),
        ({"scope_keys": ["no.such.scope"]}, DomainError),
    ],
)
def test_grant_refusals_change_nothing(app, seller, shop, overrides, error):
    with pytest.raises(error):
        _grant(app, seller, [shop], **overrides)

    assert ShopAuthorization.objects.count() == 0
    assert AuthorizationEvent.objects.count() == 0


def test_grant_refuses_a_scope_the_app_may_not_ask_for(app, seller, shop, custom_scope):
    # Customer Service is in the catalog, but the app neither chose it nor holds an approval.
    with pytest.raises(PermissionRefusedError, match=r"may not ask for: seller\.customer_service"):
        _grant(app, seller, [shop], scope_keys=["seller.product.basic", "seller.customer_service"])

    assert ShopAuthorization.objects.count() == 0
    assert AuthorizationEvent.objects.count() == 0


def test_grant_refuses_to_withdraw_a_required_scope(app, seller, shop):
    _grant(app, seller, [shop], scope_keys=["seller.product.basic", "seller.order.info"])

    with pytest.raises(DomainError, match=r"cannot work without: seller\.product\.basic"):
        _grant(
            app,
            seller,
            [shop],
            scope_keys=["seller.order.info"],
            withdrawn_keys=["seller.product.basic"],
        )

    authorization = ShopAuthorization.objects.get()
    assert set(authorization.scopes.values_list("key", flat=True)) == {
        "seller.product.basic",
        "seller.order.info",
    }
    assert AuthorizationEvent.objects.count() == 1


def test_grant_refuses_a_shop_the_seller_does_not_own(app, seller, shop):
    with pytest.raises(PermissionRefusedError):
        _grant(app, seller, [shop, factories.ShopFactory()])

    assert ShopAuthorization.objects.count() == 0


def test_grant_refuses_a_suspended_app(app, seller, shop):
    app.status = PartnerApp.Status.SUSPENDED
    app.save(update_fields=["status"])

    with pytest.raises(InvalidTransitionError):
        _grant(app, seller, [shop])

    assert ShopAuthorization.objects.count() == 0


def test_regrant_after_expiry_starts_afresh(app, seller, shop, order_scope):
    expired = factories.ShopAuthorizationFactory(
        app=app, shop=shop, scopes=[order_scope], expires_at="2020-01-01T00:00:00Z"
    )

    _grant(app, seller, [shop])

    expired.refresh_from_db()
    assert list(expired.scopes.values_list("key", flat=True)) == ["seller.product.basic"]
    assert expired.is_active()


def test_revoke_app_twice_is_refused(app, seller, shop):
    _grant(app, seller, [shop])
    authorization_revoke_app(seller=seller, app=app)

    with pytest.raises(InvalidTransitionError):
        authorization_revoke_app(seller=seller, app=app)

    assert AuthorizationEvent.objects.filter(action="revoke_app").count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: (setattr(e, "action", "revoke_app"), e.save()),
        lambda e: e.delete(),
        lambda e: AuthorizationEvent.objects.filter(pk=e.pk).update(action="revoke_app"),
        lambda e: AuthorizationEvent.objects.filter(pk=e.pk).delete(),
    ],
    ids=["save", "delete", "queryset-update", "queryset-delete"],
)
def test_consent_history_cannot_be_changed_through_the_orm(app, seller, shop, tamper):
    _grant(app, seller, [shop])
    event = AuthorizationEvent.objects.get()

    with pytest.raises(PermissionRefusedError, match="append-only"):
        tamper(event)

    assert AuthorizationEvent.objects.get().action == "grant"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE apps_registry_authorizationevent SET action = 'revoke_app' WHERE id = %s",
        "DELETE FROM apps_registry_authorizationevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_consent_history_cannot_be_changed_with_raw_sql_on_postgresql(app, seller, shop, sql):
    _grant(app, seller, [shop])
    event = AuthorizationEvent.objects.get()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])

    assert AuthorizationEvent.objects.get().action == "grant"
