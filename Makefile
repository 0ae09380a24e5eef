# Secure Base. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install run train shell test test-python test-rasa validate conversations eval \
        eval-quick bench articles lint lock key rotate-keys purge staff callbacks clean

help: ## List every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Create .venv from the pinned lock (idempotent) and install the web widget's packages
	@bash scripts/install.sh
	@bash scripts/install_web.sh

run: ## Run the assistant on SQLite: install, train if needed, start all servers, print the URL
	@bash scripts/run.sh

train: install ## Train a model if data, config or the practice profile changed
	@bash scripts/train.sh

shell: train ## Chat in the terminal (starts the action server in the background)
	@bash scripts/shell.sh

test: ## Run every test (installs what it needs, trains if needed); CI runs this
	@bash scripts/test.sh

test-python: install ## Run the pytest suite only
	@$(PY) -m pytest -q

validate: install ## rasa data validate (must be clean: no warnings)
	@bash scripts/validate.sh

conversations: train ## Rasa conversation tests with --fail-on-prediction-errors
	@bash scripts/conversations.sh

eval: train ## Full evaluation: NLU cross-validation, held-out topics, out-of-scope, crisis, articles
	@$(PY) scripts/evaluate.py --cross-validation --conversations

eval-quick: train ## Evaluation without cross-validation (what CI runs)
	@$(PY) scripts/evaluate.py

bench: train ## Cold start, latency p50/p95/p99, throughput and memory of the running assistant
	@$(PY) scripts/bench.py

articles: install ## Validate and import articles/ into the application database
	@$(PY) -m secure_base.catalog validate --dir articles
	@$(PY) -m secure_base.catalog import --dir articles

staff: install ## Staff intake CLI help (list, show, export, status, delete submissions)
	@$(PY) -m secure_base.intake --help

callbacks: install ## Staff callback-request CLI help (list, show, status, delete requests)
	@$(PY) -m secure_base.callback --help

key: install ## Print a new encryption key for SECURE_BASE_INTAKE_KEY
	@$(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"

rotate-keys: install ## Re-encrypt all stored data with the first key of SECURE_BASE_INTAKE_KEY
	@$(PY) -m secure_base.keys rotate

purge: install ## Delete conversations, crisis events and intakes past practice.yml's retention
	@$(PY) -m secure_base.purge

lint: install ## ruff over the Python code
	@$(VENV)/bin/ruff check secure_base actions scripts tests

lock: ## Re-resolve requirements/*.in into requirements/lock.txt (needs network)
	@bash scripts/lock.sh

clean: ## Remove trained models, caches and test results (keeps var/ data)
	rm -rf models results .rasa .pytest_cache .ruff_cache
