"""The signing key of a development checkout, kept in a file so that every process agrees on it.

`make run` starts several processes (migrate, seed_demo, runserver and its autoreloaded child) and
operators run more (`manage.py create_app`). A key that differed per process would make every
client secret one of them printed fail to verify in the server, and every reload would sign
everyone out. Production never comes here: it must set DJANGO_SECRET_KEY.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key


def development_secret_key(path: Path) -> str:
    """The key stored at `path`; the first call writes a random one, readable by its owner only."""
    if not path.exists():
        _write_once(path, get_random_secret_key())
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(
            f"{path} is empty. Delete it to generate a new development key "
            "(signed-in sessions and client secrets created since then stop working)."
        )
    return key


def _write_once(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600. Linking it into place is atomic and never replaces
    # an existing file, so when processes start together the first key written is the one all read.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(key)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
