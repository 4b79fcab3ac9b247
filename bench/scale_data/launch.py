"""`make bench-data FACTOR=F [REUSE=1]`: the scale data at factor F in database bench_scale_<F>x
(on the server of BENCH_DATABASE_URL), written by `python -m bench.scale_data generate` in the
environment the pages benchmark's gunicorns get (bench/http_load/server.py), and its
fixture in var/bench-data/scale_<F>x.json.

    python -m bench.scale_data.launch --factor F [--reuse]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.bench_http import DATABASE_URL, REDIS_URL
from bench.http_load.server import ROOT, server_environment

FIXTURE_DIR = ROOT / "var" / "bench-data"
# The data is kept between runs (--reuse) and webhook secrets in it are encrypted under keys
# derived from the secret key, so every process that reads it runs under the key it was
# written with: this one, here and in bench/bench_pages.py.
SECRET_KEY = "bench-pages-throwaway-key-for-throwaway-databases-only"  # noqa: S105


def scale_name(factor: float) -> str:
    """bench_scale_100x for 100, bench_scale_0_01x for 0.01."""
    return f"bench_scale_{factor:g}x".replace(".", "_")


def scale_environment(factor: float) -> dict[str, str]:
    """The server's environment, on the factor's own database."""
    database_url = urlunsplit(urlsplit(DATABASE_URL)._replace(path=f"/{scale_name(factor)}"))
    return server_environment(database_url=database_url, redis_url=REDIS_URL, secret_key=SECRET_KEY)


def generate(
    factor: float, fixture_path: Path, *, reuse: bool, environment: dict[str, str]
) -> None:
    """Run the generator in `environment`, its report going to this process's output."""
    command = [sys.executable, "-m", "bench.scale_data", "generate", "--factor", f"{factor:g}"]
    subprocess.run(  # noqa: S603 - fixed arguments
        [*command, str(fixture_path), *(["--reuse"] if reuse else [])],
        cwd=ROOT,
        env=environment,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_data.launch", description=__doc__)
    parser.add_argument("--factor", type=float, required=True, help="100 is the full size")
    parser.add_argument("--reuse", action="store_true", help="keep a database generated alike")
    options = parser.parse_args()
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    fixture_path = FIXTURE_DIR / f"{scale_name(options.factor).removeprefix('bench_')}.json"
    generate(
        options.factor,
        fixture_path,
        reuse=options.reuse,
        environment=scale_environment(options.factor),
    )
    print(f"fixture: {fixture_path}")


if __name__ == "__main__":
    main()
