"""Starting a new conversation session.

Follows rasa-sdk's documented pattern for a custom ``action_session_start``:
``SessionStarted`` first, then the carried-over slots, then ``action_listen``. All slots
are carried over, so a person who was given the crisis response keeps seeing the crisis
lines in the next session (``crisis_flag`` is never cleared), and a half-finished intake
can be resumed.
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from secure_base.crisis import CRISIS_FLAG_SLOT
from secure_base.intake import CONSENT_SLOT, SUBMISSION_ID_SLOT

WELCOME_BACK_RESPONSE = "utter_intake_welcome_back"


def carried_over_slots(tracker: Tracker) -> List[EventType]:
    """``SlotSet`` events for every slot of the previous session worth keeping.

    ``None`` values are left out (the new session starts with them unset anyway) and so
    is ``requested_slot``: the form that asked is no longer active after a session start.
    """
    slots = tracker.slots or {}
    events = [
        SlotSet(key, value)
        for key, value in slots.items()
        if value is not None and key not in (REQUESTED_SLOT, CRISIS_FLAG_SLOT)
    ]
    # Once raised, the crisis flag outlives the session so the crisis lines keep
    # appearing; it is written as a real bool, whatever form it arrived in.
    if slots.get(CRISIS_FLAG_SLOT) is not None:
        events.append(SlotSet(CRISIS_FLAG_SLOT, bool(slots[CRISIS_FLAG_SLOT])))
    return events


def has_unfinished_intake(tracker: Tracker) -> bool:
    """Whether the person consented to an intake that was never submitted."""
    return bool(tracker.get_slot(CONSENT_SLOT)) and not tracker.get_slot(SUBMISSION_ID_SLOT)


class ActionSessionStart(Action):
    """Starts a session, carrying every slot over and welcoming back unfinished intakes."""

    def name(self) -> str:
        """Rasa's reserved name for the session start action."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Return ``SessionStarted``, the carried-over slots and ``action_listen``."""
        # The session must begin with SessionStarted; carried-over slots come after it.
        events: List[EventType] = [SessionStarted()]
        events.extend(carried_over_slots(tracker))

        if has_unfinished_intake(tracker) and WELCOME_BACK_RESPONSE in (domain or {}).get(
            "responses", {}
        ):
            dispatcher.utter_message(response=WELCOME_BACK_RESPONSE)

        # A user message follows a session start.
        events.append(ActionExecuted("action_listen"))
        return events
