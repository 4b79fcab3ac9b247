"""What must hold once the soak's load has stopped and its webhooks have gone out, checked on the
soak's database (fresh for each run, so every row is the run's): run in the cluster's environment,
`python -m bench.soak.checks JOURNAL.jsonl RECEIVED.json SINCE` (SINCE: when the load began, in
ISO 8601), it prints each check's outcome and exits 1 if any found a problem.

- Every decision the console confirmed to a reviewer has exactly one review event, and no
  decision event exists that no reviewer was told of; so for each shop a seller disconnected or
  scope a seller withdrew.
- No live token carries a scope its seller no longer grants on a live authorization, nor a Custom
  scope whose approval ended.
- Every webhook delivery was delivered and reached the receiver exactly once, the receiver got
  nothing else, and every decision and revocation an app is subscribed to has its one delivery.
- Every authorization has the event that granted it, and every ended one the event that ended it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import django

django.setup()

from django.db.models import Prefetch  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import get_access_token_model  # noqa: E402

from apps_registry.models import (  # noqa: E402
    AccessRequest,
    AuthorizationEvent,
    ReviewEvent,
    ShopAuthorization,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)
from apps_registry.webhooks.events import DECISION_ACTIONS  # noqa: E402
from scopes.models import Scope  # noqa: E402

# What tells an app authorization.revoked (an expiry has a topic of its own).
REVOCATIONS = (
    AuthorizationEvent.Action.REVOKE_SHOP,
    AuthorizationEvent.Action.REVOKE_SCOPE,
    AuthorizationEvent.Action.REVOKE_APP,
    AuthorizationEvent.Action.PLATFORM_REVOKE,
)
SHOWN_PROBLEMS = 10


@dataclass
class Check:
    """One rule's outcome: what it looked at, and each problem it found."""

    name: str
    looked_at: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def decisions_have_one_event(confirmed: Iterable[tuple[int, str]], since: datetime) -> Check:
    """`confirmed`: (application id, review action) for each decision the console confirmed to a
    reviewer after `since`, when the load began."""
    check = Check("every decision has exactly one event")
    told = Counter(confirmed)
    recorded = Counter(
        ReviewEvent.objects.filter(
            action__in=DECISION_ACTIONS, created_at__gte=since, actor__isnull=False
        ).values_list("request_id", "action")
    )
    for request, action in sorted(told.keys() | recorded.keys()):
        if told[(request, action)] != recorded[(request, action)]:
            check.problems.append(
                f"application {request}: {action} confirmed {told[(request, action)]}×, "
                f"recorded {recorded[(request, action)]}×"
            )
    check.looked_at = f"{told.total()} confirmed decisions"
    return check


def revocations_have_one_event(confirmed: Iterable[tuple[str, int, int]], since: datetime) -> Check:
    """`confirmed`: (action, app id, shop id) for each shop disconnected or scope withdrawn that
    the console confirmed to a seller after `since`."""
    check = Check("every revocation has exactly one event")
    told = Counter((app, shop, action) for action, app, shop in confirmed)
    recorded = Counter()
    revocations = AuthorizationEvent.objects.filter(
        action__in=[AuthorizationEvent.Action.REVOKE_SHOP, AuthorizationEvent.Action.REVOKE_SCOPE],
        created_at__gte=since,
    )
    for action, app, shop, details in revocations.values_list(
        "action", "app_id", "shop_id", "details"
    ):
        for shop_id in [shop] if shop else details.get("shops", []):
            recorded[(app, shop_id, action)] += 1
    for key in sorted(told.keys() | recorded.keys()):
        if told[key] != recorded[key]:
            app, shop, action = key
            times = f"confirmed {told[key]}×, recorded {recorded[key]}×"
            check.problems.append(f"app {app}, shop {shop}: {action} {times}")
    check.looked_at = f"{told.total()} confirmed revocations"
    return check


def tokens_carry_only_granted_scopes() -> Check:
    check = Check("no token carries a revoked scope")
    now = timezone.now()
    live_authorizations = ShopAuthorization.objects.filter(
        revoked_at__isnull=True, expires_at__gt=now
    )
    granted: dict[tuple[int, int], set[str]] = {}
    for authorization in live_authorizations.select_related("shop").prefetch_related(
        Prefetch("scopes")
    ):
        held = granted.setdefault((authorization.app_id, authorization.shop.owner_id), set())
        held.update(scope.key for scope in authorization.scopes.all())
    approved = set(
        AccessRequest.objects.filter(
            status=AccessRequest.Status.APPROVED, approval_expires_at__gt=now
        ).values_list("app_id", "scope__key")
    )
    custom = set(Scope.objects.filter(kind=Scope.Kind.CUSTOM).values_list("key", flat=True))
    tokens = get_access_token_model().objects.filter(expires__gt=now)
    count = 0
    for app_id, user_id, scope, token_id in tokens.values_list(
        "application_id", "user_id", "scope", "id"
    ):
        count += 1
        carried = set(scope.split())
        ungranted = carried - granted.get((app_id, user_id), set())
        unapproved = {key for key in carried & custom if (app_id, key) not in approved}
        if ungranted or unapproved:
            check.problems.append(
                f"token {token_id} of app {app_id}, seller {user_id}: carries "
                f"{', '.join(sorted(ungranted | unapproved))}, which it may no longer use"
            )
    check.looked_at = f"{count} live tokens"
    return check


