"""`manage.py load_scope_catalog [file]`: make the database's scope catalog match a JSON file.

It lives in apps_registry, not scopes, because a load also tells the apps using a changed scope
(apps_registry.services.catalog.catalog_file_load)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import scopes
from apps_registry.services.catalog import catalog_file_load
from scopes.errors import CatalogError
from scopes.services.catalog_loading import CatalogLoadReport

DEFAULT_CATALOG = Path(scopes.__file__).resolve().parent / "catalog" / "catalog.json"


class Command(BaseCommand):
    help = (
        "Load the scope catalog from a JSON file (default: scopes/catalog/catalog.json). "
        "Idempotent: creates and updates scopes and endpoints, deactivates scopes missing from "
        "the file (never deletes them), removes endpoints missing from it. Weakening changes to "
        "an existing scope (Custom to Public, dual approval off, new group, name or consent "
        "text) are proposed for a catalog manager to confirm, not applied. A malformed file "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_CATALOG))

    def handle(self, *args, file: str, verbosity: int, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file} is not valid JSON: {error.msg} at line {error.lineno}, "
                f"column {error.colno}. Nothing was changed."
            ) from error
        try:
            report = catalog_file_load(data=data)
        except CatalogError as error:
            raise CommandError(f"{file}: {error}") from error
        self._print(report, verbosity)

    def _print(self, report: CatalogLoadReport, verbosity: int) -> None:
        write = self.stdout.write
        write(
            f"Scopes: {len(report.scopes_created)} created, {len(report.scopes_updated)} updated, "
            f"{len(report.scopes_proposed)} with changes proposed, "
            f"{len(report.scopes_deactivated)} deactivated, "
            f"{len(report.scopes_unchanged)} unchanged."
        )
        write(
            f"Endpoints: {len(report.endpoints_created)} created, "
            f"{len(report.endpoints_updated)} updated, {len(report.endpoints_removed)} removed, "
            f"{len(report.endpoints_unchanged)} unchanged."
        )
        if verbosity >= 1:
            self._print_details(report, verbosity)
        if report.changes_pending:
            # Said at every verbosity: a deploy must not look done while changes wait.
            write(
                self.style.WARNING(
                    f"{len(report.changes_pending)} change(s) wait for a catalog manager to "
                    "confirm or cancel them (admin: Scope catalog › Scope changes):"
                )
            )
            for pending in report.changes_pending:
                write(f"  pending: {pending}")
        if verbosity < 1:
            return
        if not report.has_changes:
            write(self.style.SUCCESS("The catalog was already up to date."))
        else:
            write(self.style.SUCCESS("Catalog loaded."))

    def _print_details(self, report: CatalogLoadReport, verbosity: int) -> None:
        details = [
            ("created scope", report.scopes_created),
            ("updated scope", _fields_by_key(report.scopes_updated)),
            ("proposed scope change", _fields_by_key(report.scopes_proposed)),
            (
                "not proposed again, a catalog manager cancelled it",
                _fields_by_key(report.scopes_declined),
            ),
            ("deactivated scope", report.scopes_deactivated),
        ]
        # Endpoints number in the hundreds; list them one by one only when asked (-v 2).
        if verbosity > 1:
            details += [
                ("created endpoint", report.endpoints_created),
                ("updated endpoint", _fields_by_key(report.endpoints_updated)),
                ("removed endpoint", report.endpoints_removed),
            ]
        for label, items in details:
            for item in items:
                self.stdout.write(f"  {label}: {item}")


def _fields_by_key(fields: dict[str, list[str]]) -> list[str]:
    return [f"{key} ({', '.join(names)})" for key, names in fields.items()]
