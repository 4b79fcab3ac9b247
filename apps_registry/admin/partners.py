"""Partner organisations with their members and audit trail, read-only; staff verify them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from append_only.admin import ReadOnlyAdmin, ReadOnlyInline
from apps_registry.models import Membership, Partner, PartnerAuditEvent
from apps_registry.services import app_status
from core.admin_big_tables import BigTableAdminMixin
from core.errors import DomainError


@admin.register(PartnerAuditEvent)
class PartnerAuditEventAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ("created_at", "partner", "app", "action", "actor")
    list_select_related = ("partner", "app", "actor")
    # A date filter rather than a date hierarchy, whose years are a scan of the history.
    list_filter = ("action", ("created_at", admin.DateFieldListFilter))
    search_fields = (
        "partner__name__istartswith",
        "app__name__istartswith",
        "app__client_id__exact",
        "actor__email__iexact",
    )
    search_help_text = "The start of a partner's or app's name, a client ID, or who acted (email)."
    ordering = ("-created_at", "-pk")


class PartnerAuditEventInline(ReadOnlyInline):
    """The audit trail, newest first, on the partner's and the app's pages."""

    model = PartnerAuditEvent
    fields = ("created_at", "action", "actor", "app", "details")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = "Activity (audit trail)"
    rows_select_related = ("actor", "app", "partner")


class AppAuditEventInline(PartnerAuditEventInline):
    fields = ("created_at", "action", "actor", "details")
    readonly_fields = fields


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    show_change_link = False
    rows_select_related = ("user", "partner")


@admin.register(Partner)
class PartnerAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = ("name", "is_verified", "member_count", "created_at")
    list_filter = ("is_verified",)
    search_fields = ("name__istartswith",)
    search_help_text = "The start of the partner's name."
    ordering = ("name", "pk")
    inlines = (MembershipInline, PartnerAuditEventInline)
    actions = ("verify", "unverify")

    def get_queryset(self, request):
        # Counted per partner shown, rather than grouping every membership before the page.
        members = (
            Membership.objects.filter(partner=OuterRef("pk"))
            .order_by()
            .values("partner")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return super().get_queryset(request).annotate(member_count=Coalesce(Subquery(members), 0))

    @admin.display(description="Members")
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
