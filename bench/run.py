"""`make bench`: run every bench/bench_*.py module, print its ratios, fail if one misses its target.

Each module exposes `run() -> list[bench.ratios.Ratio]`; a ratio is bounded from above
(`Ratio.at_most`) or from below (`Ratio.at_least`). Name modules to run only those:
`bench/run.py matching http` (`make bench BENCH="matching http"`).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main(selected: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    available = sorted(path.stem.removeprefix("bench_") for path in BENCH_DIR.glob("bench_*.py"))
    unknown = sorted(set(selected) - set(available))
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(available)}")
        return 2
    failures = 0
    for name in selected or available:
        for ratio in importlib.import_module(f"bench.bench_{name}").run():
            failures += not ratio.passed
            print(ratio.line())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
