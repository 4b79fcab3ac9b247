"""The review queue: Custom-scope applications with their filters, detail page, assignment, decision
pages and bulk actions, and the review history. Reviewers act only through these, which call the
same services as every path."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, re_path, reverse

from append_only.admin import ReadOnlyAdmin
from apps_registry.admin import queue_annotations
from apps_registry.admin.action_pages import ActionPageMixin, require_recent_authentication
from apps_registry.admin.answer_diff import answer_diff_html
from apps_registry.admin.attachments import AttachmentsAdminMixin
from apps_registry.admin.decision_pages import DECISIONS, Decision, VersionedForm, action_slug
from apps_registry.events import review as review_events
from apps_registry.models import AccessRequest, AppScope, ReviewEvent
from apps_registry.selectors import access_requests as queue
from apps_registry.services import review_rules, reviews
from core.admin_big_tables import BigTableAdminMixin
from core.errors import DomainError
from core.replica_pages import replica_reads
from scopes.models import Scope

Status = AccessRequest.Status
# The queue's badges and warnings and the decision pages' layout (templates link it too).
REVIEW_ADMIN_STYLESHEET = "console/review-admin.css"


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


class CustomScopeFilter(admin.RelatedFieldListFilter):
    """The Custom scopes, which are what applications are for, read from the catalog: choices
    read from the applications themselves would scan them all on every page."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False, ordering=("key",), limit_choices_to={"kind": Scope.Kind.CUSTOM}
        )


class ScopeGroupFilter(admin.SimpleListFilter):
    title = "scope group"
    parameter_name = "scope_group"

    def lookups(self, request, model_admin):
        groups = (
            Scope.objects.filter(kind=Scope.Kind.CUSTOM)
            .values_list("group", flat=True)
            .distinct()
            .order_by("group")
        )
        return [(group, group) for group in groups]

    def queryset(self, request, queryset):
        return queryset.filter(scope__group=self.value()) if self.value() else queryset


