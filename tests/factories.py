"""factory_boy factories shared by every test module."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps_registry.models import (
    AccessRequest,
    AppScope,
    Membership,
    Partner,
    PartnerApp,
    Shop,
    ShopAuthorization,
)
from scopes.models import Endpoint, Scope

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class ScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scope
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"seller.test_scope_{n}")
    name = factory.Sequence(lambda n: f"Test Scope {n}")
    group = "Product"
    kind = Scope.Kind.PUBLIC
    token_type = Scope.TokenType.SELLER
    description = "The Partner will be able to test things."
    consent_text = "See your test data."
    position = factory.Sequence(lambda n: n * 10)


class CustomScopeFactory(ScopeFactory):
    kind = Scope.Kind.CUSTOM
    group = "Customer Service"


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint
        skip_postgeneration_save = True

    method = "GET"
    path = factory.Sequence(lambda n: f"/test/202309/things_{n}/{{thing_id}}")
    title = factory.Sequence(lambda n: f"Get Thing {n}")
    module = "test"
    needs_shop = True

    @factory.post_generation
    def scopes(self, create, extracted, **kwargs):
        if create and extracted:
            self.scopes.set(extracted)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n} Ltd")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.OWNER


class PartnerAppFactory(factory.django.DjangoModelFactory):
    """A live confidential authorization-code client; `client_secret` is the raw secret in tests."""

    class Meta:
        model = PartnerApp

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"App {n}")
    description = "Syncs products and orders."
    client_type = PartnerApp.CLIENT_CONFIDENTIAL
    authorization_grant_type = PartnerApp.GRANT_AUTHORIZATION_CODE
    redirect_uris = "https://app.example.com/callback"
    client_secret = "test-client-secret-0123456789"
    status = PartnerApp.Status.LIVE
    homepage_url = "https://app.example.com"
    privacy_policy_url = "https://app.example.com/privacy"


class AppScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppScope

    app = factory.SubFactory(PartnerAppFactory)
    scope = factory.SubFactory(ScopeFactory)
    is_required = True


class AccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRequest

    app = factory.SubFactory(PartnerAppFactory)
    scope = factory.SubFactory(CustomScopeFactory)
    # As at submission: the application keeps the scope's review rule of that moment.
    requires_dual_approval = factory.LazyAttribute(
        lambda request: request.scope.requires_dual_approval
    )
    submitted_by = factory.SubFactory(UserFactory)
    data_usage = "We answer buyer messages from our help desk."
    justification = "Only this scope exposes the conversations."
    endpoints_used = "GET /customer_service/202309/conversations"
    data_protection = "Encrypted at rest, deleted after 90 days."
    demo_url = "https://app.example.com/demo"


class ApprovedAccessRequestFactory(AccessRequestFactory):
    status = AccessRequest.Status.APPROVED
    decided_at = factory.LazyFunction(timezone.now)
    approval_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Shop {n}")
    region = "GB"


class ShopAuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopAuthorization
        skip_postgeneration_save = True

    app = factory.SubFactory(PartnerAppFactory)
    shop = factory.SubFactory(ShopFactory)
    granted_by = factory.LazyAttribute(lambda a: a.shop.owner)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=90))

    @factory.post_generation
    def scopes(self, create, extracted, **kwargs):
        if create and extracted:
            self.scopes.set(extracted)


# --- Many rows at once: enough to show whether a page's queries grow with them ------------------


def add_partner_apps_and_members(membership: Membership, count: int) -> None:
    """`count` apps of the member's partner, each with a requested scope and a Custom-scope
    application the member submitted, and `count` more members of the team."""
    for _ in range(count):
        app = PartnerAppFactory(partner=membership.partner)
        AppScopeFactory(app=app)
        AccessRequestFactory(app=app, submitted_by=membership.user)
        MembershipFactory(partner=membership.partner, role=Membership.Role.DEVELOPER)


def add_catalog_scopes(count: int) -> None:
    """`count` scopes, alternately Public and Custom, each with one endpoint "Get Thing <n>"."""
    for index in range(count):
        scope = CustomScopeFactory() if index % 2 else ScopeFactory()
        EndpointFactory(scopes=[scope], title=f"Get Thing {index}")


CONVERSATIONS_ENDPOINT = "GET /customer_service/202309/conversations"


def conversations_endpoint(scope: Scope) -> Endpoint:
    """The endpoint the questionnaire answers in the tests tick (CONVERSATIONS_ENDPOINT), made
    one of `scope`'s endpoints."""
    method, path = CONVERSATIONS_ENDPOINT.split(" ")
    endpoint, _ = Endpoint.objects.get_or_create(
        method=method, path=path, defaults={"title": "Get Conversations", "needs_shop": True}
    )
    endpoint.scopes.add(scope)
    return endpoint
