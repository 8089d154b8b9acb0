# Loket: `make run` serves the product, `make test` runs every test. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install install-dev lint format bench translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	@touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock -r requirements-dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Compiled message catalogues (.mo) are build output, made from the .po files in the repo.
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d app/translations 2>&1 | grep -v "^compiling" || true

install: $(VENV)/.runtime node_modules/.installed translations

install-dev: install $(VENV)/.dev

run: install
	$(FLASK) db upgrade
	$(FLASK) loket demo
	$(FLASK) loket urls
	$(BIN)/python wsgi.py

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	$(BIN)/python -m bench

extract-messages: install-dev
	$(BIN)/pybabel extract --no-location -F babel.cfg -k N_ -k lazy_gettext -k _l -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching -w 100

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
