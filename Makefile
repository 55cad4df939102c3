# Two entry points, each doing all of its own set-up from a fresh clone:
#   make demo   - install the offline Qwen pair and run the main job end to end
#   make test   - run the default (fast, tiny-model) test suite
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.steerbridge-installed

.PHONY: demo demo-quick test test-real test-gpu lint bench setup clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: here it is the local CPU build; elsewhere the same release.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/steerbridge demo

demo-quick: $(STAMP)
	$(VENV)/bin/steerbridge demo --quick

test: $(STAMP)
	$(PY) -m pytest -q

test-real: $(STAMP)
	$(PY) -m pytest -q -m real_models

test-gpu: $(STAMP)
	$(PY) -m pytest -q -m gpu

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
