"""Partner apps: creation, credentials, redirect URIs, publishing, branding and the scopes they ask
for.

Partners never choose the OAuth grant type, client type or `skip_authorization`; these services
fix them. Client secrets are returned once, in plaintext, to the caller and stored only as a keyed
hash (ADR 0003, ADR 0005). Every change writes a PartnerAuditEvent (events/audit.py) in its
transaction; secret rotations and redirect-URI changes are logged on logger `apps_registry.apps`
as well, for security monitoring (never the secret itself: the audit row keeps its last four
characters).
"""

from __future__ import annotations

import logging
from typing import TypedDict, Unpack

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from apps_registry.error_codes import AppErrorCode, UploadErrorCode
from apps_registry.events import audit as audit_events
from apps_registry.events.audit import record_partner_event
from apps_registry.models import AppScope, Partner, PartnerApp
from apps_registry.selectors.availability import available_scope_keys
from apps_registry.services._app_lock import lock_member_app
from apps_registry.services._stored_files import delete_after_commit, icon_name, store_icon
from apps_registry.services.app_status import move_app_status
from apps_registry.services.partners import membership_require
from apps_registry.services.secret_access import Assurance, secret_access_require
from apps_registry.uploads import checked_icon
from apps_registry.validators import (
    validate_display_name,
    validate_https_address,
    validate_no_format_characters,
    validate_redirect_uris,
)
from core.errors import InvalidInputError, InvalidTransitionError
from scopes.models import Scope

logger = logging.getLogger("apps_registry.apps")

SECRET_HINT_LENGTH = 4
URL_FIELD_LABELS = {"homepage_url": "homepage URL", "privacy_policy_url": "privacy policy URL"}


def _validated_redirect_uris(redirect_uris: list[str]) -> str:
    redirect_uris = list(dict.fromkeys(redirect_uris))  # a repeat adds nothing but clutter
    try:
        validate_redirect_uris(redirect_uris)
    except ValidationError as error:
        raise InvalidInputError(
            " ".join(error.messages), code=AppErrorCode.INVALID_REDIRECT_URIS
        ) from None
    return " ".join(redirect_uris)


class AppDetails(TypedDict):
    """What sellers see about an app."""

    name: str
    description: str
    category: str
    homepage_url: str
    privacy_policy_url: str


def _validated_details(raw: AppDetails) -> AppDetails:
    details = AppDetails(
        name=" ".join(raw["name"].split()),
        description=raw["description"].strip(),
        category=raw["category"],
        homepage_url=raw["homepage_url"].strip(),
        privacy_policy_url=raw["privacy_policy_url"].strip(),
    )
    if not details["name"]:
        raise InvalidInputError("Give the app a name.", code=AppErrorCode.NAME_REQUIRED)
    name_max_length = PartnerApp._meta.get_field("name").max_length
    if len(details["name"]) > name_max_length:
        raise InvalidInputError(
            f"The app name can be at most {name_max_length} characters.",
            code=AppErrorCode.NAME_TOO_LONG,
        )
    try:
        validate_display_name(details["name"])
        validate_no_format_characters(details["description"])
    except ValidationError as error:
        raise InvalidInputError(" ".join(error.messages), code=AppErrorCode.INVALID_TEXT) from None
    if details["category"] not in PartnerApp.Category.values:
        raise InvalidInputError(
            "Choose one of the listed categories.", code=AppErrorCode.INVALID_CATEGORY
        )
    for field, label in URL_FIELD_LABELS.items():
        max_length = PartnerApp._meta.get_field(field).max_length
        if len(details[field]) > max_length:
            raise InvalidInputError(
                f"The {label} can be at most {max_length} characters.",
                code=AppErrorCode.URL_TOO_LONG,
            )
        if details[field]:
            try:
                validate_https_address(details[field])
            except ValidationError:
                raise InvalidInputError(
                    f"The {label} must be a full https:// address with a domain name, e.g. "
                    "https://example.com/ (an international domain in its xn-- form).",
                    code=AppErrorCode.INVALID_URL,
                ) from None
    return details


def _refuse_if_suspended(app: PartnerApp) -> None:
    if app.status == PartnerApp.Status.SUSPENDED:
        raise InvalidTransitionError(
            "This app is suspended by the platform; contact partner support before changing it.",
            code=AppErrorCode.APP_SUSPENDED,
        )


def _requirement(is_required: bool) -> str:
    return "required" if is_required else "optional"


def _new_secret(app: PartnerApp) -> str:
    """Set a fresh secret on the (unsaved) app; DOT hashes it on save. Returns the plaintext."""
    raw_secret = generate_client_secret()
    app.client_secret = raw_secret
    app.hash_client_secret = True
    app.secret_hint = raw_secret[-SECRET_HINT_LENGTH:]
    return raw_secret


