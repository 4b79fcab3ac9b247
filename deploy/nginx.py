"""Debian's nginx (`make nginx` installs it), as the cluster (deploy/cluster.py) and the gate's
tests (tests/gateway/test_nginx.py) run it: from a directory of their own, never /etc or /run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

NGINX = Path(os.environ.get("NGINX_PATH", "/usr/sbin/nginx"))


def nginx_problem() -> str | None:
    """Why NGINX cannot serve the console's configurations, or None when it can: the gate's
    configuration needs the auth_request module, which Debian's build has."""
    if not NGINX.is_file():
        return f"{NGINX} is missing: run `make nginx` (`make test` installs it)."
    version = subprocess.run([NGINX, "-V"], capture_output=True, text=True, check=False)  # noqa: S603
    if "--with-http_auth_request_module" not in version.stderr:
        return f"{NGINX} has no auth_request module: run `make nginx` (Debian's nginx has it)."
    return None
