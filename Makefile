# sabi: the two commands of the quick start are `make demo` and `make test` (README).
#
# Everything runs from .venv, made with Python 3.12: python3.12 on PATH, else pyenv's 3.12, else
# the one you name (make test PYTHON=/path/to/python3.12); scripts/find_python.sh says what to do
# when there is none. Every install takes its versions from constraints.txt (make lock).
PYTHON ?=
VENV := .venv
PY := $(VENV)/bin/python
SABI := $(VENV)/bin/sabi
INSTALL := $(PY) -m pip install -q -c constraints.txt
DEMO_DIR := sabi-data
SAMPLES := samples

.PHONY: demo test test-fast check lint format venv samples serve bench bench-quick lock clean

$(PY):
	@py=$$(sh scripts/find_python.sh "$(PYTHON)") && echo "making $(VENV) with $$py" && \
		"$$py" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# What a target needs, installed again when pyproject.toml or constraints.txt change.
# runtime: sabi alone (demo, serve); dev: + tests and checkers (Playwright, mypy, ruff, ...).
$(VENV)/.runtime: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e .
	touch $@

$(VENV)/.dev: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e ".[dev]"
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml constraints.txt | $(PY)
	$(INSTALL) -e ".[bench]"
	touch $@ $(VENV)/.runtime

venv: $(VENV)/.dev

samples: $(VENV)/.runtime
	$(PY) scripts/fetch_samples.py $(SAMPLES)

# Index the bundled sample clips, run one search, then serve the web page.
demo: samples
	$(SABI) index $(SAMPLES) --show "Big Buck Bunny" --tag demo --data-dir $(DEMO_DIR)
	$(PY) scripts/demo_query.py $(SAMPLES) /tmp/sabi-demo-query.jpg
	$(SABI) search /tmp/sabi-demo-query.jpg --data-dir $(DEMO_DIR)
	$(SABI) serve --data-dir $(DEMO_DIR)

# The search page and the HTTP API on the demo index (or any: make serve DEMO_DIR=lib).
serve: $(VENV)/.runtime
	$(SABI) serve --data-dir $(DEMO_DIR)

test: $(VENV)/.dev
	$(PY) -m pytest -q

# The fast tier (tests marked `fast`): seconds, for the edit-test loop.
test-fast: $(VENV)/.dev
	$(PY) -m pytest -q -m fast

# What CI checks before the tests: lint, formatting, types, the import contract (pyproject.toml).
check: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# constraints.txt again, every pin at the newest version pyproject.toml allows (scripts/lock.sh).
lock:
	PYTHON="$(PYTHON)" sh scripts/lock.sh

clean:
	rm -rf $(DEMO_DIR) $(SAMPLES) .pytest_cache

# Benchmarks (never part of `make test`): the bench/ package, run from this checkout; tables and
# charts under bench/results/, see bench/README.md.
bench: $(VENV)/.bench
	$(PY) -m bench all

bench-quick: $(VENV)/.bench
	$(PY) -m bench all --quick
