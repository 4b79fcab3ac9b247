"""Read-only admin pages, for every app: history tables, and models that change only through
services (explicit actions and decision pages), never through the admin's own forms."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect


class NoWritesMixin:
    """An admin page or inline that adds, changes and deletes nothing."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, admin.ModelAdmin):
    """Nothing is added, edited or deleted through these pages; actions call services."""

    def response_action(self, request, queryset, *args, **kwargs):
        # The admin filters on the posted ids as they come; a tampered one would be a 500.
        try:
            for object_id in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.opts.pk.clean(object_id, None)
        except ValidationError:
            self.message_user(
                request, "Select the items from the list, then run the action.", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, *args, **kwargs)


class ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True
    # The relations each row shows (in its columns or its str), fetched with the rows rather than
    # one query per row.
    rows_select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.rows_select_related:
            queryset = queryset.select_related(*self.rows_select_related)
        return queryset
