# Two commands for a new user: `make run` (the shop on SQLite with a demo catalog)
# and `make test` (lint, import contracts, the whole suite; PostgreSQL too when
# SHOP_TEST_POSTGRES_URL is set). Both build the virtual environment themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench bench-scale clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make run PORT=8001` when 8000 is taken (a busy port stops the start, naming it).
PORT ?= 8000

run: $(STAMP)
	$(BIN)/shop serve --port $(PORT)

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

# `make bench`: the shop's checkout flow under load beside the floor (bench/run.py,
# docs/performance.md). Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth).
# e.g. make bench CUSTOMERS=16 DURATION=20 WORKERS=2 THREADS=4 CONCURRENCY="1 4 8 16 32" ROUNDS=3
CUSTOMERS ?= 16
DURATION ?= 20
WARMUP ?= 3
WORKERS ?= 2
THREADS ?= 4
CONCURRENCY ?= 1 4 8 16 32
ROUNDS ?= 3
# Where both keep their sessions: Redis (the default), or 'db' for PostgreSQL.
CACHE_URL ?= redis://127.0.0.1:6379/9
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py --customers $(CUSTOMERS) --duration $(DURATION) \
		--warmup $(WARMUP) --workers $(WORKERS) --threads $(THREADS) \
		--concurrency "$(CONCURRENCY)" --rounds $(ROUNDS) --cache-url $(CACHE_URL)

# `make bench-scale`: each route's median, p99 and statements at 10^3, 10^5 and 10^6
# products and orders (bench/scale.py; docs/performance.md "As the data grows").
# e.g. make bench-scale SIZES="3 5" SCALE_ARGS="--keep"
SIZES ?= 3 5 6
SCALE_ARGS ?= --docs

bench-scale: $(BENCH_STAMP)
	$(BIN)/python bench/scale.py --sizes "$(SIZES)" $(SCALE_ARGS)
