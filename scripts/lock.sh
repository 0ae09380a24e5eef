#!/usr/bin/env bash
# Re-resolves requirements/*.in into requirements/lock.txt in a scratch virtualenv.
# rasa and rasa-sdk are not in the lock: install.sh adds them with --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements/rasa.in -r requirements/app.in -r requirements/dev.in
{
  echo "# Fully pinned lock of every Python package Secure Base installs, except rasa, rasa-sdk"
  echo "# and the spaCy model (scripts/install.sh adds those with --no-deps). Regenerate with"
  echo "# 'make lock' after editing requirements/*.in; never edit by hand."
  "$tmp/venv/bin/pip" freeze --all --exclude pip
} > requirements/lock.txt
echo "lock: wrote requirements/lock.txt ($(grep -vc '^#' requirements/lock.txt) packages)"
