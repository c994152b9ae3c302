# OE Data Platform. Quick start: `make demo` (whole pipeline end to end), `make test` (all tests).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
OE := $(BIN)/oe
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export OE_SHARED_DATA ?= $(abspath ../shared/data)

# A fresh, throw-away warehouse for `make test` (never the demo's).
TEST_DIR := $(CURDIR)/build/test
LINT_DIR := $(CURDIR)/build/lint
TEST_ENV := OE_LANDING=$(TEST_DIR)/landing OE_LAKE=$(TEST_DIR)/lake OE_WAREHOUSE=$(TEST_DIR)/oe.duckdb

.PHONY: help install demo test lint dbt-build-fresh pytest prerequisites clean spark-install test-spark test-faults

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the platform with its Spark engine (pinned by constraints.txt)

demo: install  ## generate a small landing zone, run the whole pipeline through Dagster, build the docs
	$(OE) demo

lint: install  ## ruff, contract/source drift, sqlfluff (dbt templater)
	$(BIN)/ruff check oe_platform orchestration tests
	$(OE) contracts check
	# the dbt templater opens a connection: give it a throw-away warehouse, never the demo's
	mkdir -p $(LINT_DIR)
	OE_WAREHOUSE=$(LINT_DIR)/lint.duckdb $(BIN)/sqlfluff lint --processes 0 models tests/dbt

dbt-build-fresh: install  ## dbt build (seeds, models, data and unit tests) on a fresh warehouse, linkage in between
	rm -rf $(TEST_DIR)
	$(TEST_ENV) $(OE) generate --persons 500 --seed 11 --start 2025-01-01 --months 2 \
		--out $(TEST_DIR)/landing --truth-out $(TEST_DIR)/truth
	$(TEST_ENV) $(OE) ingest
	# person resolution sits between the two halves of the project, as in the Dagster job
	$(TEST_ENV) $(BIN)/dbt build --target ci --target-path $(TEST_DIR)/target --exclude source:linkage+
	$(TEST_ENV) OE_DBT_TARGET=ci $(OE) linkage run
	$(TEST_ENV) $(BIN)/dbt build --target ci --target-path $(TEST_DIR)/target --select source:linkage+

prerequisites:  ## Chromium and Java 17+ for the tests: installed when root with apt-get, else the command to run
	.ci/prerequisites

# pytest's temporary sites (the lakes, warehouses and Dagster homes of some forty small pipeline runs,
# about 2 GB) on the machine's RAM disk when it has one with room to spare: no fsync at each commit
# (8% of a run's time here). The folder is removed afterwards, whatever the result.
PYTEST_BASETEMP := $(shell $(PYTHON) -c "import os, shutil; print(f'/dev/shm/oe-pytest-{os.getuid()}' if os.path.isdir('/dev/shm') and shutil.disk_usage('/dev/shm').free > 8 * 2**30 else '')" 2>/dev/null)

pytest: install prerequisites  ## pytest (unit, integration, browser with Chromium, Spark with Java 17+)
	status=0; $(BIN)/pytest $(if $(PYTEST_BASETEMP),--basetemp=$(PYTEST_BASETEMP)) || status=$$?; \
		$(if $(PYTEST_BASETEMP),rm -rf $(PYTEST_BASETEMP);) exit $$status

test: lint dbt-build-fresh pytest  ## lint, dbt build on a fresh warehouse, pytest

test-spark: install prerequisites  ## Spark: a small landing zone built on DuckDB and on Spark, tables compared; oe run on the spark target
	$(BIN)/pytest -m 'spark or spark_job' tests/spark

test-faults: install prerequisites  ## crash safety: runs killed in each stage and run again, two runs at once, a damaged warehouse
	$(BIN)/pytest -m faults tests/integration

spark-install: install  ## dbt-spark and pyspark (the scale-out target; ~490 MB): part of install since linkage runs on Spark too

clean:  ## remove generated data, lake, warehouse, docs site and dbt artefacts (keeps .venv)
	rm -rf data lake warehouse site target logs build .dagster_home
