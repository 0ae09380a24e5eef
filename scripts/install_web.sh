#!/usr/bin/env bash
# Installs the website's browser dependencies (the socket.io client) into
# website/node_modules exactly as pinned in website/package-lock.json.
# Idempotent: a stamp records the hash of package.json and package-lock.json, so a second
# run does nothing until the lock file changes (or node_modules goes missing).
set -euo pipefail
cd "$(dirname "$0")/../website"

die() { echo "install_web: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found. The website needs Node.js 18+ with npm \
(Debian: apt-get install nodejs npm; or https://nodejs.org/)."
[ -f package-lock.json ] || die "website/package-lock.json is missing; it is part of the repository."

BUNDLE="node_modules/socket.io-client/dist/socket.io.min.js"
STAMP="node_modules/.secure-base-web-installed"
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$BUNDLE" ]; then
  exit 0
fi

echo "install_web: installing the socket.io client (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
[ -f "$BUNDLE" ] || die "npm ci finished but $BUNDLE is missing"
echo "$want" > "$STAMP"
echo "install_web: ready (website/$BUNDLE)"
