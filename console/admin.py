"""Admin site wiring: the admin login goes through allauth (rate limits, MFA, e-mail checks), and
the libraries' lists over big tables (tokens, email addresses, authenticators, task results)
count at most what they show, as ours do."""

from allauth.account.decorators import secure_admin_login
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult
from oauth2_provider import models as oauth2_models

from core.admin_big_tables import BigTableAdminMixin

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Partner Console review"
admin.site.site_title = "Partner Console review"
admin.site.index_title = "Reviewers' workspace"
admin.site.enable_nav_sidebar = False  # the queue needs the width more than a menu
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(BigTableAdminMixin, UserAdmin):
    """Django's user admin, showing people by e-mail and name: the username is filled in for
    Django and never used to sign in (apps_registry/people.py). Newest first, as no index of
    Django's user table holds their e-mail or names to sort by."""

    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email__istartswith", "first_name__istartswith", "last_name__istartswith")
    ordering = ("-pk",)


def _list_as_a_big_table(model, **options) -> None:
    """Register `model`'s library admin again as a big table's list (ADR 0021), with `options`
    over the library's: an order an index serves, no filter that reads or lists a big table,
    search fields that name their lookup."""
    library_admin = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(
        model, type(library_admin.__name__, (BigTableAdminMixin, library_admin), options)
    )


# A credential is found by its app's client ID or name, or its user's email, never by its value.
_CREDENTIAL_LIST = {
    "list_filter": (),
    "search_fields": (
        "application__client_id__exact",
        "application__name__istartswith",
        "user__email__iexact",
    ),
    "ordering": ("-pk",),
}
for _credential in (
    oauth2_models.get_access_token_model(),
    oauth2_models.get_refresh_token_model(),
    oauth2_models.get_id_token_model(),
    oauth2_models.get_grant_model(),
):
    _list_as_a_big_table(_credential, **_CREDENTIAL_LIST)
_list_as_a_big_table(EmailAddress, ordering=("-pk",))
_list_as_a_big_table(Authenticator, ordering=("-pk",))
# Its priorities and queues as filters would read every result for their values.
_list_as_a_big_table(DBTaskResult, list_filter=("status",))
