# The Daily Cache: the commands a newcomer needs. `make run` to see the site, `make test` to
# check it. Everything runs from a virtual environment in .venv, created on first use, with
# the locked dependencies (requirements*.txt) and the project itself installed into it.
# `make` alone lists the commands: each target's `##` comment is its line of help.

PYTHON_FOR_VENV ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
DEMO_ARTICLES ?= 2000

.DEFAULT_GOAL := help
.PHONY: help run stack cluster test check-migrations lint format bench bench-scale load \
	faults capacity exercise exercise-check exercise-reset configuration-docs lock upgrade \
	clean

help: ## list these commands
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "make %-17s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)

# Reinstall only when the locks or the project's declaration change. The locks carry a hash
# for every file, so pip installs exactly what was locked; the project itself comes after, as
# pip cannot hash a folder (--no-deps: its dependencies are the locked ones).
$(VENV)/installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PYTHON) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --require-hashes -r requirements-dev.txt
	$(PYTHON) -m pip install --quiet --quiet --no-deps --no-build-isolation -e .
	touch $@

# Development settings for this command only: DEBUG (and with it the debug toolbar and the
# public development key) is off unless asked for. The demo's staff account gets its known
# password (editor / editor-demo) here and nowhere else.
run: export DJANGO_DEBUG = true
run: $(VENV)/installed ## serve the demo site at http://127.0.0.1:8000/ (SQLite, demo data)
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed --if-empty --demo-passwords --articles $(DEMO_ARTICLES)
	$(PYTHON) manage.py runserver 127.0.0.1:8000

# Prometheus and the exporters of Debian's packages watch `make stack` and `make cluster`
# (deploy/monitoring.py), unless NEWSITE_MONITORING=off: `make cluster NEWSITE_MONITORING=off`.
MONITORING_PACKAGES := $(if $(filter off false 0 no,$(NEWSITE_MONITORING)),,prometheus \
	prometheus-varnish-exporter prometheus-postgres-exporter prometheus-redis-exporter)

# Production settings over plain http (deploy/stack.py). Ctrl-C stops it.
stack: $(VENV)/installed ## Varnish at http://127.0.0.1:8080/ -> gunicorn -> PostgreSQL and Redis, watched by Prometheus
	$(PYTHON) -m deploy.stack

# The book's whole topology on loopback (deploy/cluster.py): HAProxy, two Varnish nodes, two
# application servers, PgBouncer, a PostgreSQL primary and replica, Redis with Sentinel.
cluster: $(VENV)/installed ## HAProxy at :8080 -> 2 Varnish -> 2 gunicorn -> PgBouncer, PostgreSQL + replica, Redis + Sentinel
	deploy/ensure-packages.sh postgresql pgbouncer redis-server redis-sentinel varnish haproxy \
		$(MONITORING_PACKAGES)
	$(PYTHON) -m deploy.cluster

test: $(VENV)/installed lint check-migrations ## lint, check the migrations, run the whole test suite
	$(VENV)/bin/pytest

# Any model change without its migration fails (CI runs it through `make test`). The check
# reads no database: an in-memory SQLite stands in for whatever DATABASE_URL names.
check-migrations: export DJANGO_DEBUG = true
check-migrations: export DATABASE_URL = sqlite://:memory:
check-migrations: $(VENV)/installed ## fail if a model change has no migration
	$(PYTHON) manage.py makemigrations --check --dry-run

lint: $(VENV)/installed ## ruff: lint and formatting, as pre-commit runs them
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/installed ## format the code and fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks: Debian's wrk, nginx and Varnish, the local PostgreSQL and Redis (bench/).
bench: $(VENV)/installed ## measure every layer (docs/performance.md)
	deploy/ensure-packages.sh wrk nginx-light varnish
	$(PYTHON) -m bench.run

bench-scale: $(VENV)/installed ## the same pages at 10,000 to a million articles
	deploy/ensure-packages.sh wrk
	$(PYTHON) -m bench.scale

# Against a running `make stack` or `make cluster`: a realistic mix of visitors and a
# consistency checker.
LOAD_USERS ?= 60
LOAD_SECONDS ?= 60
LOAD_HOST ?= http://127.0.0.1:8080
load: $(VENV)/installed ## visitors and an editor against a running stack or cluster
	$(VENV)/bin/locust -f bench/locustfile.py --headless --host $(LOAD_HOST) \
		--users $(LOAD_USERS) --spawn-rate 20 --run-time $(LOAD_SECONDS)s --only-summary

# Against a running `make cluster`: one fault at a time under a steady load, and what each
# cost (bench/faults.py). FAULTS=app-killed,primary-stopped runs some only.
FAULTS ?=
faults: $(VENV)/installed ## inject faults into a running cluster, one at a time (docs/reliability.md)
	$(PYTHON) -m bench.faults --faults "$(FAULTS)"

# How many nodes of each tier a site needs (docs/scaling.md), from what make bench and make
# load measured on this machine (bench/capacity.py).
capacity: $(VENV)/installed ## the capacity model: nodes per tier for 10 million to a billion views a day
	$(PYTHON) -m bench.capacity --write docs/scaling.md

# The workshop (workshop/README.md): each exercise takes one technique out of the code (its
# start.patch) and measures whether the participant has put it back (its check.py).
exercise: $(VENV)/installed ## start workshop exercise N (make exercise N=3): its technique taken out
	@$(PYTHON) -m workshop.exercise start "$(N)"

exercise-check: $(VENV)/installed ## measure exercise N: is its technique back? (exit 1 until it is)
	@$(PYTHON) -m workshop.check "$(N)"

exercise-reset: $(VENV)/installed ## back to the committed code, without the exercise (discards changes)
	@$(PYTHON) -m workshop.exercise reset

# The README's configuration tables, written from the variables' declarations; the tests fail
# when the two differ.
configuration-docs: $(VENV)/installed ## write the README's configuration tables from newsite/configuration.py
	$(PYTHON) -m newsite.configuration

# pip-tools' pip-compile resolves with pip itself, reading the same index and settings as the
# install above; --generate-hashes pins every file. The development lock is constrained by the
# runtime one, so both install the same versions of what they share.
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_OPTIONS)
lock: $(VENV)/installed ## lock requirements*.txt again after editing pyproject.toml's dependencies
	$(PIP_COMPILE) --output-file requirements.txt pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.txt --output-file requirements-dev.txt \
		pyproject.toml

upgrade: LOCK_OPTIONS = --upgrade
upgrade: lock ## lock the newest versions pyproject.toml allows (then make test)

clean: ## remove the virtual environment, the demo database and test artifacts
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts .stack .cluster .pytest_cache .ruff_cache
