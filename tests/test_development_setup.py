"""`make run` and `manage.py` in development: a fresh clone's missing var/."""

from __future__ import annotations

from tests.conftest import run_manage


def test_the_migrations_gate_of_make_lint_runs_on_a_fresh_clone(fresh_checkout):
    result = run_manage(
        fresh_checkout, "makemigrations", "--check", "--dry-run", DJANGO_TESTING="1"
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
