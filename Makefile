# Batea — `make run` to try it, `make test` to check it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Local development defaults; production sets its own environment.
DEV_ENV := DEBUG=1

.PHONY: install run test lint bench synth load messages clean

$(BIN)/batea: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/batea

install: $(BIN)/batea  ## virtualenv in .venv, dependencies, migrations
	$(DEV_ENV) $(BIN)/batea migrate --noinput

run: install  ## migrate, load the demo, serve on http://127.0.0.1:8000
	$(DEV_ENV) $(BIN)/batea demo
	@echo "Serving Batea on http://127.0.0.1:8000 — sign in with a login above."
	$(DEV_ENV) $(BIN)/batea runserver 127.0.0.1:8000

# Test modules run in parallel, one module per worker at a time (TEST_WORKERS=0: serial).
TEST_WORKERS ?= 2

test: $(BIN)/batea  ## the whole suite (DATABASE_URL selects PostgreSQL)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/batea
	$(BIN)/ruff check .
	$(BIN)/ruff format --check batea tests bench

bench: $(BIN)/batea  ## benchmarks in bench/, figures printed and saved
	$(BIN)/python -m bench

SYNTH_MEMBERS ?= 10000
SYNTH_EVENTS ?= 100000
synth: $(BIN)/batea  ## fictional federation in DATABASE_URL (SYNTH_MEMBERS, SYNTH_EVENTS, SYNTH_ARGS)
	SECRET_KEY=$${SECRET_KEY:-load-test-only} $(BIN)/batea migrate --noinput
	SECRET_KEY=$${SECRET_KEY:-load-test-only} $(BIN)/batea synth --members $(SYNTH_MEMBERS) --events $(SYNTH_EVENTS) --seed 1 $(SYNTH_ARGS)

load: $(BIN)/batea  ## locust, 20 users, against gunicorn on DATABASE_URL (after make synth)
	@test -x $(BIN)/locust || $(BIN)/pip install --quiet -e ".[load]"
	BIN=$(BIN) bench/load/run.sh

messages: $(BIN)/batea  ## refresh the gettext catalogues and compile them
	cd batea && $(DEV_ENV) ../$(BIN)/batea makemessages -l es -l fr --no-obsolete
	$(BIN)/python -m batea.i18n_compile

clean:
	rm -rf $(VENV) batea.sqlite3 staticfiles
