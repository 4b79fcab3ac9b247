"""`make bench-data FACTOR=F [REUSE=1]`: the scale data at factor F in database bench_scale_<F>x
(on the server of BENCH_DATABASE_URL), written by `python -m bench.scale_data generate` in the
environment the benchmark's gunicorn gets (bench/bench_http.py's server_environment), and its
fixture in var/bench-data/scale_<F>x.json.

    python -m bench.scale_data.launch --factor F [--reuse]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.bench_http import ROOT, server_environment

FIXTURE_DIR = ROOT / "var" / "bench-data"


def scale_name(factor: float) -> str:
    """bench_scale_100x for 100, bench_scale_0_01x for 0.01."""
    return f"bench_scale_{factor:g}x".replace(".", "_")


def scale_environment(factor: float) -> dict[str, str]:
    """The server's environment, on the factor's own database."""
    environment = server_environment()
    parts = urlsplit(environment["DATABASE_URL"])
    environment["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{scale_name(factor)}"))
    return environment


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
