# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# one test worker more than the cores: many tests wait on a process they started (recon,
# sshd, a Celery worker, the browser), so a core would otherwise sit idle
TEST_WORKERS ?= $(shell expr $$(nproc) + 1)

.PHONY: demo test lint ui bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# RECON_FIRST_DAY (where the daily partitions start): the environment's, else .env's, else
# the demo month's first day
DEMO_FIRST_DAY := RECON_FIRST_DAY="$${RECON_FIRST_DAY:-$$(sed -n 's/^RECON_FIRST_DAY=//p' \
	.env 2>/dev/null | tail -n 1)}"; export RECON_FIRST_DAY="$${RECON_FIRST_DAY:-2026-10-01}";

demo: $(STAMP)
	$(DEMO_FIRST_DAY) $(BIN)/recon demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ui: $(STAMP)
	mkdir -p $${DAGSTER_HOME:-.recon/dagster}
	test -f $${DAGSTER_HOME:-.recon/dagster}/dagster.yaml || \
		cp recon_pipeline/dagster.yaml $${DAGSTER_HOME:-.recon/dagster}/dagster.yaml
	$(DEMO_FIRST_DAY) DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.recon/dagster} \
		$(BIN)/dagster dev -m recon_pipeline.definitions -h 127.0.0.1 -p 3000

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .recon dist build