@transaction.atomic
def app_create(
    *,
    partner: Partner,
    acting_user: AbstractBaseUser,
    name: str,
    redirect_uris: list[str],
    description: str = "",
    category: str = PartnerApp.Category.OTHER,
    homepage_url: str = "",
    privacy_policy_url: str = "",
    assurance: Assurance = Assurance.PASSWORD,
) -> tuple[PartnerApp, str]:
    """Create a draft app for the partner; returns it and its client secret (shown only once).

    Confidential, authorization-code, consent always asked; secret stored as a keyed hash. An
    owner needs a recent second factor (`assurance`) to be shown the secret (ADR 0018).
    """
    membership = membership_require(partner_id=partner.pk, user=acting_user)
    secret_access_require(membership=membership, assurance=assurance)
    details = _validated_details(
        AppDetails(
            name=name,
            description=description,
            category=category,
            homepage_url=homepage_url,
            privacy_policy_url=privacy_policy_url,
        )
    )
    app = PartnerApp(
        partner=partner,
        user=acting_user,
        client_type=PartnerApp.CLIENT_CONFIDENTIAL,
        authorization_grant_type=PartnerApp.GRANT_AUTHORIZATION_CODE,
        skip_authorization=False,
        redirect_uris=_validated_redirect_uris(redirect_uris),
        status=PartnerApp.Status.DRAFT,
        **details,
    )
    raw_secret = _new_secret(app)
    app.save()
    record_partner_event(
        details=audit_events.AppCreated(
            name=app.name, redirect_uris=app.redirect_uris.split(), secret_hint=app.secret_hint
        ),
        actor=acting_user,
        app=app,
    )
    return app, raw_secret


@transaction.atomic
def app_update_details(
    *,
    app_id: int,
    acting_user: AbstractBaseUser,
    **submitted: Unpack[AppDetails],
) -> PartnerApp:
    """Change what sellers see about the app (name, description, links)."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _refuse_if_suspended(app)
    details = _validated_details(submitted)
    if app.status == PartnerApp.Status.LIVE and not details["privacy_policy_url"]:
        raise InvalidInputError(
            "A live app needs a privacy policy URL: sellers are shown it.",
            code=AppErrorCode.PRIVACY_POLICY_REQUIRED,
        )
    changes = {
        field: {"old": getattr(app, field), "new": value}
        for field, value in details.items()
        if getattr(app, field) != value
    }
    for field, value in details.items():
        setattr(app, field, value)
    app.save(update_fields=[*details, "updated"])
    record_partner_event(
        details=audit_events.AppUpdated(changed=changes), actor=acting_user, app=app
    )
    return app


@transaction.atomic
def app_set_redirect_uris(
    *, app_id: int, redirect_uris: list[str], acting_user: AbstractBaseUser
) -> PartnerApp:
    """Replace the app's redirect URIs (exact-match rules in validators.py); audited."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _refuse_if_suspended(app)
    old = app.redirect_uris.split()
    app.redirect_uris = _validated_redirect_uris(redirect_uris)
    app.save(update_fields=["redirect_uris", "updated"])
    record_partner_event(
        details=audit_events.RedirectUrisChanged(old=old, new=app.redirect_uris.split()),
        actor=acting_user,
        app=app,
    )
    logger.info("app %s redirect URIs changed by user %s", app.pk, acting_user.pk)
    return app


@transaction.atomic
def app_rotate_secret(
    *, app_id: int, acting_user: AbstractBaseUser, assurance: Assurance = Assurance.PASSWORD
) -> tuple[PartnerApp, str]:
    """Replace the client secret; the old one stops working at once. Returns the new plaintext.

    Allowed even while suspended, so a leaked secret can always be replaced; an owner needs a
    recent second factor (`assurance`) to be shown it (ADR 0018).
    """
    app = lock_member_app(app_id=app_id, acting_user=acting_user, shows_secret_to=assurance)
    previous_hint = app.secret_hint
    raw_secret = _new_secret(app)
    app.secret_rotated_at = timezone.now()
    app.save(
        update_fields=[
            "client_secret",
            "hash_client_secret",
            "secret_hint",
            "secret_rotated_at",
            "updated",
        ]
    )
    record_partner_event(
        details=audit_events.SecretRotated(
            secret_hint=app.secret_hint, previous_secret_hint=previous_hint
        ),
        actor=acting_user,
        app=app,
    )
    logger.info("app %s client secret rotated by user %s", app.pk, acting_user.pk)
    return app, raw_secret


@transaction.atomic
def app_publish(*, app_id: int, acting_user: AbstractBaseUser) -> PartnerApp:
    """Draft → live: sellers may now authorize the app. Needs a privacy policy URL."""
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _refuse_if_suspended(app)
    if app.status != PartnerApp.Status.DRAFT:
        raise InvalidTransitionError(
            "Only a draft app can be published; this one is live.", code=AppErrorCode.NOT_A_DRAFT
        )
    if not app.privacy_policy_url:
        raise InvalidInputError(
            "Add a privacy policy URL before publishing: sellers are shown it.",
            code=AppErrorCode.PRIVACY_POLICY_REQUIRED,
        )
    if not app.redirect_uris.split():
        raise InvalidInputError(
            "Add a redirect URI before publishing.", code=AppErrorCode.REDIRECT_URI_REQUIRED
        )
    move_app_status(
        app, audit_events.AppPublished, to_status=PartnerApp.Status.LIVE, acting_user=acting_user
    )
    return app


