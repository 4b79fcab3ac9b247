"""The README's operator commands run as written, in order, on a fresh database, and its
configuration table lists every environment variable the settings read."""

from __future__ import annotations

import ast
import json
import re
import shlex
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps_registry.models import Partner, PartnerApp, Shop
from tests.conftest import ROOT


def operator_commands() -> list[list[str]]:
    """The `manage.py` lines of the README's "Operator commands" block, as argument lists."""
    section = (ROOT / "README.md").read_text().split("\n## Operator commands\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if "manage.py" in words:
            commands.append(words[words.index("manage.py") + 1 :])
    return commands


# The README's create_app names partner 1: the first partner of a fresh database.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_operator_command_in_the_readme_runs_as_written():
    commands = operator_commands()
    assert [command[0] for command in commands] == [
        "migrate",
        "load_scope_catalog",
        "create_partner",
        "create_app",
        "create_reviewer",
        "create_catalog_manager",
        "create_shop",
        "send_review_reminders",
    ]

    outputs = {}
    for name, *arguments in commands:
        out = StringIO()
        call_command(name, *arguments, stdout=out)
        outputs[name] = out.getvalue()

    app = PartnerApp.objects.get()
    assert json.loads(outputs["create_app"])["client_id"] == app.client_id
    assert (app.partner, app.name, app.status) == (Partner.objects.get(), "Acme Sync", "live")
    assert {(row.scope.key, row.is_required) for row in app.requested_scopes.all()} == {
        ("seller.product.basic", True),
        ("seller.order.info", False),
    }
    staff = get_user_model().objects.filter(is_staff=True)
    assert {(user.email, user.has_perm("scopes.manage_catalog")) for user in staff} == {
        ("reviewer@platform.example", False),
        ("catalog@platform.example", True),
    }
    assert Shop.objects.get().owner.email == "seller@shop.example"


def settings_environment_variables() -> set[str]:
    """Every variable console/settings.py reads, through django-environ (`env.<type>("NAME", …)`)
    or through `os.environ`."""
    tree = ast.parse((ROOT / "console" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            reader = ast.unparse(node.func)
            if reader in ("env", "os.environ.get", "os.getenv") or reader.startswith("env."):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
    return names


def configuration_table_variables() -> set[str]:
    """The variables named in the first column of the README's "Configuration" table."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def test_the_configuration_table_lists_exactly_the_variables_the_settings_read():
    read = settings_environment_variables()
    # Read through django-environ and through os.environ: the parser must see both.
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY"} <= read

    documented = configuration_table_variables()

    assert read - documented == set(), "read by console/settings.py but not in the README's table"
    assert documented - read == set(), "in the README's table but not read by console/settings.py"
