#!/usr/bin/env bash
# Runs every test: installs what is missing, validates the data, trains if needed, then
# pytest (unit, database, server, browser), the conversation tests and the evaluation
# gates. `.ci/run` calls exactly this (through `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false  # never phone home
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

step() { echo; echo "=== $* ==="; }

step "install"
bash scripts/install.sh
bash scripts/install_web.sh
bash scripts/install_browser.sh

step "lint"
.venv/bin/ruff check secure_base actions scripts tests

step "rasa data validate"
bash scripts/validate.sh

step "train (skipped by Rasa when nothing changed)"
bash scripts/train.sh

step "pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider --durations=15  # the slowest, for CI time

step "conversation tests (--fail-on-prediction-errors)"
bash scripts/conversations.sh

step "evaluation gates (held-out topics, out-of-scope, crisis, articles)"
.venv/bin/python scripts/evaluate.py ${SECURE_BASE_EVAL_ARGS:-}
