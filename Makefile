# Fairlead: `make run` to try it, `make test` to test it. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export WEB_PORT := $(PORT)

.PHONY: run setup start test bench lint format check-deploy clean

run: setup ## Set up (idempotent) and start web, both workers and beat; Ctrl-C stops them all
	@echo ""
	@echo "  Fairlead is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/   API docs: http://127.0.0.1:$(PORT)/api/docs/"
	@$(BIN)/python manage.py seed_demo --logins-only
	@$(BIN)/python manage.py seed_calls --numbers-only
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

setup: $(VENV)/.installed .env ## Create .venv, install, migrate, load zips and demo data
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_zipcodes
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_calls

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Fairlead needs Python 3.11 or newer; try: make run PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# Local settings for the embedded set-up; never committed. Real deployments use the environment.
.env: | $(BIN)/python
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env (DEBUG=true and a fresh SECRET_KEY) for local development."

# Parallel test processes (pytest-xdist); 0 runs serially, as does PYTEST_ARGS="-p no:xdist".
# 4 beat 3 and 2 on CI's 2-core machine: browser and Celery-worker tests wait on I/O.
TEST_WORKERS ?= 4
XDIST = $(if $(filter 0,$(TEST_WORKERS))$(findstring no:xdist,$(PYTEST_ARGS)),,-n $(TEST_WORKERS))

# Compiled modules (and pytest's rewritten test modules) are cached under var/, even where
# PYTHONDONTWRITEBYTECODE is set: each test process and the Celery workers the tests start
# would otherwise compile everything again.
test: $(VENV)/.installed ## The whole suite, in parallel (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(CURDIR)/var/pycache" \
	  $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The speed bench (bench/, README "Benchmarks"): PostgreSQL and Redis, its own database
# (fairlead_bench, dropped and re-created) and Redis databases 10 and 11 unless DATABASE_URL /
# REDIS_URL say otherwise. BENCH_SCALE=large adds 100,000 past leads over 1,000 contractors.
bench: $(VENV)/.installed ## Print each speed ratio against the bench's own baselines (a few minutes)
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(CURDIR)/var/pycache" \
	  $(BIN)/python -m bench

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var staticfiles artifacts .pytest_cache
