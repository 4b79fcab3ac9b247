"""`python -m bench.http_load prepare FIXTURE.json` or `… grow-catalog COUNT`: runs
bench/http_load/seed.py in the settings DJANGO_SETTINGS_MODULE names (bench/bench_http.py passes
the server's)."""

import sys

import django

django.setup()

from bench.http_load import seed  # noqa: E402 - models import only once Django is set up

seed.main(sys.argv[1:])
