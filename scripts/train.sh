#!/usr/bin/env bash
# Trains a model only when the data, config, domain or practice profile changed:
# Rasa's fingerprint comparison makes a repeat run a no-op, and a partial change
# retrains only the affected parts (cached in .rasa/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export RASA_TELEMETRY_ENABLED=false  # never phone home
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/rasa train --config config.yml --domain domain.yml --data data --out models "$@"
