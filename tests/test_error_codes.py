"""The stable error codes (ADR 0013): every enum value is snake_case and means one situation, and
every DomainError production code builds carries a code from those enums.

The second part reads the source with `ast`: a refusal is built wherever a DomainError subclass is
called, raised or returned (review_rules returns them), so each call must pass `code=` unless its
class's own __init__ passes one to DomainError.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytest
from rest_framework import exceptions

from core.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCTION_CODE = {"tests", "migrations", "node_modules", "static", "staticfiles", "var"}
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
# Values two areas share on purpose: the same situation seen from each (error_codes.py says so).
# A new shared value is a decision, so it is listed here; the raises must then agree on the status.
SHARED_ACROSS_AREAS = {"name_required", "name_too_long", "app_suspended", "history_append_only"}


def production_modules() -> dict[str, Path]:
    """Every Python module of the project outside tests and migrations, by dotted name."""
    modules = {}
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith((".", "_")) and name not in NOT_PRODUCTION_CODE
        ]
        for name in files:
            if name.endswith(".py"):
                path = Path(directory, name)
                dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                modules[dotted.removesuffix(".__init__")] = path
    return modules


MODULES = production_modules()
SYNTAX_TREES = {module: ast.parse(path.read_text(), str(path)) for module, path in MODULES.items()}


def code_enums() -> list[type[StrEnum]]:
    """The StrEnums of every app's error_codes module."""
    enums = []
    for module in sorted(name for name in MODULES if name.endswith(".error_codes")):
        enums += [
            value
            for value in vars(importlib.import_module(module)).values()
            if inspect.isclass(value) and issubclass(value, StrEnum) and value is not StrEnum
        ]
    return enums


CODE_ENUMS = {enum.__name__: enum for enum in code_enums()}


def domain_error_classes() -> dict[str, type[DomainError]]:
    """Every DomainError subclass defined in production code, by class name."""
    classes: dict[str, type[DomainError]] = {}
    for module, tree in SYNTAX_TREES.items():
        for node in ast.walk(tree):
            # Only a class based on an ...Error can be one; other modules are not imported.
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).endswith("Error") for base in node.bases
            ):
                value = getattr(importlib.import_module(module), node.name, None)
                if inspect.isclass(value) and issubclass(value, DomainError):
                    assert node.name not in classes, f"two DomainErrors named {node.name}"
                    classes[node.name] = value
    return classes


DOMAIN_ERRORS = domain_error_classes()


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def code_keyword(call: ast.Call) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == "code"), None)


def own_code(cls: type[DomainError]) -> ast.expr | None:
    """The `code=` the class's own __init__ passes to super().__init__ (inherited if it has no
    __init__ of its own), else None: then whoever builds one passes the code."""
    for klass in cls.__mro__:
        if klass is DomainError or not issubclass(klass, DomainError):
            return None
        if "__init__" in vars(klass):
            definition = ast.parse(inspect.getsource(klass))
            return next(
                (
                    code_keyword(node)
                    for node in ast.walk(definition)
                    if isinstance(node, ast.Call) and called_name(node) == "__init__"
                ),
                None,
            )
    return None


@dataclass(frozen=True)
class Refusal:
    """One place production code builds a DomainError."""

    where: str
    category: type[DomainError]
    code: ast.expr | None


def refusals_built() -> list[Refusal]:
    found = []
    for module, tree in SYNTAX_TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node) in DOMAIN_ERRORS:
                cls = DOMAIN_ERRORS[called_name(node)]
                found.append(
                    Refusal(
                        where=f"{MODULES[module].relative_to(ROOT)}:{node.lineno}",
                        category=cls,
                        code=code_keyword(node) or own_code(cls),
                    )
                )
    return found


REFUSALS = refusals_built()


def code_value(expression: ast.expr | None) -> str | None:
    """The value of `SomeErrorCode.MEMBER`, or None for anything else (a literal, a variable)."""
    if (
        isinstance(expression, ast.Attribute)
        and isinstance(expression.value, ast.Name)
        and expression.value.id in CODE_ENUMS
        and expression.attr in CODE_ENUMS[expression.value.id].__members__
    ):
        return CODE_ENUMS[expression.value.id][expression.attr].value
    return None


# --- The enums ----------------------------------------------------------------------------------


def test_every_app_with_refusals_has_its_code_enums():
    assert set(CODE_ENUMS) == {
        "PartnerErrorCode",
        "AppErrorCode",
        "AccessRequestErrorCode",
        "ReviewerErrorCode",
        "AuthorizationErrorCode",
        "HistoryErrorCode",
        "CatalogErrorCode",
        "UploadErrorCode",
        "WebhookErrorCode",
    }


@pytest.mark.parametrize("enum", CODE_ENUMS.values(), ids=CODE_ENUMS)
def test_codes_are_snake_case_and_unique_within_their_enum(enum):
    # A repeated value would silently make a second member an alias of the first.
    assert len(enum.__members__) == len(list(enum))
    assert [code.value for code in enum if not SNAKE_CASE.fullmatch(code.value)] == []


def test_a_code_in_two_areas_is_one_of_the_situations_they_share():
    areas_by_code: dict[str, set[str]] = {}
    for name, enum in CODE_ENUMS.items():
        for code in enum:
            areas_by_code.setdefault(code.value, set()).add(name)

    shared = {code for code, areas in areas_by_code.items() if len(areas) > 1}

    assert shared == SHARED_ACROSS_AREAS


def test_no_code_is_one_the_api_uses_for_drf_refusals():
    """The API answers DRF's own refusals with DRF's codes (`invalid`, `not_found`, …) in the same
    body, so a domain code with one of those values would be ambiguous to clients."""
    drf_codes = {
        cls.default_code
        for cls in [exceptions.APIException, *all_subclasses(exceptions.APIException)]
    }
    domain_codes = {code.value for enum in CODE_ENUMS.values() for code in enum}

    assert domain_codes & drf_codes == set()


def all_subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *all_subclasses(direct))]


# --- The raises ---------------------------------------------------------------------------------


def test_the_scan_finds_the_refusals_of_every_area():
    """Guards the scan itself: it reads the services of each app and the base categories."""
    where = {refusal.where.split("/")[0] for refusal in REFUSALS}
    categories = {refusal.category.__name__ for refusal in REFUSALS}

    assert {"apps_registry", "scopes", "console"} <= where
    assert {
        "InvalidInputError",
        "PermissionRefusedError",
        "InvalidTransitionError",
        "InvalidAnswersError",
        "CatalogFileError",
    } <= categories


def test_every_domain_error_built_in_production_code_passes_a_code_from_an_enum():
    without_an_enum_code = [
        f"{refusal.where} {refusal.category.__name__}"
        for refusal in REFUSALS
        if code_value(refusal.code) is None
    ]

    assert without_an_enum_code == []


def test_each_code_answers_one_status_wherever_it_is_built():
    """A code names one situation, so one category: the same status on every surface and in every
    area that shares it. The classes that set their own code count too (the history tables build
    theirs through the model's `refusal_error`, which no call site names)."""
    codes_and_statuses = [(refusal.code, refusal.category.status) for refusal in REFUSALS] + [
        (own_code(cls), cls.status) for cls in DOMAIN_ERRORS.values() if own_code(cls)
    ]
    statuses: dict[str, set[int]] = {}
    for code, status in codes_and_statuses:
        statuses.setdefault(code_value(code), set()).add(status)

    assert set(statuses) >= SHARED_ACROSS_AREAS
    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}
