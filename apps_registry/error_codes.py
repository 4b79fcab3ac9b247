"""The stable, machine-readable codes of apps_registry's refusals, one enum per area.

API clients branch on these values, so a value never changes once released: reword the message
freely, but add a new member rather than rename one. Values are snake_case and unique within their
enum; the same value in two enums means the same situation seen from two areas.
"""

from enum import StrEnum


class PartnerErrorCode(StrEnum):
    NOT_A_MEMBER = "not_a_member"
    NO_ORGANISATION = "no_organisation"
    OWNER_REQUIRED = "owner_required"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    INVALID_NAME = "invalid_name"
    ALREADY_IN_ORGANISATION = "already_in_organisation"
    EMAIL_REQUIRED = "email_required"
    EMAIL_IN_USE = "email_in_use"
    PASSWORD_REQUIRED = "password_required"  # noqa: S105 - an error code, not a password
    INVALID_ROLE = "invalid_role"
    ALREADY_A_MEMBER = "already_a_member"
    INVITATION_ALREADY_PENDING = "invitation_already_pending"
    INVITATION_NOT_PENDING = "invitation_not_pending"
    INVITATION_FOR_ANOTHER_EMAIL = "invitation_for_another_email"
    INVITATION_INVALID = "invitation_invalid"
    INVITATION_WITHDRAWN = "invitation_withdrawn"
    INVITATION_USED = "invitation_used"
    INVITATION_EXPIRED = "invitation_expired"
    LAST_OWNER = "last_owner"
    VERIFICATION_UNCHANGED = "verification_unchanged"


class AppErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    INVALID_TEXT = "invalid_text"
    INVALID_CATEGORY = "invalid_category"
    URL_TOO_LONG = "url_too_long"
    INVALID_URL = "invalid_url"
    INVALID_REDIRECT_URIS = "invalid_redirect_uris"
    PLATFORM_CLIENT = "platform_client"
    APP_SUSPENDED = "app_suspended"
    PRIVACY_POLICY_REQUIRED = "privacy_policy_required"
    REDIRECT_URI_REQUIRED = "redirect_uri_required"
    NOT_A_DRAFT = "not_a_draft"
    SCOPES_UNAVAILABLE = "scopes_unavailable"
    SUSPENSION_REASON_REQUIRED = "suspension_reason_required"
    ALREADY_SUSPENDED = "already_suspended"
    NOT_SUSPENDED = "not_suspended"
    STAFF_PERMISSION_REQUIRED = "staff_permission_required"
    SECOND_FACTOR_NOT_SET_UP = "second_factor_not_set_up"
    SECOND_FACTOR_NOT_RECENT = "second_factor_not_recent"


class AccessRequestErrorCode(StrEnum):
    """The Custom-scope review workflow: the partner's applications and the reviewers' decisions."""

    APP_SUSPENDED = "app_suspended"
    SCOPE_NOT_OFFERED = "scope_not_offered"
    SCOPE_IS_PUBLIC = "scope_is_public"
    APPLICATION_ALREADY_OPEN = "application_already_open"
    NOTHING_CHANGED = "nothing_changed"
    INVALID_ANSWERS = "invalid_answers"
    NOT_FOUND = "access_request_not_found"
    STALE_VERSION = "stale_version"
    INVALID_STATUS = "invalid_status"
    ALREADY_ASSIGNED_TO_YOU = "already_assigned_to_you"
    NOT_ASSIGNED_TO_YOU = "not_assigned_to_you"
    SEPARATION_OF_DUTIES = "separation_of_duties"
    NOT_A_REVIEWER = "not_a_reviewer"
    EXPIRY_NOT_IN_FUTURE = "expiry_not_in_future"
    UNKNOWN_ANSWER_FIELDS = "unknown_answer_fields"
    TEXT_REQUIRED = "text_required"


class ReviewerErrorCode(StrEnum):
    ACCOUNT_EXISTS = "account_exists"


class AuthorizationErrorCode(StrEnum):
    """Sellers, their shops and the consent they give apps."""

    SHOP_NAME_REQUIRED = "shop_name_required"
    INVALID_REGION = "invalid_region"
    INVALID_DURATION = "invalid_duration"
    SHOP_REQUIRED = "shop_required"
    NOTHING_TO_AUTHORIZE = "nothing_to_authorize"
    APP_SUSPENDED = "app_suspended"
    NOT_YOUR_SHOP = "not_your_shop"
    UNKNOWN_SCOPE = "unknown_scope"
    SCOPE_NOT_REQUESTABLE = "scope_not_requestable"
    REQUIRED_SCOPE_WITHDRAWN = "required_scope_withdrawn"
    SHOP_NOT_CONNECTED = "shop_not_connected"
    SCOPE_REQUIRED_BY_APP = "scope_required_by_app"
    SCOPE_NOT_HELD = "scope_not_held"
    APP_NOT_CONNECTED = "app_not_connected"
    UNKNOWN_APPROVAL_END = "unknown_approval_end"


class HistoryErrorCode(StrEnum):
    APPEND_ONLY = "history_append_only"


class UploadErrorCode(StrEnum):
    """Files partners upload: app icons and an application's supporting files (ADR 0017)."""

    EMPTY_FILE = "empty_file"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_FILES = "too_many_files"
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_SMALL = "image_too_small"
    IMAGE_NOT_SQUARE = "image_not_square"
    NOTHING_TO_CHANGE = "nothing_to_change"


class WebhookErrorCode(StrEnum):
    """An app's webhook endpoint, its secret and its delivery log (ADR 0020)."""

    URL_INVALID = "webhook_url_invalid"
    URL_NOT_PUBLIC = "webhook_url_not_public"
    TOPICS_INVALID = "webhook_topics_invalid"
    NOT_SET = "webhook_not_set"
    DELIVERY_NOT_FOUND = "webhook_delivery_not_found"
    DELIVERY_PENDING = "webhook_delivery_pending"
    TEST_EVENTS_LIMITED = "webhook_test_events_limited"
    REPLAYS_LIMITED = "webhook_replays_limited"
