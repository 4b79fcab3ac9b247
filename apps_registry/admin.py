"""The reviewers' workspace. Every model here is read-only in the admin: reviewers and staff act
only through explicit actions and decision pages, which call the same services as every path."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, re_path, reverse
from django.utils import timezone

import apps_registry.catalog_admin  # noqa: F401 - registers the Scope admin
from append_only.admin import ReadOnlyAdmin, ReadOnlyInline
from apps_registry import notifications
from apps_registry.errors import DomainError, InvalidTransitionError, PermissionRefusedError
from apps_registry.models import (
    AccessRequest,
    AppScope,
    Membership,
    Partner,
    PartnerApp,
    PartnerAuditEvent,
    ReviewEvent,
    Shop,
    ShopAuthorization,
)
from apps_registry.selectors import access_requests as queue
from apps_registry.services import app_status, reviews

Status = AccessRequest.Status


def require_recent_authentication(request) -> None:
    """Sensitive decisions need a sign-in (or re-authentication) within
    ACCOUNT_REAUTHENTICATION_TIMEOUT; otherwise allauth's middleware stashes the POST, sends the
    reviewer to re-authenticate and replays it afterwards."""
    records = get_authentication_records(request, request.user)
    if not records or time.time() - records[-1]["at"] > settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
        raise ReauthenticationRequired()


def _error_status(error: DomainError) -> int:
    if isinstance(error, PermissionRefusedError):
        return 403
    if isinstance(error, InvalidTransitionError):
        return 409
    return 400


# --- Decision forms -----------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Carries the version the reviewer saw, so a stale page cannot decide (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApproveForm(VersionedForm):
    expires_on = forms.DateField(
        required=False,
        label="Approval ends on",
        help_text=f"Empty means {settings.APPROVAL_DEFAULT_DAYS} days from today.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Note to the partner"
    )

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on is not None and expires_on <= timezone.localdate():
            raise forms.ValidationError("Pick a date after today.")
        return expires_on

    def service_kwargs(self) -> dict:
        expires_on = self.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.combine(expires_on, datetime.max.time()))
            if expires_on
            else None
        )
        return {"expires_at": expires_at, "comment": self.cleaned_data["comment"]}


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reason (the partner sees it)",
        error_messages={"required": "Write a reason: the partner sees it and needs it to act."},
    )

    def service_kwargs(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class RequestChangesForm(VersionedForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What should change (the partner sees it)",
        error_messages={"required": "Say what the partner should change."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in AccessRequest.ANSWER_FIELDS:
            label = queue.answer_label(field)
            self.fields[f"comment_{field}"] = forms.CharField(
                required=False,
                label=f"Comment on “{label}”",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def service_kwargs(self) -> dict:
        return {
            "comment": self.cleaned_data["comment"],
            "field_comments": {
                field: self.cleaned_data[f"comment_{field}"]
                for field in AccessRequest.ANSWER_FIELDS
                if self.cleaned_data[f"comment_{field}"].strip()
            },
        }


class Decision:
    """One decision page: the workflow action, its form, the service it calls and the words
    around it."""

    def __init__(self, *, action: str, title: str, button: str, form, service: Callable, done: str):
        self.action, self.title, self.button, self.form, self.service, self.done = (
            action,
            title,
            button,
            form,
            service,
            done,
        )


DECISIONS = {
    "approve": Decision(
        action=ReviewEvent.Action.APPROVE,
        title="Approve",
        button="Approve",
        form=ApproveForm,
        service=reviews.access_request_approve,
        done="Approved",
    ),
    "reject": Decision(
        action=ReviewEvent.Action.REJECT,
        title="Reject",
        button="Reject",
        form=ReasonForm,
        service=reviews.access_request_reject,
        done="Rejected",
    ),
    "request-changes": Decision(
        action=ReviewEvent.Action.REQUEST_CHANGES,
        title="Request changes",
        button="Send to the partner",
        form=RequestChangesForm,
        service=reviews.access_request_request_changes,
        done="Changes requested",
    ),
    "revoke": Decision(
        action=ReviewEvent.Action.REVOKE,
        title="Revoke the approval",
        button="Revoke",
        form=ReasonForm,
        service=reviews.access_request_revoke,
        done="Revoked",
    ),
}


# --- The queue ----------------------------------------------------------------------------------


class ReviewAgeFilter(admin.SimpleListFilter):
    title = "review age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        target = settings.REVIEW_TARGET_BUSINESS_DAYS
        return [
            ("on_target", f"Within {target} business days"),
            ("overdue", f"Over {target} business days"),
        ]

    def queryset(self, request, queryset):
        if self.value() not in ("on_target", "overdue"):
            return queryset
        waiting = queryset.filter(status__in=queue.WAITING_ON_REVIEWER_STATUSES)
        cutoff = queue.overdue_cutoff()
        if self.value() == "overdue":
            return waiting.filter(submitted_at__lt=cutoff)
        return waiting.filter(submitted_at__gte=cutoff)


class ScopeGroupFilter(admin.SimpleListFilter):
    title = "scope group"
    parameter_name = "scope_group"

    def lookups(self, request, model_admin):
        groups = (
            AccessRequest.objects.values_list("scope__group", flat=True)
            .distinct()
            .order_by("scope__group")
        )
        return [(group, group) for group in groups]

    def queryset(self, request, queryset):
        return queryset.filter(scope__group=self.value()) if self.value() else queryset


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    change_form_template = "admin/apps_registry/accessrequest/change_form.html"
    decision_template = "admin/apps_registry/accessrequest/decision.html"
    list_display = (
        "id",
        "app_name",
        "partner_name",
        "scope_key",
        "status",
        "assigned_to",
        "review_age",
        "submitted_at",
    )
    list_display_links = ("id", "app_name")
    list_select_related = ("app__partner", "scope", "assigned_to")
    list_filter = (
        "status",
        ReviewAgeFilter,
        ("scope", admin.RelatedOnlyFieldListFilter),
        ScopeGroupFilter,
        ("app__partner", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("app__name", "app__partner__name", "=app__client_id", "scope__key")
    ordering = ("submitted_at",)
    actions = ("assign_to_me", "approve_selected")
    fieldsets = (
        (
            "Application",
            {"fields": ("app", "partner_name", "scope", "status", "submitted_by", "submitted_at")},
        ),
        ("Answers", {"fields": AccessRequest.ANSWER_FIELDS}),
        (
            "Review",
            {
                "fields": (
                    "assigned_to",
                    "first_approved_by",
                    "decided_by",
                    "decided_at",
                    "decision_reason",
                    "approval_expires_at",
                    "version",
                    "updated_at",
                )
            },
        ),
    )

    @admin.display(description="App", ordering="app__name")
    def app_name(self, obj):
        return obj.app.name

    @admin.display(description="Partner", ordering="app__partner__name")
    def partner_name(self, obj):
        return obj.app.partner.name if obj.app.partner else "—"

    @admin.display(description="Scope", ordering="scope__key")
    def scope_key(self, obj):
        return obj.scope.key

    @admin.display(description="Age (review target)")
    def review_age(self, obj):
        if obj.status == Status.CHANGES_REQUESTED:
            return "waiting on the partner"
        if obj.status not in queue.WAITING_ON_REVIEWER_STATUSES:
            return "—"
        days = queue.review_age_business_days(obj)
        unit = "business day" if days == 1 else "business days"
        verdict = "overdue" if queue.is_overdue(obj) else "on target"
        return f"{days} {unit} — {verdict}"

    def has_review_permission(self, request):
        return reviews.is_reviewer(request.user)

    # --- detail page ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        access_request = self.get_object(request, unquote(object_id))
        if access_request is not None and self.has_view_permission(request, access_request):
            extra_context = {
                **(extra_context or {}),
                **self._review_context(request, access_request),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _review_context(self, request, access_request: AccessRequest) -> dict:
        review_options = (
            reviews.review_options(reviewer=request.user, access_request=access_request)
            if self.has_review_permission(request)
            else {}
        )
        return {
            "access_request": access_request,
            "other_requests": AccessRequest.objects.filter(app_id=access_request.app_id)
            .exclude(pk=access_request.pk)
            .select_related("scope")
            .order_by("-submitted_at"),
            "app_scopes": AppScope.objects.filter(app_id=access_request.app_id)
            .select_related("scope")
            .order_by("scope__key"),
            "timeline": [
                _timeline_entry(event) for event in access_request.events.select_related("actor")
            ],
            "review_actions": [
                ReviewAction(*REVIEW_CONTROLS[action], refusal=refusal)
                for action, refusal in review_options.items()
            ],
            "needs_second_approval": access_request.requires_dual_approval
            and access_request.first_approved_by_id is not None,
        }

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name=f"{info[0]}_{info[1]}_assign",
            ),
            re_path(
                rf"^(?P<object_id>.+)/(?P<decision>{'|'.join(DECISIONS)})/$",
                self.admin_site.admin_view(self.decision_view),
                name=f"{info[0]}_{info[1]}_decide",
            ),
        ]
        return urls + super().get_urls()

    def _get_reviewable(self, request, object_id) -> AccessRequest:
        if not self.has_review_permission(request):
            raise PermissionDenied
        access_request = self.get_object(request, unquote(object_id))
        if access_request is None:
            raise Http404("No such application.")
        return access_request

    def _change_url(self, access_request: AccessRequest) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse(f"admin:{info[0]}_{info[1]}_change", args=[access_request.pk])

    def assign_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        access_request = self._get_reviewable(request, object_id)
        form = VersionedForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Reload the page and try again.", messages.ERROR)
            return HttpResponseRedirect(self._change_url(access_request))
        try:
            reviews.access_request_assign(
                request_id=access_request.pk,
                reviewer=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.log_change(request, access_request, "Assigned to me.")
            self.message_user(request, "The application is assigned to you.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(access_request))

    def decision_view(self, request, object_id, decision):
        spec = DECISIONS[decision]
        access_request = self._get_reviewable(request, object_id)
        status = 200
        if request.method == "POST":
            require_recent_authentication(request)
            form = spec.form(request.POST)
            if form.is_valid():
                try:
                    result = spec.service(
                        request_id=access_request.pk,
                        reviewer=request.user,
                        expected_version=form.cleaned_data["version"],
                        **form.service_kwargs(),
                    )
                except DomainError as error:
                    form.add_error(None, str(error))
                    status = _error_status(error)
                else:
                    outcome = _outcome(result, done=spec.done)
                    self.log_change(request, result, f"{outcome}.")
                    self.message_user(request, f"{outcome}: {result}.", messages.SUCCESS)
                    return HttpResponseRedirect(self._change_url(access_request))
            else:
                status = 400
        else:
            form = spec.form(initial={"version": access_request.version})
        # What the workflow would refuse now disables the button; a decision the status does not
        # offer (an old link) is refused by the status.
        options = reviews.review_options(reviewer=request.user, access_request=access_request)
        refusal = (
            options[spec.action]
            if spec.action in options
            else reviews.decision_refusal(
                reviewer=request.user, access_request=access_request, action=spec.action
            )
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.title}: {access_request.app.name} → {access_request.scope.key}",
            "decision": spec,
            "form": form,
            "refusal": refusal,
            "access_request": access_request,
            "change_url": self._change_url(access_request),
        }
        return TemplateResponse(request, self.decision_template, context, status=status)

    # --- bulk actions ---

    @admin.action(description="Assign to me", permissions=["review"])
    def assign_to_me(self, request, queryset):
        self._act_on_each(
            request,
            queryset,
            lambda obj: reviews.access_request_assign(request_id=obj.pk, reviewer=request.user),
            done="Assigned to you",
        )

    @admin.action(
        description=f"Approve ({settings.APPROVAL_DEFAULT_DAYS} days) the ones assigned to me",
        permissions=["review"],
    )
    def approve_selected(self, request, queryset):
        require_recent_authentication(request)
        self._act_on_each(
            request,
            queryset,
            lambda obj: reviews.access_request_approve(request_id=obj.pk, reviewer=request.user),
            done="Approved",
        )

    def _act_on_each(self, request, queryset, act, *, done: str) -> None:
        """Run the service per application; report what worked and, one by one, what did not."""
        succeeded: dict[str, list[str]] = {}
        for access_request in queryset.select_related("app", "scope").order_by("pk"):
            try:
                result = act(access_request)
            except DomainError as error:
                self.message_user(
                    request, f"#{access_request.pk} {access_request}: {error}", messages.WARNING
                )
            else:
                outcome = _outcome(result, done=done)
                self.log_change(request, access_request, f"{outcome} (bulk action).")
                succeeded.setdefault(outcome, []).append(f"#{access_request.pk}")
        for outcome, pks in succeeded.items():
            self.message_user(request, f"{outcome}: {', '.join(pks)}.", messages.SUCCESS)


@dataclass(frozen=True)
class ReviewAction:
    """A control on the detail page: "assign" or a DECISIONS slug, and why it is disabled."""

    slug: str
    label: str
    refusal: DomainError | None


# The detail page's control for each review action the workflow may offer: slug and label.
REVIEW_CONTROLS = {
    ReviewEvent.Action.ASSIGN: ("assign", "Assign to me"),
    ReviewEvent.Action.APPROVE: ("approve", "Approve"),
    ReviewEvent.Action.REQUEST_CHANGES: ("request-changes", "Request changes"),
    ReviewEvent.Action.REJECT: ("reject", "Reject"),
    ReviewEvent.Action.REVOKE: ("revoke", "Revoke approval"),
}


def _outcome(result: AccessRequest, *, done: str) -> str:
    """What an action achieved: an approval of a dual-approval scope may only be the first one,
    after which the request waits, unassigned, for a second reviewer."""
    awaiting_second_approval = (
        result.status == AccessRequest.Status.IN_REVIEW
        and result.first_approved_by_id is not None
        and result.assigned_to_id is None
    )
    if awaiting_second_approval:
        return "First approval recorded; a second reviewer must approve"
    return done


def _timeline_entry(event: ReviewEvent) -> dict:
    """An event as the detail page shows it: labelled answer diffs and answer comments."""
    details = event.details or {}
    return {
        "event": event,
        "changes": [
            {
                "label": queue.answer_label(field),
                "old": change.get("old", ""),
                "new": change.get("new", ""),
            }
            for field, change in details.get("changed", {}).items()
            if field in AccessRequest.ANSWER_FIELDS
        ],
        "field_comments": notifications.answer_comments(event),
        "stripped": {
            key: details[key]
            for key in (
                "app_scopes_removed",
                "authorizations_changed",
                "authorizations_closed",
                "tokens_changed",
            )
            if key in details
        },
    }


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "request", "action", "actor", "from_status", "to_status")
    list_select_related = ("request__app", "request__scope", "actor")
    list_filter = ("action",)
    search_fields = ("request__app__name", "comment")
    date_hierarchy = "created_at"


# --- Partners and apps --------------------------------------------------------------------------


@admin.register(PartnerAuditEvent)
class PartnerAuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "partner", "app", "action", "actor")
    list_select_related = ("partner", "app", "actor")
    list_filter = ("action",)
    search_fields = ("partner__name", "app__name", "=app__client_id", "actor__email")
    date_hierarchy = "created_at"


class PartnerAuditEventInline(ReadOnlyInline):
    """The audit trail, newest first, on the partner's and the app's pages."""

    model = PartnerAuditEvent
    fields = ("created_at", "action", "actor", "app", "details")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "Activity (audit trail)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "app", "partner")


class AppAuditEventInline(PartnerAuditEventInline):
    fields = ("created_at", "action", "actor", "details")
    readonly_fields = fields


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "partner")


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ("name", "is_verified", "member_count", "created_at")
    list_filter = ("is_verified",)
    search_fields = ("name",)
    inlines = (MembershipInline, PartnerAuditEventInline)
    actions = ("verify", "unverify")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def has_verify_permission(self, request):
        return request.user.has_perm("apps_registry.change_partner")

    @admin.action(description="Mark as verified", permissions=["verify"])
    def verify(self, request, queryset):
        self._set_verified(request, queryset, verified=True)

    @admin.action(description="Mark as not verified", permissions=["verify"])
    def unverify(self, request, queryset):
        self._set_verified(request, queryset, verified=False)

    def _set_verified(self, request, queryset, *, verified: bool) -> None:
        for partner in queryset:
            try:
                app_status.partner_set_verified(
                    partner_id=partner.pk, acting_user=request.user, verified=verified
                )
            except DomainError as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.log_change(request, partner, "Verified." if verified else "Unverified.")
                state = "verified" if verified else "not verified"
                self.message_user(request, f"{partner.name} is {state}.", messages.SUCCESS)


class AppScopeInline(ReadOnlyInline):
    model = AppScope
    fields = ("scope", "is_required", "created_at")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("app", "scope")  # for each row's str


class AppAccessRequestInline(ReadOnlyInline):
    model = AccessRequest
    fields = ("scope", "status", "submitted_at", "approval_expires_at")
    readonly_fields = fields
    verbose_name_plural = "Custom-scope applications"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("app", "scope")


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why is the app suspended?",
        error_messages={"required": "Write why the app is suspended."},
    )


# DOT registers its own admin for the (swapped) application model; ours replaces it.
if admin.site.is_registered(PartnerApp):
    admin.site.unregister(PartnerApp)


@admin.register(PartnerApp)
class PartnerAppAdmin(ReadOnlyAdmin):
    """Credentials are shown but never editable here; the client secret is never shown at all."""

    change_form_template = "admin/apps_registry/partnerapp/change_form.html"
    suspend_template = "admin/apps_registry/partnerapp/suspend.html"
    list_display = ("name", "partner", "status", "client_id", "created")
    list_select_related = ("partner",)
    list_filter = ("status", "category", "partner__is_verified")
    search_fields = ("name", "=client_id", "partner__name")
    inlines = (AppScopeInline, AppAccessRequestInline, AppAuditEventInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "partner",
                    "status",
                    "description",
                    "category",
                    "homepage_url",
                    "privacy_policy_url",
                )
            },
        ),
        (
            "OAuth client",
            {
                "fields": (
                    "client_id",
                    "secret_hint",
                    "secret_rotated_at",
                    "client_type",
                    "authorization_grant_type",
                    "skip_authorization",
                    "redirect_uris",
                    "can_introspect",
                    "created",
                    "updated",
                )
            },
        ),
    )

    def has_suspend_permission(self, request):
        return request.user.has_perm("apps_registry.change_partnerapp")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_suspend": self.has_suspend_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "<path:object_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name=f"{info[0]}_{info[1]}_suspend",
            ),
            path(
                "<path:object_id>/unsuspend/",
                self.admin_site.admin_view(self.unsuspend_view),
                name=f"{info[0]}_{info[1]}_unsuspend",
            ),
        ]
        return urls + super().get_urls()

    def _get_app(self, request, object_id) -> PartnerApp:
        if not self.has_suspend_permission(request):
            raise PermissionDenied
        app = self.get_object(request, unquote(object_id))
        if app is None:
            raise Http404("No such app.")
        return app

    def _change_url(self, app: PartnerApp) -> str:
        return reverse("admin:apps_registry_partnerapp_change", args=[app.pk])

    def suspend_view(self, request, object_id):
        app = self._get_app(request, object_id)
        status = 200
        if request.method == "POST":
            require_recent_authentication(request)
            form = SuspendForm(request.POST)
            if form.is_valid():
                try:
                    app_status.app_suspend(
                        app_id=app.pk, acting_user=request.user, reason=form.cleaned_data["reason"]
                    )
                except DomainError as error:
                    form.add_error(None, str(error))
                    status = _error_status(error)
                else:
                    self.log_change(request, app, f"Suspended: {form.cleaned_data['reason']}")
                    self.message_user(
                        request,
                        f"{app.name} is suspended and its tokens are revoked.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._change_url(app))
            else:
                status = 400
        else:
            form = SuspendForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Suspend {app.name}",
            "form": form,
            "app": app,
            "change_url": self._change_url(app),
        }
        return TemplateResponse(request, self.suspend_template, context, status=status)

    def unsuspend_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        app = self._get_app(request, object_id)
        try:
            app_status.app_unsuspend(app_id=app.pk, acting_user=request.user)
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.log_change(request, app, "Reinstated (back to draft).")
            self.message_user(
                request,
                f"{app.name} is reinstated as a draft; the partner publishes it again.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(app))


# --- Sellers ------------------------------------------------------------------------------------


@admin.register(Shop)
class ShopAdmin(ReadOnlyAdmin):
    list_display = ("name", "region", "owner", "cipher", "created_at")
    list_select_related = ("owner",)
    list_filter = ("region",)
    search_fields = ("name", "=cipher", "owner__email")


@admin.register(ShopAuthorization)
class ShopAuthorizationAdmin(ReadOnlyAdmin):
    list_display = ("shop", "app", "granted_at", "expires_at", "revoked_at")
    list_select_related = ("shop", "app")
    list_filter = ("revoked_at",)
    search_fields = ("shop__name", "app__name", "=app__client_id")
    fields = (
        "app",
        "shop",
        "granted_by",
        "scopes",
        "granted_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
