"""How many rows a scale factor means. F=100 is the issue's full size (10,000 partners and apps,
100,000 access requests, 1,000,000 seller authorizations, 5,000,000 access tokens); F=1 is one
hundredth of each; a fraction below 1 (0.01 in the tests) shrinks it further, each count staying
at least one.

Totals include the measured world the services write (bench/http_load/seed.py's seed_world: one
authorization, one access request), so a count here is the table's count."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A shop connects this many apps at most among the bulk ones (fewer when there are fewer apps),
# which fixes how many shops hold the bulk authorizations.
APPS_PER_SHOP = 5
# The bench partner's apps and the bench seller's connected apps are at least this many at every
# factor: more than any measured page shows (25 applications, 20 connected apps), so a page at 1x
# is as full as at 100x and the benchmark compares data, not how full a page is.
FULL_PAGE = 26


def _scaled(per_factor: float, factor: float) -> int:
    return max(1, round(per_factor * factor))


@dataclass(frozen=True)
class Sizes:
    factor: float
    partners: int  # bulk partners; the bench partner is one more
    apps: int  # bulk apps; the bench app and the gateway are two more
    bench_partner_apps: int  # of the bulk apps, the bench partner's
    access_requests: int  # bulk; the world's approved application is one more
    authorizations: int  # in all, the world's included
    measured_installs: int  # the bench app's authorizations, the world's included (1%)
    seller_apps: int  # the bench seller's connected apps, the bench app included
    access_tokens: int
    webhook_deliveries: int  # the bench app's

    @classmethod
    def for_factor(cls, factor: float) -> Sizes:
        if factor <= 0:
            raise ValueError(f"the scale factor must be positive, not {factor}")
        apps = _scaled(100, factor)
        authorizations = _scaled(10_000, factor)
        return cls(
            factor=factor,
            partners=_scaled(100, factor),
            apps=apps,
            bench_partner_apps=min(apps, max(FULL_PAGE, math.ceil(factor))),
            access_requests=_scaled(1_000, factor),
            authorizations=authorizations,
            measured_installs=max(1, authorizations // 100),
            seller_apps=min(apps + 1, max(FULL_PAGE, _scaled(2, factor))),
            access_tokens=_scaled(50_000, factor),
            webhook_deliveries=_scaled(1_000, factor),
        )

    @property
    def spread_authorizations(self) -> int:
        """The bulk authorizations spread over the bulk apps, skewed towards a few big ones."""
        return self.authorizations - self.measured_installs - (self.seller_apps - 1)

    @property
    def apps_per_shop(self) -> int:
        return min(APPS_PER_SHOP, self.apps)

    @property
    def shops(self) -> int:
        """Bulk shops, one seller each: enough that no shop connects an app twice, and that the
        bench app's installs fall on distinct shops."""
        return max(
            math.ceil(self.spread_authorizations / self.apps_per_shop), self.measured_installs
        )

    @property
    def members(self) -> int:
        """Bulk partner users: an owner per partner, and a developer in every second one."""
        return self.partners + self.partners // 2