def deliveries_arrive_once(received: Counter[str]) -> Check:
    """`received`: how often the receiver got each webhook id."""
    check = Check("no delivery lost or sent twice")
    deliveries = list(
        WebhookDelivery.objects.order_by("pk").values_list("event_id", "status", "event_type")
    )
    known = set()
    for event_id, status, event_type in deliveries:
        known.add(event_id)
        if status != WebhookDelivery.Status.DELIVERED:
            check.problems.append(f"{event_type} {event_id}: {status}, not delivered")
        if received[event_id] != 1:
            check.problems.append(f"{event_type} {event_id}: received {received[event_id]}×")
    for event_id in sorted(set(received) - known):
        check.problems.append(f"{event_id}: received, yet no delivery of the console has this id")
    check.problems += missing_deliveries()
    check.looked_at = f"{len(deliveries)} deliveries, {received.total()} received"
    return check


def missing_deliveries() -> list[str]:
    """Each decision and each revocation made while its app was subscribed to its topic, without
    its one delivery (a delivery names the decision by application and time, a revocation by shop
    and time, as the partner sees them)."""
    subscribed_since = {
        topic: dict(
            WebhookEndpoint.objects.filter(topics__contains=[topic]).values_list(
                "app_id", "created_at"
            )
        )
        for topic in (WebhookTopic.ACCESS_REQUEST_DECIDED, WebhookTopic.AUTHORIZATION_REVOKED)
    }

    def subscribed(topic: str, app_id: int, at: datetime) -> bool:
        since = subscribed_since[topic].get(app_id)
        return since is not None and since <= at

    sent = Counter()
    for event_type, payload in WebhookDelivery.objects.values_list("event_type", "payload"):
        data = payload["data"]
        if event_type == WebhookTopic.ACCESS_REQUEST_DECIDED:
            sent[(event_type, data["access_request_id"], data["decided_at"])] += 1
        elif event_type == WebhookTopic.AUTHORIZATION_REVOKED:
            sent[(event_type, data["shop_id"], data["revoked_at"])] += 1
    expected = Counter()
    decided = ReviewEvent.objects.filter(action__in=DECISION_ACTIONS).values_list(
        "request__app_id", "request_id", "created_at"
    )
    for app_id, request, at in decided:
        if subscribed(WebhookTopic.ACCESS_REQUEST_DECIDED, app_id, at):
            expected[(WebhookTopic.ACCESS_REQUEST_DECIDED, request, at.isoformat())] += 1
    revoked = AuthorizationEvent.objects.filter(action__in=REVOCATIONS).values_list(
        "app_id", "shop_id", "details", "created_at"
    )
    for app_id, shop, details, at in revoked:
        if subscribed(WebhookTopic.AUTHORIZATION_REVOKED, app_id, at):
            for shop_id in [shop] if shop else details.get("shops", []):
                expected[(WebhookTopic.AUTHORIZATION_REVOKED, shop_id, at.isoformat())] += 1
    return [
        f"{kind} of {subject} at {at}: {sent[(kind, subject, at)]} deliveries, expected {times}"
        for (kind, subject, at), times in sorted(expected.items(), key=str)
        if sent[(kind, subject, at)] != times
    ]


def authorizations_have_events() -> Check:
    check = Check("no authorization without its event")
    events = Counter()
    for action, app, shop, details, created_at in AuthorizationEvent.objects.values_list(
        "action", "app_id", "shop_id", "details", "created_at"
    ):
        for shop_id in [shop] if shop else details.get("shops", []):
            kind = "grant" if action == AuthorizationEvent.Action.GRANT else "end"
            events[(kind, app, shop_id, created_at)] += 1
    authorizations = ShopAuthorization.objects.order_by("pk").values_list(
        "pk", "app_id", "shop_id", "granted_at", "revoked_at"
    )
    count = 0
    for pk, app, shop, granted_at, revoked_at in authorizations:
        count += 1
        if not events[("grant", app, shop, granted_at)]:
            check.problems.append(f"authorization {pk}: no event granted it at {granted_at}")
        if revoked_at and not events[("end", app, shop, revoked_at)]:
            check.problems.append(f"authorization {pk}: no event ended it at {revoked_at}")
    check.looked_at = f"{count} authorizations"
    return check


def run_checks(journal: list[dict], received: Counter[str], since: datetime) -> list[Check]:
    decisions = [(e["request"], e["action"]) for e in journal if e["kind"] == "decision"]
    revocations = [(e["action"], e["app"], e["shop"]) for e in journal if e["kind"] == "revocation"]
    return [
        decisions_have_one_event(decisions, since),
        revocations_have_one_event(revocations, since),
        tokens_carry_only_granted_scopes(),
        deliveries_arrive_once(received),
        authorizations_have_events(),
    ]


def report(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        outcome = "ok" if check.passed else f"FAILED ({len(check.problems)} problems)"
        lines.append(f"  {check.name}: {outcome}, {check.looked_at}")
        lines += [f"    - {problem}" for problem in check.problems[:SHOWN_PROBLEMS]]
    return "\n".join(lines)


def main(journal_path: str, received_path: str, since: str) -> int:
    journal = [
        json.loads(line) for line in Path(journal_path).read_text(encoding="utf-8").splitlines()
    ]
    received = Counter(json.loads(Path(received_path).read_text(encoding="utf-8")))
    checks = run_checks(journal, received, datetime.fromisoformat(since))
    print(report(checks))
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
