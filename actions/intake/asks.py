"""How the intake asks a question when the plain ``utter_ask_<slot>`` response won't do.

Rasa's form asks with ``action_ask_<slot>`` when the domain lists one (before
``utter_ask_<slot>``, see ``FormAction._name_of_utterance``).
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.intake.state import CONSENT_RESPONSE
from secure_base.intake import CONSENT_SLOT, TRIES_SLOT

SHORT_CONSENT_RESPONSE = "utter_ask_intake_consent_short"


class ActionAskIntakeConsent(Action):
    """Shows the consent text once per intake; asks again with a short yes/no question."""

    def name(self) -> str:
        """Name the action the form uses to ask for consent."""
        return "action_ask_intake_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """The full consent text the first time; the short question after that.

        Whether it was shown is kept in ``intake_tries`` (``intake_consent`` counts the
        unclear answers), so a new intake shows the full text again.
        """
        tries = tracker.get_slot(TRIES_SLOT)
        tries = dict(tries) if isinstance(tries, dict) else {}
        if CONSENT_SLOT in tries:
            dispatcher.utter_message(response=SHORT_CONSENT_RESPONSE)
            return []
        dispatcher.utter_message(response=CONSENT_RESPONSE)
        return [SlotSet(TRIES_SLOT, {**tries, CONSENT_SLOT: 0})]
