# Two commands matter: `make run` and `make test`. Both set up everything they need first.
SHELL := /bin/bash
PYTHON ?= $(shell pyenv which python3.12 2>/dev/null || command -v python3.12 || echo python3.12)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
# `make run PORT=8010` or `PORT=8010 make run`; settings derive the OAuth issuer from it.
PORT ?= 8000
DEV_MANAGE = DJANGO_DEBUG=1 PORT=$(PORT) $(BIN)/python manage.py
export UV_LINK_MODE := copy

.PHONY: setup run test test-fast lint format bench bench-data soak browser nginx demo clean cluster-up cluster-down cluster-status replica-up replica-down

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), "Python 3.12 is required (see .python-version)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## Install the locked dependencies into .venv (fast when nothing changed).
setup: $(BIN)/uv
	$(BIN)/uv sync --frozen --quiet --python $(BIN)/python

## Debian's Chromium for the browser tests (nothing is downloaded at test time).
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## Debian's nginx, whose build has auth_request, for the gate's tests (tests/gateway/test_nginx.py).
## (nginx-light is only a transitional package for nginx since bookworm.)
nginx:
	@$(NGINX) -V 2>&1 | grep -q -- --with-http_auth_request_module \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

## Serve the console at http://127.0.0.1:$(PORT) on an embedded SQLite database with demo data,
## with the background worker, two webhook workers and the scheduler next to it (Procfile.dev).
## honcho would read a .env file (a copy of .env.example, say) into those processes only, and they
## would then use another database than the steps before them: `-e /dev/null` keeps it out.
run: setup
	$(DEV_MANAGE) migrate --noinput
	$(DEV_MANAGE) load_scope_catalog
	$(DEV_MANAGE) seed_demo
	DJANGO_DEBUG=1 CONSOLE_PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start -e /dev/null -c webhooks=2

## Several instances as production runs them (docs/operations.md, "Several instances"): two
## gunicorns behind nginx on http://127.0.0.1:8100, the workers and the scheduler, on the
## machine's PostgreSQL and Redis; they keep running until `make cluster-down`. `DEMO=1` writes
## the demo data too. CLUSTER_DATABASE_URL, CLUSTER_REDIS_URL, CLUSTER_PORT move them.
cluster-up: setup nginx
	$(BIN)/python deploy/cluster.py up $(if $(DEMO),--demo)

## Stops every process of the cluster, also after a crash (stale pid files go).
cluster-down:
	$(BIN)/python deploy/cluster.py down

cluster-status:
	$(BIN)/python deploy/cluster.py status

## A streaming read replica of the machine's PostgreSQL on port 5433 (docs/operations.md, "Read
## replica"): a copy of the whole cluster, started as user postgres, until `make replica-down`
## stops it and deletes the copy. It adds the replication line to the primary's pg_hba.conf when
## missing. REPLICA_PORT, REPLICA_DIR, REPLICA_PRIMARY_URL move it.
replica-up: setup
	$(BIN)/python deploy/replica.py up

replica-down:
	$(BIN)/python deploy/replica.py down

## Every test. With DATABASE_URL set they run on that database; without it, on SQLite.
test: setup browser nginx
	DJANGO_TESTING=1 $(BIN)/pytest

## Every test but the browser journeys (tests/e2e, marked e2e): the quick loop while working.
test-fast: setup nginx
	DJANGO_TESTING=1 $(BIN)/pytest -m "not e2e"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_TESTING=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks print ratios measured in one run; `make bench BENCH=http` runs only bench/bench_http.py.
## The HTTP benchmark needs PostgreSQL, Redis and wrk (ADR 0016); it starts its own gunicorn.
## BENCH=pages times the pages at 1x and 100x data; the first run writes the 100x database (minutes).
bench: setup
	DJANGO_TESTING=1 $(BIN)/python bench/run.py $(BENCH)

## The pages benchmark's data at scale factor FACTOR (100 is the issue's full size: 1,000,000
## authorizations, 5,000,000 tokens) in database bench_scale_<FACTOR>x on BENCH_DATABASE_URL's
## server, with its fixture in var/bench-data/; REUSE=1 keeps a database generated alike.
FACTOR ?= 1
bench-data: setup
	$(BIN)/python -m bench.scale_data.launch --factor $(FACTOR) $(if $(REUSE),--reuse)

## The soak (bench/soak/run.py): MINUTES of mixed load (gate checks, refreshes, consents, partner
## pages, review decisions, webhooks) against two instances behind nginx on the machine's
## PostgreSQL and Redis, then the consistency checks. It prints requests by type, errors, p50/p99.
MINUTES ?= 10
soak: setup nginx
	$(BIN)/python bench/soak/run.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache test-results
