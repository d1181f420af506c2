# Tidu — two commands: `make demo` runs the product on the embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/tidu
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test lint services bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## Demo on SQLite with in-process tasks: migrate, reference data, demo enterprises, a recompute,
## an admin login, then the admin and API on http://127.0.0.1:8000/
demo: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py demo --enterprises 2000
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

## The whole test suite on PostgreSQL with a real Redis and Celery worker (starts them if stopped).
test: $(VENV)/.installed services
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2 -q --ignore=tests/tasks
	# The pipeline tests run real Celery workers and restart Redis: one at a time, also across
	# checkouts of this repository on the same machine (they share Redis), hence the lock.
	flock /tmp/tidu-pipeline-tests.lock env DATABASE_URL=$(PG_URL) TIDU_TEST_BROKER_URL=$(REDIS_URL) \
	  $(PY) -m pytest -q tests/tasks

services:
	bash scripts/services.sh
	bash scripts/system-packages.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed services
	DATABASE_URL=$(PG_URL)_bench $(PY) manage.py bench --enterprises $${N:-100000}

clean:
	rm -rf $(VENV) tidu.sqlite3* staticfiles media browser-screenshots
