"""`make run` and `manage.py` in development: one signing key for every process, the port, a fresh
clone's missing var/."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from console.development_key import development_secret_key
from tests.conftest import ROOT, run_manage

# Runs in a second process: the real token endpoint, with the client's id and secret from the env.
EXCHANGE_A_BAD_CODE = """
import base64, json, os
from django.test import Client
credentials = f"{os.environ['CLIENT_ID']}:{os.environ['CLIENT_SECRET']}".encode()
response = Client(HTTP_HOST="127.0.0.1").post(
    "/oauth/token/",
    {"grant_type": "authorization_code", "code": "no-such-code",
     "redirect_uri": "https://demo.example/cb", "code_verifier": "v" * 43},
    HTTP_AUTHORIZATION="Basic " + base64.b64encode(credentials).decode(),
)
print(json.dumps({"status": response.status_code, **response.json()}))
"""


def test_the_development_key_is_created_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "secret_key"

    first = development_secret_key(path)

    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600
    assert development_secret_key(path) == first
    assert list(path.parent.iterdir()) == [path]


def test_an_existing_development_key_is_never_replaced(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("the-key-another-process-wrote-first\n")

    assert development_secret_key(path) == "the-key-another-process-wrote-first"
    assert path.read_text() == "the-key-another-process-wrote-first\n"


def test_an_empty_development_key_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("")

    with pytest.raises(ImproperlyConfigured, match=r"is empty\. Delete it"):
        development_secret_key(path)

    assert path.read_text() == ""


def test_a_client_secret_printed_by_one_process_authenticates_in_another(fresh_checkout):
    migrated = run_manage(fresh_checkout, "migrate", "--noinput", DJANGO_DEBUG="1")
    assert migrated.returncode == 0, migrated.stderr
    key_file = fresh_checkout / "var" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    partner = run_manage(
        fresh_checkout, "create_partner", "--name", "Demo", "--owner-email", "o@demo.example",
        "--password", "demo-owner-2026", DJANGO_DEBUG="1",
    )  # fmt: skip
    assert partner.returncode == 0, partner.stderr
    app = run_manage(
        fresh_checkout, "create_app", "--partner-id", str(json.loads(partner.stdout)["partner_id"]),
        "--name", "Demo", "--redirect-uri", "https://demo.example/cb", DJANGO_DEBUG="1",
    )  # fmt: skip
    assert app.returncode == 0, app.stderr
    credentials = json.loads(app.stdout)

    exchange = run_manage(
        fresh_checkout,
        "shell",
        "--command",
        EXCHANGE_A_BAD_CODE,
        DJANGO_DEBUG="1",
        CLIENT_ID=credentials["client_id"],
        CLIENT_SECRET=credentials["client_secret"],
    )

    assert exchange.returncode == 0, exchange.stderr
    # invalid_grant, not invalid_client: the client authenticated; only the code was wrong.
    assert json.loads(exchange.stdout.splitlines()[-1]) == {
        "status": 400,
        "error": "invalid_grant",
    }


def test_the_migrations_gate_of_make_lint_runs_on_a_fresh_clone(fresh_checkout):
    result = run_manage(
        fresh_checkout, "makemigrations", "--check", "--dry-run", DJANGO_TESTING="1"
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # Test settings never create or read a developer's key.
    assert not (fresh_checkout / "var" / "secret_key").exists()


def issuer_settings(**variables: str) -> subprocess.CompletedProcess:
    """The issuer settings a process configured by `variables` (and test mode) ends up with."""
    return run_manage(
        ROOT,
        "shell",
        "--command",
        "from django.conf import settings; import json; print(json.dumps("
        "[settings.OAUTH_ISSUER, settings.OAUTH2_PROVIDER['OIDC_ISS_ENDPOINT']]))",
        DJANGO_TESTING="1",
        **variables,
    )


@pytest.mark.parametrize(
    ("variables", "issuer"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8010"}, "http://127.0.0.1:8010"),
        (
            {"PORT": "8010", "OAUTH_ISSUER": "https://console.example.com"},
            "https://console.example.com",
        ),
    ],
)
def test_the_issuer_defaults_to_the_port_served_on(variables, issuer):
    result = issuer_settings(**variables)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == [issuer, issuer]


def test_a_port_that_is_not_a_number_is_refused_with_an_example():
    result = issuer_settings(PORT="80a0")

    assert result.returncode != 0
    assert "PORT must be a TCP port number such as 8010, not '80a0'." in result.stderr


@pytest.mark.parametrize(
    ("arguments", "variables"),
    [(["PORT=8010"], {}), ([], {"PORT": "8010"})],
    ids=["make-variable", "environment"],
)
def test_make_run_serves_on_the_port_it_is_given_and_passes_it_on(arguments, variables):
    env = {key: value for key, value in os.environ.items() if key != "PORT"}

    # make from PATH, as a user runs it; the test's own arguments, no shell.
    result = subprocess.run(  # noqa: S603
        ["make", "--dry-run", "run", *arguments],  # noqa: S607
        cwd=ROOT,
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=True,
    )

    django_lines = [line for line in result.stdout.splitlines() if "manage.py" in line]
    assert [line.split("manage.py ")[1] for line in django_lines] == [
        "migrate --noinput",
        "load_scope_catalog",
        "seed_demo",
    ]
    assert all(line.startswith("DJANGO_DEBUG=1 PORT=8010 ") for line in django_lines)
    # Then the server and the workers (Procfile.dev), each told the console's port.
    # (Under another make, as in `make test`, make adds its own "Leaving directory" line.)
    assert [line for line in result.stdout.splitlines() if "honcho" in line] == [
        "DJANGO_DEBUG=1 CONSOLE_PORT=8010 .venv/bin/honcho -f Procfile.dev start -e /dev/null "
        "-c webhooks=2"
    ]
