# The two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format check bench clean-var backup restore

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## run: migrate, load the demo data, serve on http://127.0.0.1:8000 with a worker and beat
run: $(STAMP)
	$(PY) -m iml.devrun

## test: the whole suite, on real PostgreSQL and Redis (embedded unless DATABASE_URL/REDIS_URL)
PYTEST_ARGS ?= -n 2
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff, migrations and system checks, the apps' layers (import-linter), types (mypy with
## django-stubs, strict on services, selectors and rule modules: pyproject.toml), as CI runs them
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: national-scale benchmarks in their own database (iml_bench), written to
## docs/benchmarks.md; a quick run: make bench BENCH_ARGS="--scale 0.01 --duration 5"
BENCH_ARGS ?=
bench: $(STAMP)
	DEBUG=false IML_DATABASE_NAME=iml_bench IML_REDIS_DB=1 $(PY) manage.py bench $(BENCH_ARGS)

## clean-var: stop the embedded servers and delete their data (.var/)
clean-var: $(STAMP)
	$(PY) -c "from iml import devservices as d; d.stop_redis(); d.stop_postgres()"
	rm -rf .var

## backup: pg_dump to backups/iml-YYYYMMDD-HHMMSS.dump, as a role bypassing RLS (README, Backups)
backup: $(STAMP)
	$(PY) manage.py backup_database

## restore: replace the database by an archive: make restore FILE=backups/iml-….dump
restore: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/iml-YYYYMMDD-HHMMSS.dump"; exit 2; }
	$(PY) manage.py restore_database "$(FILE)" --wet-run
