# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run test test-translate lint i18n install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Console chat without a token; Telegram when WEGWIJS_BOT_TOKEN is set. `make run ARGS="--lang ar"`
run: $(STAMP)
	@if [ -n "$$WEGWIJS_BOT_TOKEN" ] || grep -qs '^WEGWIJS_BOT_TOKEN=.' .env; then \
		$(BIN)/wegwijs run; \
	else \
		$(BIN)/wegwijs chat $(ARGS); \
	fi

## Lint, type-check, content check and every test (in parallel: one process per core, at most 4).
test: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/wegwijs content check
	$(BIN)/pytest -n auto --maxprocesses 4

## The machine translation tests, with the [translate] extra (Argos Translate, CTranslate2):
## the tests build tiny models themselves; nothing is downloaded but the packages.
test-translate: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,translate]"
	$(BIN)/pytest -m translate

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

## Extract translatable strings into locales/messages.pot and update the catalogs.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 \
		--add-comments=Translators: --sort-by-file --no-wrap --omit-header \
		-o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-wrap --ignore-obsolete \
		--no-fuzzy-matching

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
