"""Starting a new conversation session.

Follows rasa-sdk's documented pattern for a custom ``action_session_start``:
``SessionStarted`` first, then the carried-over slots, then ``action_listen``. Slots are
carried over, so a person who was given the crisis response keeps seeing the crisis
lines in the next session (``crisis_flag`` is never cleared), except the intake's
answers: a half-finished intake is not kept between sessions (health data stays in the
tracker no longer than the session that collected it), and the person is told so.
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from secure_base.callback import CALLBACK_SLOTS
from secure_base.crisis import CRISIS_FLAG_SLOT
from secure_base.intake import CONSENT_SLOT, INTAKE_SLOTS, SUBMISSION_ID_SLOT

WELCOME_BACK_RESPONSE = "utter_intake_welcome_back"


def carried_over_slots(tracker: Tracker) -> List[EventType]:
    """``SlotSet`` events for every slot of the previous session worth keeping.

    ``None`` values are left out (the new session starts with them unset anyway), and so
    are ``requested_slot`` (the form that asked is no longer active after a session
    start) and every intake answer (:data:`INTAKE_SLOTS`) and unfinished callback request
    (:data:`secure_base.callback.CALLBACK_SLOTS`): they are health or contact data, kept
    only for the session that collects them.
    """
    slots = tracker.slots or {}
    left_behind = {REQUESTED_SLOT, CRISIS_FLAG_SLOT, *INTAKE_SLOTS, *CALLBACK_SLOTS}
    events = [
        SlotSet(key, value)
        for key, value in slots.items()
        if value is not None and key not in left_behind
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
    """Starts a session, carrying slots over (not intake answers) and welcoming people back."""

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
