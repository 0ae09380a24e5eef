#!/usr/bin/env bash
# Rasa conversation tests (every *.yml below tests/conversations: Rasa walks sub-folders
# such as intake/ too) against the latest model: each user message goes through the real
# NLU pipeline and every predicted action must match.
# (Custom actions are predicted, not executed: their effects are written as slot_was_set.)
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false  # never phone home
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/rasa test core --model models --stories tests/conversations \
  --fail-on-prediction-errors --out results/conversations "$@"
