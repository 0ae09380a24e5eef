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

start .venv/bin/rasa run actions --actions actions --port "$SECURE_BASE_ACTION_PORT"
start .venv/bin/rasa run --model models --enable-api --cors "*" \
  --interface "$SECURE_BASE_BIND" --port "$SECURE_BASE_RASA_PORT" \
  --credentials credentials.yml --endpoints "$SECURE_BASE_ENDPOINTS" \
  ${SECURE_BASE_API_TOKEN:+--auth-token "$SECURE_BASE_API_TOKEN"}
start .venv/bin/python -m secure_base.web --port "$SECURE_BASE_WEB_PORT" \
  --rasa-url "http://localhost:$SECURE_BASE_RASA_PORT"

echo "run: waiting for the servers..."
.venv/bin/python scripts/wait_ready.py --timeout 180 \
  "http://127.0.0.1:$SECURE_BASE_ACTION_PORT/health" \
  "http://127.0.0.1:$SECURE_BASE_RASA_PORT/status" \
  "http://127.0.0.1:$SECURE_BASE_WEB_PORT/healthz"
echo
echo "  Secure Base is running:  http://localhost:$SECURE_BASE_WEB_PORT"
echo "  REST API:                http://localhost:$SECURE_BASE_RASA_PORT/webhooks/rest/webhook"
echo "  Press Ctrl-C to stop."
echo
# Stop everything as soon as any one server exits.
wait -n "${pids[@]}"
echo "run: a server exited; shutting down the others."
exit 1
