"""The gate's per-process contexts are rebuilt after the backstop age even if a version bump was
lost (kept while the versions hold: tests/gateway/test_gate_check.py, the warm check)."""

from __future__ import annotations

from unittest import mock

import pytest

from apps_registry.gate import context as gate_context

pytestmark = pytest.mark.django_db


def test_a_context_is_rebuilt_past_the_backstop_even_without_a_bump(
    gate, django_assert_max_num_queries
):
    gate.check()
    later = gate_context.time.monotonic() + gate_context.CONTEXT_BACKSTOP_SECONDS + 1

    with (
        mock.patch.object(gate_context.time, "monotonic", return_value=later),
        django_assert_max_num_queries(10) as captured,
    ):
        assert gate.check().status_code == 200

    assert len(captured.captured_queries) > 1  # the token, then the context's rebuild
