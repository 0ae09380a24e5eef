#!/usr/bin/env bash
# Chat with Secure Base in the terminal: starts the action server in the background,
# runs `rasa shell` against the latest model, and stops the action server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false  # never phone home
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
eval "$(.venv/bin/python -m secure_base.settings)"
mkdir -p -m 700 "$SECURE_BASE_DATA_DIR"
.venv/bin/python -m secure_base.preflight
setsid .venv/bin/python -m secure_base.launch actions \
  > "$SECURE_BASE_DATA_DIR/actions-shell.log" 2>&1 &
actions=$!
trap 'kill -TERM -- "-$actions" 2>/dev/null || true; wait "$actions" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python scripts/wait_ready.py --timeout 120 "http://127.0.0.1:$SECURE_BASE_ACTION_PORT/health"
# endpoints.yml needs the action server's shared secret (never printed).
SECURE_BASE_ACTION_SECRET="$(.venv/bin/python -c 'from secure_base.access import action_secret; print(action_secret())')"
export SECURE_BASE_ACTION_SECRET
.venv/bin/rasa shell --model models --endpoints "$SECURE_BASE_ENDPOINTS" --port "$SECURE_BASE_RASA_PORT"
