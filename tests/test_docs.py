"""The documentation's pointers into the code stay true: every test and module a page in docs/
or the README names exists, so a move cannot leave the security checklist citing a ghost."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
# `tests/oauth/test_token.py::test_name`, or a bare `::test_name` meaning "in the file just cited".
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`")
# A Python path in backticks: `apps_registry/services/reviews.py`, `console/views/oauth/`.
CODE_PATH = re.compile(
    r"`((?:apps_registry|console|scopes|append_only|core|bench|deploy|tests)/[\w/.]*)`"
)


def defined_tests(path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def cited_tests() -> list[tuple[str, str, str | None]]:
    references = []
    for document in DOCUMENTS:
        current = None
        for match in TEST_REFERENCE.finditer(document.read_text()):
            path, name = match.groups()
            if path is None and name is None:
                continue
            current = path or current
            references.append((document.relative_to(ROOT).as_posix(), current, name))
    return references


@pytest.mark.parametrize("document", [d.relative_to(ROOT).as_posix() for d in DOCUMENTS])
def test_every_test_a_document_cites_exists(document):
    missing = [
        f"{path}::{name}" if name else path
        for cited_in, path, name in cited_tests()
        if cited_in == document
        and (
            path is None
            or not (ROOT / path).is_file()
            or (name is not None and name not in defined_tests(ROOT / path))
        )
    ]

    assert missing == []


@pytest.mark.parametrize("document", [d.relative_to(ROOT).as_posix() for d in DOCUMENTS])
def test_every_module_a_document_names_exists(document):
    text = (ROOT / document).read_text()

    missing = [path for path in CODE_PATH.findall(text) if not (ROOT / path).exists()]

    assert missing == []
