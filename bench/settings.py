"""The console's settings with the benchmark's URLs added (bench/urls.py): what gunicorn serves
during `make bench`. Nothing else differs, so the console's paths run as they do in production."""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
