# The Daily Cache: the commands a newcomer needs. `make run` to see the site, `make test` to
# check it. Everything runs from a virtual environment in .venv, created on first use.

PYTHON_FOR_VENV ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
DEMO_ARTICLES ?= 2000

.DEFAULT_GOAL := help
.PHONY: help run stack cluster test bench bench-scale load lint format clean

help:
	@echo "make run     serve the demo site at http://127.0.0.1:8000/ (SQLite, demo data)"
	@echo "make stack   Varnish at http://127.0.0.1:8080/ -> gunicorn -> PostgreSQL and Redis"
	@echo "make cluster HAProxy at http://127.0.0.1:8080/ -> 2 Varnish -> 2 gunicorn -> PgBouncer,"
	@echo "             PostgreSQL primary + replica, Redis + replica + 3 Sentinels"
	@echo "make test    lint, then run the whole test suite"
	@echo "make bench   measure every layer (docs/performance.md); make bench-scale, make load"
	@echo "make format  format the code with ruff"
	@echo "make clean   remove the virtual environment, the demo database and test artifacts"

# Reinstall only when a requirements file changes.
$(VENV)/installed: requirements.txt requirements-dev.txt
	test -x $(PYTHON) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Development settings for this command only: DEBUG (and with it the debug toolbar and the
# public development key) is off unless asked for. The demo's staff account gets its known
# password (editor / editor-demo) here and nowhere else.
run: export DJANGO_DEBUG = true
run: $(VENV)/installed
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed --if-empty --demo-passwords --articles $(DEMO_ARTICLES)
	$(PYTHON) manage.py runserver 127.0.0.1:8000

# The whole stack, production settings over plain http (deploy/stack.py). Ctrl-C stops it.
stack: $(VENV)/installed
	$(PYTHON) deploy/stack.py

# The book's whole topology on loopback (deploy/cluster.py): HAProxy, two Varnish nodes, two
# application servers, PgBouncer, a PostgreSQL primary and replica, Redis with Sentinel.
cluster: $(VENV)/installed
	deploy/ensure-packages.sh postgresql pgbouncer redis-server redis-sentinel varnish haproxy
	$(PYTHON) deploy/cluster.py

test: $(VENV)/installed lint
	$(VENV)/bin/pytest

# Benchmarks: Debian's wrk, nginx and Varnish, the local PostgreSQL and Redis (bench/).
bench: $(VENV)/installed
	deploy/ensure-packages.sh wrk nginx-light varnish
	$(PYTHON) bench/run.py

bench-scale: $(VENV)/installed
	deploy/ensure-packages.sh wrk
	$(PYTHON) bench/scale.py

# Against a running `make stack` or `make cluster`: a realistic mix of visitors and a
# consistency checker.
LOAD_USERS ?= 60
LOAD_SECONDS ?= 60
LOAD_HOST ?= http://127.0.0.1:8080
load: $(VENV)/installed
	$(VENV)/bin/locust -f bench/locustfile.py --headless --host $(LOAD_HOST) \
		--users $(LOAD_USERS) --spawn-rate 20 --run-time $(LOAD_SECONDS)s --only-summary

# The capacity model (docs/scaling.md): nodes per tier for 10, 100 and 1,000 million page views
# a day, from the figures make bench and make load measured (bench/capacity.py).
.PHONY: capacity
capacity: $(VENV)/installed
	$(PYTHON) bench/capacity.py --write docs/scaling.md

lint: $(VENV)/installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts .stack .cluster .pytest_cache .ruff_cache
