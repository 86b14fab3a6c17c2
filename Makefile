# Lodestar: `make run` serves the demo portfolio; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto --dist loadgroup
WANTED_PYTHON := $(shell cat .python-version 2>/dev/null || echo 3.13)

.PHONY: help install run migrate seed test lint format bench worker beat clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# The virtual environment is rebuilt when the lock file changes.
$(BIN)/.installed: requirements.lock
	@set -e; \
	if [ ! -x $(PY) ]; then \
	  candidate=""; \
	  for python in python$(WANTED_PYTHON) "$$(command -v pyenv >/dev/null && pyenv which python 2>/dev/null)" python3 python; do \
	    [ -n "$$python" ] || continue; \
	    command -v "$$python" >/dev/null 2>&1 || continue; \
	    if "$$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then \
	      candidate="$$python"; break; \
	    fi; \
	  done; \
	  if [ -z "$$candidate" ]; then \
	    echo "Lodestar needs Python 3.12 or newer (.python-version asks for $(WANTED_PYTHON)); none was found on PATH." >&2; \
	    echo "Install it (for example: pyenv install $(WANTED_PYTHON)) and run make again." >&2; \
	    exit 1; \
	  fi; \
	  echo "Creating $(VENV) with $$("$$candidate" --version)"; \
	  "$$candidate" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --requirement requirements.lock
	@touch $@

install: $(BIN)/.installed ## Create .venv and install the pinned dependencies

migrate: install ## Apply database migrations
	$(PY) manage.py migrate --no-input

seed: migrate ## Load the demo portfolio (idempotent)
	@if $(PY) manage.py help seed_demo >/dev/null 2>&1; then \
	  $(PY) manage.py seed_demo; \
	else \
	  echo "No seed_demo command yet: skipping the demo portfolio."; \
	fi

run: seed ## Install, migrate, load the demo portfolio and serve on http://127.0.0.1:8000
	@echo "Lodestar on http://$(HOST):$(PORT)/  (demo users: dana, priya, marco, eli, sofia; password lodestar-demo)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install ## Install and run the whole test suite
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff (lint and format check) and djlint on templates
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint

format: install ## Format Python and templates
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

bench: install ## Run the benchmarks in benchmarks/
	$(PY) -m benchmarks $(BENCH_ARGS)

worker: install ## Run a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A config worker --loglevel INFO

beat: install ## Run Celery beat (needs REDIS_URL)
	$(BIN)/celery -A config beat --loglevel INFO

clean: ## Remove the virtual environment and generated files
	rm -rf $(VENV) staticfiles .pytest_cache
