# groupguard: `make run` serves the demo practice, `make test` runs every check.
# Each target bootstraps .venv itself; nothing else needs installing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: install run test test-fast lint test-sqlite test-postgres bench load soak clean-venv train-detector

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "groupguard needs Python 3.11 or newer: run make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing groupguard and its dependencies into $(VENV) (a minute or two the first time) ..."
	@started=$$(date +%s); \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --quiet -e '.[dev]' && \
		echo "Installed in $$(( $$(date +%s) - started )) s."
	@touch $@

install: $(STAMP)

run: install
	GROUPGUARD_DEMO=$${GROUPGUARD_DEMO:-1} $(BIN)/groupguard serve --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test-sqlite: install
	env -u DATABASE_URL $(BIN)/pytest -q

# The database-facing suite again on PostgreSQL. Under CI=true it must run; elsewhere it
# runs when a server answers at $(PG_TEST_URL). This pass runs on the practice's evening
# clock (tests/conftest.py): the test practice's date and the server's (UTC) differ.
test-postgres: install
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL='$(PG_TEST_URL)' GROUPGUARD_TEST_CLOCK=practice-evening \
			$(BIN)/pytest -q -m "not browser"; \
	elif [ "$${CI:-}" = "true" ]; then \
		echo "PostgreSQL is required under CI=true but does not answer at $(PG_TEST_URL)"; exit 1; \
	else \
		echo "PostgreSQL does not answer at $(PG_TEST_URL): skipped the PostgreSQL pass"; \
	fi

test: lint test-sqlite test-postgres

# The inner loop: SQLite only, without the browser, the slow (servers, crashes, backups) and
# the fuzzing tiers, which `make test` runs (schemathesis at full depth under CI=true); on
# every core (pytest-xdist: each worker has its own test database).
test-fast: install
	env -u DATABASE_URL $(BIN)/pytest -q -n auto -m "not slow and not fuzz and not browser"

bench: install
	$(BIN)/python bench/run.py

# Fit the detector's model on corpus/detector/ and write groupguard/contacts/detector/model.bin
# (commit it: the package ships the model; nothing is fetched at run time).
train-detector: install
	$(BIN)/python -m tools.train_detector

# locust against the real server (gunicorn), on SQLite and, when it answers, on PostgreSQL.
load: install
	$(BIN)/python bench/load/run.py --database-url '$(PG_TEST_URL)'

# The crash test for longer: SOAK_KILLS kills of the server (default 200) on each database.
SOAK_KILLS ?= 200
soak: install
	GROUPGUARD_CRASH_KILLS=$(SOAK_KILLS) env -u DATABASE_URL $(BIN)/pytest -q -s tests/durability/test_crash.py
	GROUPGUARD_CRASH_KILLS=$(SOAK_KILLS) DATABASE_URL='$(PG_TEST_URL)' $(BIN)/pytest -q -s tests/durability/test_crash.py

clean-venv:
	rm -rf $(VENV)
