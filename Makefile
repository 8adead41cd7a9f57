# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint ui bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/recon demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ui: $(STAMP)
	mkdir -p $${DAGSTER_HOME:-.recon/dagster}
	test -f $${DAGSTER_HOME:-.recon/dagster}/dagster.yaml || \
		cp recon_pipeline/dagster.yaml $${DAGSTER_HOME:-.recon/dagster}/dagster.yaml
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.recon/dagster} \
		$(BIN)/dagster dev -m recon_pipeline.definitions -h 127.0.0.1 -p 3000

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .recon dist build
