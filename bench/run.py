"""`make bench`: run every bench/bench_*.py module, print its ratios, fail if one misses its target.

Each module exposes `run() -> list[(name, ratio, target)]`; a ratio above its target fails.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    failures = 0
    for module_path in sorted(BENCH_DIR.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, ratio, target in module.run():
            verdict = "ok" if ratio <= target else "FAIL"
            failures += verdict == "FAIL"
            print(f"{verdict:4}  {name}: ratio {ratio:.3g} (target ≤ {target})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