@admin.register(AccessRequest)
class AccessRequestAdmin(BigTableAdminMixin, AttachmentsAdminMixin, ActionPageMixin, ReadOnlyAdmin):
    change_form_template = "admin/apps_registry/accessrequest/change_form.html"
    decision_template = "admin/apps_registry/accessrequest/decision.html"
    # Half Django's default: a page a reviewer scans at a glance, rendered in half the time
    # (each row carries its approvals and time left); the filters and the search narrow the rest.
    list_per_page = 50
    list_display = (
        "id",
        "app_name",
        "partner_name",
        "scope_key",
        "status_with_approvals",
        "assigned_reviewer",
        "review_time_left",
        "submitted_at",
    )
    list_display_links = ("id", "app_name")
    list_select_related = ("app__partner", "scope", "assigned_to", "first_approved_by")
    list_filter = (
        "status",
        ReviewAgeFilter,
        ("scope", CustomScopeFilter),
        ScopeGroupFilter,
    )
    # A partner is found by name here: a filter would list every partner.
    search_fields = (
        "app__name__istartswith",
        "app__partner__name__istartswith",
        "app__client_id__exact",
        "scope__key__istartswith",
    )
    search_help_text = "The start of an app's or partner's name or a scope key, or a client ID."
    ordering = ("submitted_at", "pk")
    actions = ("assign_to_me", "approve_selected")
    fieldsets = (
        (
            "Application",
            {"fields": ("app", "partner_name", "scope", "status", "submitted_by", "submitted_at")},
        ),
        ("Answers", {"fields": (*AccessRequest.ANSWER_FIELDS, "supporting_files")}),
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

    class Media:
        css = {"all": (REVIEW_ADMIN_STYLESHEET,)}

    @admin.display(description="App")
    def app_name(self, obj):
        return obj.app.name

    @admin.display(description="Partner")
    def partner_name(self, obj):
        return obj.app.partner.name if obj.app.partner else "—"

    @admin.display(description="Scope")
    def scope_key(self, obj):
        return obj.scope.key

    @admin.display(description="Status")
    def status_with_approvals(self, obj):
        return queue_annotations.status_with_approval_progress(obj)

    @admin.display(description="Assigned to")
    def assigned_reviewer(self, obj):
        return queue_annotations.breakable_name(obj.assigned_to) if obj.assigned_to else None

    @admin.display(description="Review target", empty_value="")
    def review_time_left(self, obj):
        return queue_annotations.review_time_left(obj)

    def has_review_permission(self, request):
        return review_rules.is_reviewer(request.user)

    def changelist_view(self, request, extra_context=None):
        # The queue is the heaviest page reviewers read: a read replica may serve it (ADR 0026).
        # Its bulk actions post here too; those stay on the primary.
        if request.method == "GET":
            return replica_reads(super().changelist_view)(request, extra_context)
        return super().changelist_view(request, extra_context)

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
            review_rules.review_options(reviewer=request.user, access_request=access_request)
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
                ReviewAction(action_slug(action), REVIEW_CONTROL_LABELS[action], refusal=refusal)
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
        access_request = self._get_reviewable(request, object_id)
        form = VersionedForm(request.POST)
        if request.method == "POST" and not form.is_valid():
            self.message_user(request, "Reload the page and try again.", messages.ERROR)
            return HttpResponseRedirect(self._change_url(access_request))

        def assign() -> str:
            reviews.access_request_assign(
                request_id=access_request.pk,
                reviewer=request.user,
                expected_version=form.cleaned_data["version"],
            )
            self.log_change(request, access_request, "Assigned to me.")
            return "The application is assigned to you."

        return self.action_button(request, act=assign, change_url=self._change_url(access_request))

    def decision_view(self, request, object_id, decision):
        spec = DECISIONS[decision]
        access_request = self._get_reviewable(request, object_id)

        def decide(form: VersionedForm) -> None:
            result = spec.service(
                request_id=access_request.pk,
                reviewer=request.user,
                expected_version=form.cleaned_data["version"],
                **form.service_kwargs(),
            )
            outcome = _outcome(result, done=spec.done)
            self.log_change(request, result, f"{outcome}.")
            self.message_user(request, f"{outcome}: {result}.", messages.SUCCESS)

        return self.action_page(
            request,
            form_class=spec.form,
            initial={"version": access_request.version},
            act=decide,
            change_url=self._change_url(access_request),
            template=self.decision_template,
            context=lambda: self._decision_context(request, access_request, spec),
        )

    def _decision_context(self, request, access_request: AccessRequest, spec: Decision) -> dict:
        # What the workflow would refuse now disables the button; a decision the status does not
        # offer (an old link) is refused by the status.
        options = review_rules.review_options(reviewer=request.user, access_request=access_request)
        refusal = (
            options[spec.action]
            if spec.action in options
            else review_rules.decision_refusal(
                reviewer=request.user, access_request=access_request, action=spec.action
            )
        )
        under_review = queue.answers_under_review(access_request)
        return {
            "title": f"{spec.title}: {access_request.app.name} → {access_request.scope.key}",
            "decision": spec,
            "refusal": refusal,
            "access_request": access_request,
            "under_review": under_review,
            "answers": [
                {
                    "answer": answer,
                    "diff": answer_diff_html(answer.previous, answer.text)
                    if answer.changed
                    else None,
                }
                for answer in under_review.answers
            ],
            "review_admin_stylesheet": REVIEW_ADMIN_STYLESHEET,
        }

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


# The detail page's button for each review action the workflow may offer; it links to the
# action's page at action_slug(action), the URL the decision pages are served at.
REVIEW_CONTROL_LABELS = {
    ReviewEvent.Action.ASSIGN: "Assign to me",
    ReviewEvent.Action.APPROVE: "Approve",
    ReviewEvent.Action.REQUEST_CHANGES: "Request changes",
    ReviewEvent.Action.REJECT: "Reject",
    ReviewEvent.Action.REVOKE: "Revoke approval",
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
    """An event as the detail page shows it: labelled answer diffs, answer comments and what an
    ended approval stripped."""
    details = review_events.read_details(event)
    changed = details.changed if isinstance(details, review_events.Resubmitted) else {}
    field_comments = (
        details.field_comments if isinstance(details, review_events.ChangesRequested) else {}
    )
    return {
        "event": event,
        "changes": [
            {
                "label": queue.answer_label(field),
                "old": change.get("old", ""),
                "new": change.get("new", ""),
            }
            for field, change in changed.items()
            if field in AccessRequest.ANSWER_FIELDS
        ],
        "field_comments": queue.answer_comments(field_comments),
        "stripped": details.stored() if isinstance(details, review_events.ScopeStripped) else {},
    }


@admin.register(ReviewEvent)
class ReviewEventAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ("created_at", "request", "action", "actor", "from_status", "to_status")
    list_select_related = ("request__app", "request__scope", "actor")
    # A date filter rather than a date hierarchy, whose years are a scan of the history.
    list_filter = ("action", ("created_at", admin.DateFieldListFilter))
    search_fields = ("request__app__name__istartswith", "request__app__client_id__exact")
    search_help_text = "The start of an app's name, or its client ID."
    ordering = ("-created_at", "-pk")
