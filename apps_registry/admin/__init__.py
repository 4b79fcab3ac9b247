"""The reviewers' workspace, one module per area. Every model here is read-only in the admin:
reviewers and staff act only through explicit actions and confirm pages, which call the same
services as every path. Importing the modules is what registers their admins."""

from apps_registry.admin import catalog, partner_apps, partners, review_queue, sellers  # noqa: F401
