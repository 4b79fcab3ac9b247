"""Admin site wiring: the admin login goes through allauth (rate limits, MFA, e-mail checks)."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from core.admin_big_tables import BigTableAdminMixin

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Partner Console review"
admin.site.site_title = "Partner Console review"
admin.site.index_title = "Reviewers' workspace"
admin.site.enable_nav_sidebar = False  # the queue needs the width more than a menu
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(BigTableAdminMixin, UserAdmin):
    """Django's user admin, listing people by e-mail and name: the username is filled in for
    Django and never used to sign in (apps_registry/people.py)."""

    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email__istartswith", "first_name__istartswith", "last_name__istartswith")
    ordering = ("email", "pk")
