"""The processes `make run` starts (Procfile.dev): the console and, next to it, the worker, the
webhook workers and the scheduler, all on the console's port."""

from __future__ import annotations

from honcho.environ import parse_procfile

from tests.conftest import ROOT


def test_make_run_starts_the_console_the_workers_and_the_scheduler_on_the_consoles_port():
    processes = parse_procfile((ROOT / "Procfile.dev").read_text()).processes

    # honcho gives each process a PORT of its own; the settings derive the console's public
    # address (the links in emails the worker sends) from PORT, so each puts the console's back.
    manage = "PORT=$CONSOLE_PORT exec .venv/bin/python manage.py"
    assert processes == {
        "web": f"{manage} runserver 127.0.0.1:$CONSOLE_PORT",
        "worker": f"{manage} db_worker --queue-name default",
        "webhooks": f"{manage} db_worker --queue-name webhooks --no-reload",
        "scheduler": f"{manage} crontask --no-heartbeat",
    }