@transaction.atomic
def app_set_requested_scopes(
    *, app: PartnerApp, selections: dict[str, bool], acting_user: AbstractBaseUser
) -> list[AppScope]:
    """Replace the scopes the app asks sellers for: {scope key: is_required}.

    Every key must be available to the app (Public, or Custom with a live approval).
    """
    # A catalog manager making a scope Custom holds its row lock while the apps already using it
    # get grace approvals. Locking the chosen scopes first, before the app as that edit does,
    # means the check below sees the scope's committed kind and an app cannot select a scope as
    # Public while it turns Custom (and miss the grace approval), and the two cannot deadlock.
    scopes_by_key = {
        scope.key: scope
        for scope in Scope.objects.select_for_update(no_key=True)
        .filter(key__in=selections)
        .order_by("pk")
    }
    app = lock_member_app(app_id=app.pk, acting_user=acting_user)
    _refuse_if_suspended(app)
    unavailable = sorted(set(selections) - available_scope_keys(app=app))
    if unavailable:
        raise InvalidInputError(
            "These scopes are not available to this app: "
            + ", ".join(unavailable)
            + ". Custom scopes need an approved application first.",
            code=AppErrorCode.SCOPES_UNAVAILABLE,
        )
    current = {row.scope.key: row for row in app.requested_scopes.select_related("scope")}
    changed: dict[str, str] = {}
    for key, row in current.items():
        if key not in selections:
            row.delete()
        elif row.is_required != selections[key]:
            row.is_required = selections[key]
            row.save(update_fields=["is_required"])
            changed[key] = _requirement(row.is_required)
    AppScope.objects.bulk_create(
        AppScope(app=app, scope=scopes_by_key[key], is_required=is_required)
        for key, is_required in selections.items()
        if key not in current
    )
    record_partner_event(
        details=audit_events.ScopesChosen(
            added={
                key: _requirement(selections[key]) for key in sorted(set(selections) - set(current))
            },
            removed=sorted(set(current) - set(selections)),
            changed=dict(sorted(changed.items())),
        ),
        actor=acting_user,
        app=app,
    )
    return list(app.requested_scopes.select_related("scope").order_by("scope__position"))


# --- Branding: what sellers recognise an app by besides its name (ADR 0017) ---------------------
#
# The icon is checked and re-encoded by apps_registry/uploads.py before the app is touched, stored
# under its content hash and served by the console.


def _validated_publisher_url(raw: str) -> str:
    url = raw.strip()
    max_length = PartnerApp._meta.get_field("publisher_url").max_length
    if len(url) > max_length:
        message = f"The publisher website can be at most {max_length} characters."
        raise InvalidInputError(
            message, code=AppErrorCode.URL_TOO_LONG, fields={"publisher_url": [message]}
        )
    if url:
        try:
            validate_https_address(url)
        except ValidationError:
            message = (
                "The publisher website must be a full https:// address with a domain name, "
                "e.g. https://example.com/."
            )
            raise InvalidInputError(
                message, code=AppErrorCode.INVALID_URL, fields={"publisher_url": [message]}
            ) from None
    return url


@transaction.atomic
def app_update_branding(
    *,
    app_id: int,
    acting_user: AbstractBaseUser,
    publisher_url: str,
    icon: UploadedFile | None = None,
    remove_icon: bool = False,
) -> PartnerApp:
    """Set the publisher website and replace (`icon`) or remove (`remove_icon`) the icon.

    Every check runs before anything is stored; the old icon file is deleted after commit.
    """
    new_icon = checked_icon(icon) if icon is not None else None
    url = _validated_publisher_url(publisher_url)
    app = lock_member_app(app_id=app_id, acting_user=acting_user)
    _refuse_if_suspended(app)
    new_sha256 = new_icon.sha256 if new_icon else "" if remove_icon else app.icon_sha256
    changes = {
        field: {"old": old, "new": new}
        for field, old, new in (
            ("icon_sha256", app.icon_sha256, new_sha256),
            ("publisher_url", app.publisher_url, url),
        )
        if old != new
    }
    if not changes:
        raise InvalidInputError(
            "Nothing changed: choose a new icon, remove the current one or edit the website.",
            code=UploadErrorCode.NOTHING_TO_CHANGE,
        )
    old_icon_name = app.icon.name
    app.publisher_url = url
    app.icon_sha256 = new_sha256
    app.icon.name = icon_name(app, new_icon) if new_icon else "" if remove_icon else old_icon_name
    app.save(update_fields=["publisher_url", "icon", "icon_sha256", "updated"])
    record_partner_event(
        details=audit_events.BrandingChanged(**changes), actor=acting_user, app=app
    )
    if new_icon is not None:
        store_icon(app.icon.name, new_icon)
    if old_icon_name != app.icon.name:
        delete_after_commit([old_icon_name])
    return app
