"""`python -m bench.scale_data generate --factor F FIXTURE.json [--reuse]`: runs
bench/scale_data/generate.py in the settings DJANGO_SETTINGS_MODULE names (those of the server that
will read the data)."""

import sys

import django

django.setup()

from bench.scale_data import generate  # noqa: E402 - models import only once Django is set up

generate.main(sys.argv[1:])
