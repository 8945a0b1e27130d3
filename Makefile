# Sunshine Ledger — every target sets up what it needs from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make demo PORT=8080` serves the demo elsewhere
PORT ?= 8000

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sunshine demo --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=30

lint: $(STAMP)
	$(BIN)/ruff check ledger projections publisher sunshine demo witness tests bench
	$(BIN)/mypy
# bench and tests too, with the same [tool.mypy] settings (strict): naming them on the
# command line replaces the configured packages, hence a second run. The test directories
# have no __init__.py, so mypy, like pytest, takes each file as a top-level module and puts
# its directory on the search path: `from conftest import ...` and the like resolve as is.
	$(BIN)/mypy bench tests
# The layering (pyproject.toml, [tool.importlinter]): the domain, the ledger, its readers,
# and the composition root that alone wires them.
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
