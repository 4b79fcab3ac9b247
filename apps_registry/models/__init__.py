"""Who is asking for access: partners, their apps, Custom-scope applications, shops and consents,
one module per area.

State changes live in `services/`; these models hold the data, the invariants the database can
enforce, and pure predicates. Importing every model here is how Django finds them.
"""

from apps_registry.models.access_requests import (
    AccessRequest,
    AccessRequestAttachment,
    ReviewEvent,
)
from apps_registry.models.apps import AppScope, PartnerApp
from apps_registry.models.audit import PartnerAuditEvent
from apps_registry.models.client_auth import ClientAuthFailure
from apps_registry.models.gate_usage import GateDenialCount, ScopeUsage
from apps_registry.models.partners import Invitation, Membership, Partner
from apps_registry.models.sellers import (
    AuthorizationEvent,
    RedeemedAuthorizationCode,
    Shop,
    ShopAuthorization,
)
from apps_registry.models.webhooks import (
    TEST_EVENT_TYPE,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookTopic,
)

__all__ = [
    "TEST_EVENT_TYPE",
    "AccessRequest",
    "AccessRequestAttachment",
    "AppScope",
    "AuthorizationEvent",
    "ClientAuthFailure",
    "GateDenialCount",
    "Invitation",
    "Membership",
    "Partner",
    "PartnerApp",
    "PartnerAuditEvent",
    "RedeemedAuthorizationCode",
    "ReviewEvent",
    "ScopeUsage",
    "Shop",
    "ShopAuthorization",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookTopic",
]
