"""``rasa data validate --fail-on-warnings``, plus a real check for one false positive.

Rasa's validator warns "The utterance 'X' is not used in any story or rule" for every
response that a form or a custom action utters, because it only reads stories and
rules. Rather than ignore those warnings, this script checks that each such response
really is used: it is the question of a form slot (``utter_ask_<slot>``), or the code
in actions/ names it, or it is a follow-up response built from the fixed topic keys
(``utter_more_<key>``, ``utter_short_<key>``, ``utter_example_<key>``,
``utter_compare_<a>__<b>``) or from the feelings lexicon (``utter_acknowledge_<feeling>``).
Only warnings proven false this way are dropped; any other warning, or an unused
response, fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secure_base.feelings import LEXICON  # noqa: E402
from secure_base.topics import COMPARE_PAIRS, TOPIC_KEYS  # noqa: E402

UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
UNUSED_INTENT = re.compile(r"The intent '([^']+)' is not used in any story or rule\.")
WARNING = re.compile(r"UserWarning: (.*)")


def intents_used_by_the_crisis_policy() -> set[str]:
    """Intents the crisis policy reacts to (``secure_base/crisis/__init__.py``).

    The safety follow-up is decided by code, not by rules, so Rasa's validator does not
    see these intents used; the constants naming them are the proof.
    """
    source = (ROOT / "secure_base" / "crisis" / "__init__.py").read_text(encoding="utf-8")
    return set(re.findall(r'^[A-Z_]+_INTENT = "([a-z_]+)"', source, flags=re.M))


def used_by_code_or_forms() -> set[str]:
    """Response names that forms and custom actions utter."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = {
        f"utter_ask_{slot}"
        for form in (domain.get("forms") or {}).values()
        for slot in form.get("required_slots", [])
    }
    names |= {f"utter_more_{key}" for key in TOPIC_KEYS}
    names |= {f"utter_short_{key}" for key in TOPIC_KEYS}
    names |= {f"utter_acknowledge_{feeling}" for feeling in LEXICON}
    names |= {f"utter_example_{key}" for key in TOPIC_KEYS}
    names |= {f"utter_compare_{a}__{b}" for a, b in COMPARE_PAIRS}
    # Actions, and the crisis policy with the names it predicts (secure_base/crisis).
    sources = [*(ROOT / "actions").rglob("*.py"),
               *(ROOT / "secure_base" / "policies").rglob("*.py"),
               ROOT / "secure_base" / "crisis" / "__init__.py"]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    names |= set(re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", code))
    return names


def main() -> int:
    """Runs the validator and reports; exit 1 on any real problem."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "data", "validate", "--config",
         "config.yml", "--domain", "domain.yml", "--data", "data", "--fail-on-warnings"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    output = proc.stdout + proc.stderr
    known = used_by_code_or_forms()
    policy_intents = intents_used_by_the_crisis_policy()
    problems, verified = [], []
    for line in output.splitlines():
        match = WARNING.search(line)
        if not match:
            continue
        message = match.group(1).strip()
        unused = UNUSED.search(message)
        unused_intent = UNUSED_INTENT.search(message)
        if unused and unused.group(1) in known:
            verified.append(unused.group(1))
        elif unused_intent and unused_intent.group(1) in policy_intents:
            print(f"validate: intent '{unused_intent.group(1)}' is handled by the crisis "
                  "policy (secure_base/policies/crisis_policy.py), not by rules: fine.")
        elif "declare_namespace" not in message and "sre_constants" not in message:
            problems.append(message)
    if verified:
        print(f"validate: {len(verified)} responses are uttered by forms or actions "
              "(checked in domain.yml and actions/), not by rules: fine.")
    for problem in problems:
        print(f"validate: WARNING {problem}")
    if proc.returncode != 0 or problems:
        print(output[-4000:] if proc.returncode != 0 and not problems else "")
        print("validate: FAILED")
        return 1
    print("validate: rasa data validate is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
