"""Crisis handling: detection patterns, the crisis event model, its queries and alerts.

``secure_base.crisis.patterns`` holds the curated spaCy rules and ``CrisisDetector``
(also importable from here). They are imported lazily, so that code which only needs
``secure_base.crisis.models``, ``secure_base.crisis.store`` or
``secure_base.crisis.alerts`` (the action server, the CLIs) never imports spaCy.
"""

from __future__ import annotations

from typing import Any

# Names the domain, the NLU, the crisis policy and the actions share.
CRISIS_INTENT = "crisis"
CRISIS_RESPONSE = "utter_crisis"
CRISIS_RECORD_ACTION = "action_crisis_record"
# Raised once a person was given the crisis response and never cleared: the responses
# add a crisis-lines reminder while it is set.
CRISIS_FLAG_SLOT = "crisis_flag"
# The parse-data property in which the crisis safety net says why it decided, and the
# detection layer of a crisis the NLU classifier decided on its own.
SAFETY_NET_PROPERTY = "crisis_safety_net"
CLASSIFIER_LAYER = "classifier"

__all__ = ["CATEGORIES", "CrisisDetector", "CrisisMatch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from secure_base.crisis import patterns

        return getattr(patterns, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
