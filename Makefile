# sabi: the two commands of the quick start are `make demo` and `make test`.
PYTHON_VERSION ?= 3.12.1
VENV := .venv
PY := $(VENV)/bin/python
SABI := $(VENV)/bin/sabi
DEMO_DIR := sabi-data
SAMPLES := samples

.PHONY: demo test lint format venv samples serve bench bench-quick clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || PYENV_VERSION=$(PYTHON_VERSION) python3.12 -m venv $(VENV) || python3.12 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

samples: venv
	$(PY) scripts/fetch_samples.py $(SAMPLES)

# Index the bundled sample clips, run one search, then serve the web page.
demo: samples
	$(SABI) index $(SAMPLES) --show "Big Buck Bunny" --tag demo --data-dir $(DEMO_DIR)
	$(PY) scripts/demo_query.py $(SAMPLES) /tmp/sabi-demo-query.jpg
	$(SABI) search /tmp/sabi-demo-query.jpg --data-dir $(DEMO_DIR)
	$(SABI) serve --data-dir $(DEMO_DIR)

# The search page and the HTTP API on the demo index (or any: make serve DEMO_DIR=lib).
serve: venv
	$(SABI) serve --data-dir $(DEMO_DIR)

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(DEMO_DIR) $(SAMPLES) .pytest_cache

# Benchmarks (never part of `make test`): tables and charts under bench/results/, see bench/README.md.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[dev,bench]"
	touch $@

bench: $(VENV)/.bench-installed
	$(SABI) bench all

bench-quick: $(VENV)/.bench-installed
	$(SABI) bench all --quick
