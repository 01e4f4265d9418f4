# `make demo` and `make test` each create .venv when missing, install saropt into it under
# constraints.txt (skipped on a second run: the stamp file is newer than its inputs), then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: install test test-slow lint demo bench bench-all clean

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

# one table: every network, precision and backend, with ratios and % of the matmul peak
bench: install
	$(BIN)/python benchmarks/speed_table.py

# every benchmark of benchmarks/, each with its own table
bench-all: bench
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
