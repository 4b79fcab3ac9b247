"""The site header's navigation: each audience sees its own area (seller center, partner
console, review), and a person who belongs to more than one sees a switch to the others.

`site_nav` is a template context processor; the roles are read lazily, once per rendered page, so
a page that never renders the header pays nothing and one that does pays one query."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest
from django.urls import reverse

from apps_registry.selectors.roles import Roles, roles_for_user

# The platform the console belongs to: its name heads the pages it shows on an app's behalf.
PLATFORM_NAME = "Commerce Platform"
# Its mark where there is no logo: the consent page's badge beside the app's icon.
PLATFORM_INITIALS = "".join(word[0] for word in PLATFORM_NAME.split())

SELLER = "seller"
PARTNER = "partner"
REVIEW = "review"


@dataclass(frozen=True)
class AreaLink:
    url: str
    label: str


class SiteNavigation:
    def __init__(self, request: HttpRequest):
        self.request = request

    @cached_property
    def roles(self) -> Roles:
        return roles_for_user(user=self.request.user)

    @cached_property
    def area(self) -> str:
        """The area the page belongs to; a page of none (account, catalog) belongs to the
        person's main one, in the order the sign-in redirect uses (console.adapters)."""
        path = self.request.path
        if path.startswith(reverse("seller-home")):
            return SELLER
        if path.startswith(reverse("partner:dashboard")):
            return PARTNER
        roles = self.roles
        if roles.is_partner:
            return PARTNER
        if roles.is_staff:
            return REVIEW
        if roles.is_seller:
            return SELLER
        return PARTNER  # signed up to build apps: the console's onboarding

    @property
    def home(self) -> AreaLink:
        if self.area == SELLER:
            return AreaLink(reverse("seller-home"), "Seller center")
        return AreaLink(reverse("home"), "Partner Console")

    @property
    def switches(self) -> list[AreaLink]:
        """The person's other areas between the seller center and the partner console (review
        is a link of its own, the admin)."""
        roles, area = self.roles, self.area
        links = []
        if roles.is_seller and area != SELLER:
            links.append(AreaLink(reverse("seller-home"), "Switch to seller center"))
        if roles.is_partner and area != PARTNER:
            links.append(AreaLink(reverse("partner:dashboard"), "Switch to partner console"))
        return links


def site_nav(request: HttpRequest) -> dict:
    return {
        "site_nav": SiteNavigation(request),
        "platform_name": PLATFORM_NAME,
        "platform_initials": PLATFORM_INITIALS,
    }
