"""Admin site wiring: the admin login goes through allauth (rate limits, MFA, e-mail checks)."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin

admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Partner Console review"
admin.site.site_title = "Partner Console review"
admin.site.index_title = "Reviewers' workspace"
admin.site.enable_nav_sidebar = False  # the queue needs the width more than a menu
