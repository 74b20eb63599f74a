# Hourglass — the two commands: `make run` and `make test`.
# Both set everything up from a bare machine with Python 3.11.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PORT   ?= 8000
PIP_FLAGS := --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: run test install install-dev messages migrate lint typecheck check bench chromium prometheus deploy-tools pgbouncer clean help fuzz load tags

help:
	@echo "make run        set up and start Hourglass (web + Celery worker + beat) on PORT=$(PORT)"
	@echo "make test       set up and run the whole test suite"
	@echo "make check      ruff + mypy"
	@echo "make bench      run the benchmarks (bench/run.py)"
	@echo "make fuzz       fuzz every API operation as a CSM and an admin, stateful too (FUZZ_EXAMPLES=$(FUZZ_EXAMPLES), coverage on)"
	@echo "make load       load test (locust, headless, LOAD_SECONDS) against gunicorn on PostgreSQL + Redis"
	@echo "make tags       create the release tags of scripts/releases.txt (the upgrade test starts from them)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Hourglass needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIP_FLAGS) pip==25.2

$(VENV)/.base-installed: $(PY) requirements/base.txt requirements/constraints.txt
	$(PIP) install $(PIP_FLAGS) -r requirements/base.txt -c requirements/constraints.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.txt
	$(PIP) install $(PIP_FLAGS) -r requirements/dev.txt -c requirements/constraints.txt
	@touch $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

# Compiled translations are build output (.mo is git-ignored); msgfmt comes with gettext.
messages: $(VENV)/.base-installed
	@command -v msgfmt >/dev/null || { echo "msgfmt (gettext) is missing: apt-get install gettext" >&2; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

migrate: $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput --verbosity 1

run: install messages migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runstack --port $(PORT)

chromium:
	@scripts/ensure-chromium.sh

# The metrics integration test scrapes the app with Debian's Prometheus.
prometheus:
	@scripts/ensure-prometheus.sh

# nginx, systemd-analyze and logrotate check the deployment recipe (tests/ops).
deploy-tools:
	@scripts/ensure-nginx.sh

# The PgBouncer test (tests/scaling) runs the app through Debian's pgbouncer in transaction mode.
pgbouncer:
	@test -x /usr/sbin/pgbouncer || command -v pgbouncer >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		echo "Installing Debian's pgbouncer for the PgBouncer test ..."; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null; }

test: install-dev messages chromium prometheus deploy-tools pgbouncer
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy .

check: lint typecheck

bench: install-dev
	$(PY) bench/run.py

FUZZ_EXAMPLES ?= 100
FUZZ_PATHS ?=
fuzz: install-dev
	HOURGLASS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HOURGLASS_FUZZ_COVERAGE=1 HOURGLASS_FUZZ_RANDOM=1 HOURGLASS_FUZZ_PATHS='$(FUZZ_PATHS)' \
		$(PY) -m pytest -p no:cacheprovider -o timeout=7200 tests/hardening/test_fuzz.py

LOAD_SECONDS ?= 30
LOAD_USERS ?= 20
load: install-dev
	$(PY) bench/load/run.py --seconds $(LOAD_SECONDS) --users $(LOAD_USERS)

# The release tags of scripts/releases.txt (annotated; a tag never moves).
tags:
	bash scripts/tag-releases.sh

clean:
	rm -rf $(VENV) var
