# Kinga's two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := kinga.settings

.PHONY: run test tests suite check bench screens install install-js messages compilemessages format lint clean fuzz audit-deps soak

$(BIN)/kinga: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,sms]'
	touch $(BIN)/kinga

install: $(BIN)/kinga

# The test suite's front-end package (axe-core, the accessibility check of the journeys), from
# the npm registry at set-up; nothing of it is committed or served.
node_modules/axe-core/axe.js: package.json
	npm install --no-package-lock --no-audit --no-fund --silent
	test -s $@ && touch $@

install-js: node_modules/axe-core/axe.js

compilemessages: install
	cd kinga && ../$(BIN)/django-admin compilemessages --ignore=.venv >/dev/null

## Set up everything and serve the demo on http://127.0.0.1:$(PORT)
run: compilemessages
	KINGA_ENV=demo $(BIN)/kinga demo --port $(PORT)

## Lint, types, layers, migrations and translations, then the whole test suite
test: check
	$(MAKE) tests

## The whole test suite alone (CI runs `make check` once, then this on each database)
tests: compilemessages install-js
	$(MAKE) suite

# The suite with nothing prepared first: CI compiles the messages and installs axe-core once,
# then runs this on both databases side by side (two `npm install` or `compilemessages` at
# once in one folder race each other: npm failed with 217 when they did).
suite:
	@status=0; $(BIN)/python -m pytest -q || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass"; fi; \
	exit $$status

check: compilemessages
	$(BIN)/ruff format --check kinga tests tools
	$(BIN)/ruff check kinga tests tools
	$(BIN)/mypy kinga
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/kinga makemigrations --check --dry-run
	$(BIN)/python -m kinga.lib.translations_check
	$(BIN)/python -m kinga.lib.noqa_check

## Check the installed dependencies against known vulnerabilities (PyPI's advisory data, so it
## needs the network: a release step for operators, never part of `make test` or CI; SECURITY.md)
audit-deps: install
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

## Ten minutes under load (SOAK_SECONDS): every intake channel and staff pages through gunicorn
## with the worker, at half the throughput a ramp at the start measures; non-zero on error or loss
soak: compilemessages
	$(BIN)/python tools/soak.py run

# Benchmarks write rows, so they run on a scratch database (its name contains "bench").
# On PostgreSQL: make bench BENCH_DATABASE_URL=postgres://user@host:5432/kinga_bench
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/var/bench.sqlite3
bench: compilemessages
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/kinga migrate --verbosity 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/kinga bench all

## Photograph the demo at phone size into docs/screens/ (a fresh demo on var/screens.sqlite3)
screens: compilemessages
	$(BIN)/python tools/screens.py

## Fuzz the open API from its served schema, longer than the bounded run of `make test`
fuzz: compilemessages
	KINGA_FUZZ_EXAMPLES=$${KINGA_FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest -q -p no:randomly kinga/api/tests/test_fuzz.py

## Regenerate the Kiswahili message files after changing interface text
messages: install
	$(BIN)/python -m kinga.lib.translations_check --update

format: install
	$(BIN)/ruff format kinga tests tools
	$(BIN)/ruff check --fix kinga tests tools

clean:
	rm -rf $(VENV) var
