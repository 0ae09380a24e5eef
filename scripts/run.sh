#!/usr/bin/env bash
# Runs Secure Base on the embedded default (SQLite): installs what is missing, trains
# if the data, config or practice profile changed (Rasa's fingerprinting), then starts
# the action server, the Rasa server (REST + socket.io) and the website.
# Ctrl-C stops all three and leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
bash scripts/install_web.sh
export RASA_TELEMETRY_ENABLED=false  # never phone home
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
eval "$(.venv/bin/python -m secure_base.settings)"
mkdir -p -m 700 "$SECURE_BASE_DATA_DIR"
# Refuse to start (e.g. production without an encryption key) before anything runs.
.venv/bin/python -m secure_base.preflight
# The article catalog: validated and (re)imported into the application database;
# unchanged articles are left as they are.
.venv/bin/python -m secure_base.catalog import --dir articles

bash scripts/train.sh

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "run: stopping..."
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "run: stopped."
}
trap cleanup INT TERM EXIT

# Each server runs in its own process group so that cleanup reaches its children.
start() { setsid "$@" & pids+=("$!"); }

# Both servers start through secure_base.launch, as the tests start them: the action
# server on loopback with its shared secret; Rasa with its HTTP API on only when
# SECURE_BASE_API_TOKEN is set, and CORS for the site's own origin (docs/security.md).
start .venv/bin/python -m secure_base.launch actions
start .venv/bin/python -m secure_base.launch rasa --model models
start .venv/bin/python -m secure_base.web --port "$SECURE_BASE_WEB_PORT" \
  --rasa-url "http://localhost:$SECURE_BASE_RASA_PORT"

echo "run: waiting for the servers..."
# Readiness URLs need no token (Rasa's "/" answers once the model is loaded).
.venv/bin/python scripts/wait_ready.py --timeout 180 \
  "http://127.0.0.1:$SECURE_BASE_ACTION_PORT/health" \
  "http://127.0.0.1:$SECURE_BASE_RASA_PORT/" \
  "http://127.0.0.1:$SECURE_BASE_WEB_PORT/healthz"
echo
echo "  Secure Base is running:  http://localhost:$SECURE_BASE_WEB_PORT"
echo "  REST channel:            http://localhost:$SECURE_BASE_RASA_PORT/webhooks/rest/webhook"
if [[ -n "${SECURE_BASE_API_TOKEN:-}" ]]; then
  echo "  Rasa HTTP API:           on (needs SECURE_BASE_API_TOKEN)"
else
  echo "  Rasa HTTP API:           off (set SECURE_BASE_API_TOKEN to turn it on)"
fi
echo "  Press Ctrl-C to stop."
echo
# Stop everything as soon as any one server exits.
wait -n "${pids[@]}"
echo "run: a server exited; shutting down the others."
exit 1
