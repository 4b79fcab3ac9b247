"""The site header's navigation: each audience sees its own area (seller center, partner
console, review), and a person who belongs to more than one sees a switch to the others.

`site_nav` is a template context processor; the roles are read lazily, once per rendered page, so
a page that never renders the header pays nothing and one that does pays one query."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest
from django.urls import reverse

from apps_registry.selectors.roles import Area, Roles, roles_for_user

# The platform the console belongs to: its name heads the pages it shows on an app's behalf.
PLATFORM_NAME = "Commerce Platform"
# Its mark where there is no logo: the consent page's badge beside the app's icon.
PLATFORM_INITIALS = "".join(word[0] for word in PLATFORM_NAME.split())


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
    def area(self) -> Area:
        """The area the page belongs to; a page of none (account, catalog) belongs to the
        person's main one, where they also land on signing in (landing_url)."""
        path = self.request.path
        if path.startswith(reverse("seller-home")):
            return Area.SELLER
        if path.startswith(reverse("partner:dashboard")):
            return Area.PARTNER
        return self.roles.main_area

    @property
    def home(self) -> AreaLink:
        if self.area == Area.SELLER:
            return AreaLink(reverse("seller-home"), "Seller center")
        return AreaLink(reverse("home"), "Partner Console")

    @property
    def switches(self) -> list[AreaLink]:
        """The person's other areas between the seller center and the partner console (review
        is a link of its own, the admin)."""
        roles, area = self.roles, self.area
        links = []
        if roles.is_seller and area != Area.SELLER:
            links.append(AreaLink(reverse("seller-home"), "Switch to seller center"))
        if roles.is_partner and area != Area.PARTNER:
            links.append(AreaLink(reverse("partner:dashboard"), "Switch to partner console"))
        return links


def landing_url(roles: Roles) -> str:
    """Where the person lands on signing in: the home of their main area (the admin's review
    queue for a reviewer, its index for other staff)."""
    match roles.main_area:
        case Area.SELLER:
            return reverse("seller-home")
        case Area.REVIEW if roles.is_reviewer:
            return reverse("admin:apps_registry_accessrequest_changelist")
        case Area.REVIEW:
            return reverse("admin:index")
        case _:
            return reverse("partner:dashboard")


def site_nav(request: HttpRequest) -> dict:
    return {
        "site_nav": SiteNavigation(request),
        "platform_name": PLATFORM_NAME,
        "platform_initials": PLATFORM_INITIALS,
    }
