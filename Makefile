# `make demo` and `make test` each create .venv when missing, install saropt into it under
# constraints.txt (skipped on a second run: the stamp file is newer than its inputs), then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: install test test-slow lint demo bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check saropt tests benchmarks
	$(BIN)/ruff format --check saropt tests benchmarks
	$(BIN)/mypy saropt

test: lint
	$(BIN)/pytest -m "not slow"

test-slow: install
	$(BIN)/pytest -m slow

demo: install
	$(BIN)/saropt demo --out $(DEMO_OUT)

bench: install
	$(BIN)/python benchmarks/clouds.py
	$(BIN)/python benchmarks/database.py
	$(BIN)/python benchmarks/decloud_speed.py
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/correlation.py
	$(BIN)/python benchmarks/tiepoints.py
	$(BIN)/python benchmarks/classification.py
	$(BIN)/python benchmarks/urban.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
