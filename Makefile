# Two commands for a new user: `make run` (the shop on SQLite with a demo catalog)
# and `make test` (lint, import contracts, the whole suite; PostgreSQL too when
# SHOP_TEST_POSTGRES_URL is set). Both build the virtual environment themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/shop serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	SHOP_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$SHOP_TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL ($$SHOP_TEST_POSTGRES_URL)"; \
		SHOP_DATABASE_URL="$$SHOP_TEST_POSTGRES_URL" $(BIN)/pytest; \
	fi

clean:
	rm -rf $(VENV) var
