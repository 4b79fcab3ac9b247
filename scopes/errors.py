"""Refusals of catalog changes. Scopes cannot import apps_registry's domain errors, so the catalog
has its own; callers show the message, which is safe and says what to do."""


class CatalogError(Exception):
    """A catalog change was refused; the message says what to fix and is safe to show."""


class CatalogPermissionError(CatalogError):
    """The actor may not make this catalog change (not a catalog manager, or their own proposal)."""


class CatalogStateError(CatalogError):
    """The change is no longer pending, or the scope moved on since it was proposed."""


# Enough to fix a file in one go without burying the first problem under a thousand others.
MAX_REPORTED_PROBLEMS = 20


class CatalogFileError(CatalogError):
    """The catalog file is malformed; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"The catalog file is invalid ({len(problems)} problem(s)); nothing was changed:"]
        lines += [f"  - {problem}" for problem in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))
