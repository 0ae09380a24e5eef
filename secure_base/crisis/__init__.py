"""Crisis handling: detection rules, the crisis event model, its queries and alerts.

* ``rules.yml``, ``idioms.yml``, ``words.yml`` - the curated rules, figures of speech and
  word lists (data, for clinical review), read by ``secure_base.crisis.rules``;
* ``secure_base.crisis.language`` - the pattern language and word normalisation;
* ``secure_base.crisis.detector`` - ``CrisisDetector``, which applies the rules (also
  importable from here, with ``CrisisMatch`` and ``CATEGORIES``);
* ``secure_base.crisis.models`` and ``secure_base.crisis.store`` - crisis events;
* ``secure_base.crisis.alerts`` - the one path that records an event and tells staff.

The detector is imported lazily, so that code which only needs ``models``, ``store`` or
``alerts`` (the action server, the CLIs) never imports spaCy or reads the rule tables.
"""

from __future__ import annotations

from typing import Any

# Names the domain, the NLU, the crisis policy and the actions share.
CRISIS_INTENT = "crisis"
CRISIS_RESPONSE = "utter_crisis"
CRISIS_RECORD_ACTION = "action_crisis_record"
# The turn after a crisis response (secure_base/policies/crisis_policy.py): "I'm safe" is
# acknowledged; "no" gets the emergency guidance again; anything unclear asks again; a wish
# to go on with the intake is answered explicitly.
SAFE_INTENT = "confirm_safe"
FOLLOW_UP_SAFE = "utter_crisis_followup_safe"
FOLLOW_UP_UNSAFE = "utter_crisis_followup_unsafe"
FOLLOW_UP_UNCLEAR = "utter_crisis_followup_unclear"
FOLLOW_UP_CONTINUE = "utter_crisis_followup_continue"
FOLLOW_UP_SAFE_CONTINUE = "utter_crisis_followup_safe_continue"
# A clear question about attachment or the practice right after a crisis response: one
# safety line first (are you safe? the numbers), then the answer.
FOLLOW_UP_QUESTION = "utter_crisis_followup_question"
QUESTION_INTENT = "faq"
ANSWER_QUESTION_ACTION = "action_answer_faq"
# Raised once a person was given the crisis response and never cleared: the responses
# add a crisis-lines reminder while it is set.
CRISIS_FLAG_SLOT = "crisis_flag"
# True for one turn when a message mentions a crisis topic without acute risk: the answer
# then carries a check-in line with the crisis numbers.
CHECK_IN_SLOT = "safety_check_in"
# The parse-data property in which the crisis safety net says why it decided, and the
# detection layer of a crisis the NLU classifier decided on its own.
SAFETY_NET_PROPERTY = "crisis_safety_net"
CLASSIFIER_LAYER = "classifier"
# The layer of a crisis the risk classifier decided, and the "rule" the NLU classifier
# layer names (crisis as the top intent, or ranked high); a curated rule's match names
# the rule itself. The crisis policy reads these to tell a classifier's reading of a
# reassurance from a curated rule's match.
RISK_CLASSIFIER_LAYER = "risk_classifier"
TOP_INTENT_RULE = "top_intent"
INTENT_RANKING_RULE = "intent_ranking"

__all__ = ["CATEGORIES", "CrisisDetector", "CrisisMatch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from secure_base.crisis import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
