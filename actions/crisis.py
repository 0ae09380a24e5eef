"""Recording crisis events and notifying staff.

The static crisis response (``utter_crisis``) has already been sent by Rasa before this
action runs, and the ``crisis_flag`` slot is set by its ``from_intent`` mapping, so the
person never waits on, or depends on, anything here. This action only makes sure the
practice knows: it raises a crisis alert (:func:`secure_base.crisis.alerts.raise_crisis_alert`),
which stores the event (the message encrypted) and notifies staff with safe fields only.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from secure_base.crisis import CLASSIFIER_LAYER, CRISIS_RECORD_ACTION, SAFETY_NET_PROPERTY
from secure_base.crisis.alerts import raise_crisis_alert

# The layer recorded when the safety net decided but did not name one.
SAFETY_NET_LAYER = "safety_net"


def detection_of(latest_message: Optional[Dict[str, Any]]) -> tuple[str, Optional[str]]:
    """Which layer detected the crisis, and which rule matched, from the parse data.

    The crisis safety net (last NLU component) adds ``crisis_safety_net`` to the parse
    data when it decides. Accepted forms: a dict with ``layer`` (or
    ``detection_layer``) and ``rule`` (or ``rule_id``/``pattern``), optionally
    ``triggered``; or a plain rule name. Without it, the NLU classifier decided.
    Nothing else from the safety-net data is kept: it could quote the message.
    """
    info = (latest_message or {}).get(SAFETY_NET_PROPERTY)
    if not info:
        return CLASSIFIER_LAYER, None
    if isinstance(info, str):
        return SAFETY_NET_LAYER, info
    if isinstance(info, dict):
        if info.get("triggered") is False:
            return CLASSIFIER_LAYER, None
        layer = info.get("layer") or info.get("detection_layer") or SAFETY_NET_LAYER
        rule = info.get("rule") or info.get("rule_id") or info.get("pattern")
        return str(layer), (str(rule) if rule else None)
    return SAFETY_NET_LAYER, None


class ActionCrisisRecord(Action):
    """Stores a crisis event and notifies staff; says nothing to the person."""

    def name(self) -> str:
        """Return the action name used in the domain and by the crisis policy."""
        return CRISIS_RECORD_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Record the event, then notify staff; each step survives the other's failure.

        Returns:
            No events: the crisis flag is set by its slot mapping, and the crisis
            response was already sent.

        """
        latest = tracker.latest_message or {}
        layer, rule = detection_of(latest)
        # Database, SMTP and HTTP block; keep the action server's event loop free.
        await asyncio.to_thread(
            raise_crisis_alert,
            tracker.sender_id,
            trigger_message=latest.get("text"),
            channel=tracker.get_latest_input_channel(),
            detection_layer=layer,
            rule=rule,
        )
        return []
