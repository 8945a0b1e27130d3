# Sunshine Ledger — every target sets up what it needs from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sunshine demo --port 8000

test: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check ledger projections publisher sunshine tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
