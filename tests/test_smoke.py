"""The project boots: health probes answer and deploy checks pass with production variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_database_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def production_environment(tmp_path, **overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REQUIRE_"))
    }
    env.update(
        DJANGO_SECRET_KEY="x" * 20 + "production-secret-key-for-deploy-check-0123456789",
        DJANGO_ALLOWED_HOSTS="console.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        # Workers share their rate-limit counts in Redis; a local-memory cache is console.W003.
        REDIS_URL="redis://cache:6379/0",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
        OAUTH_ISSUER="https://console.example.com",
        # Production sits behind one TLS-terminating proxy (SECURE_PROXY_SSL_HEADER); leaving
        # the count at 0 there is itself a deploy warning (console.W001).
        ALLAUTH_TRUSTED_PROXY_COUNT="1",
    )
    env.update(overrides)
    return env


def check_deploy(tmp_path, **overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(tmp_path, **overrides),
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_passes_with_production_variables(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_the_trusted_proxy_count_is_left_at_zero(tmp_path):
    result = check_deploy(tmp_path, ALLAUTH_TRUSTED_PROXY_COUNT="0")

    assert result.returncode != 0
    assert "(console.W001)" in result.stderr + result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}),
        ({"DJANGO_CONN_MAX_AGE": "60"}, {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}),
        ({"DJANGO_CONN_MAX_AGE": "0"}, {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True}),
        ({"DJANGO_DEBUG": "1"}, {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True}),
        ({"DJANGO_TESTING": "1"}, {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True}),
    ],
)
def test_production_keeps_database_connections_and_checks_them(tmp_path, overrides, expected):
    read = (
        "import json; from django.conf import settings; database = settings.DATABASES['default'];"
        "print(json.dumps({key: database[key] for key in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))"
    )
    result = subprocess.run(  # noqa: S603 - the test's own arguments, no shell
        [sys.executable, "-c", read],
        cwd=ROOT,
        env=production_environment(
            tmp_path, DJANGO_SETTINGS_MODULE="console.settings", **overrides
        ),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
