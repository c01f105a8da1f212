# foljeval: the entry points. `make report` and `make test` create and reuse .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2

.PHONY: help report test test-fuzz test-fast lint lab clean lock examples check-examples benchmark

help:
	@echo "make report   build reports/<project>/report.html for every project and reports/index.html"
	@echo "make test     lint, format check, type check and the whole test suite"
	@echo "make test-fast  the unit tests only (no example report builds), under a minute"
	@echo "make test-fuzz  the 1000-input whole-file fuzz run (CI runs it after make test)"
	@echo "make lint     ruff (lint + format check) and mypy on src/"
	@echo "make benchmark  list the benchmarks; make benchmark NAME=<name> runs one"
	@echo "make lab PROJECT=<project>  open JupyterLab on notebooks/, every notebook bound to that project"
	@echo "make clean    remove generated files (data/processed, reports, caches, temporary folders, locks); raw data is never touched"
	@echo "make lock     re-resolve requirements.in into requirements.lock and environment.yml"
	@echo "make examples regenerate the bundled synthetic example projects (byte for byte)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the lock or the package metadata changes.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/foljeval report --all --jobs $(JOBS)

test: lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q -m "not fuzz_long"

# the 1000-input whole-file fuzz run (two halves, one per worker); CI runs it after `make test`
test-fuzz: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q -m fuzz_long

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -q -m "not slow and not browser and not fuzz"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py $(NAME)

lab: $(STAMP)
	$(BIN)/foljeval lab $(PROJECT)

examples: $(STAMP)
	$(BIN)/python -m examples --out data/raw

check-examples: $(STAMP)
	$(BIN)/python -m examples --check

lock: | $(BIN)/python
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Exact versions installed by \`make\`. Regenerate with \`make lock\` (resolves requirements.in in a fresh venv)."; \
	  echo "# Python 3.11"; .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv
	$(BIN)/python tools/sync_environment.py

clean:
	rm -rf data/processed/* data/processed/.[!.]* reports/* reports/.[!.]* test-artifacts .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
	touch data/processed/.gitkeep reports/.gitkeep
