"""What the intake's slots say and may hold.

The consent given, whether the intake stopped, the events that reset it, and the
session formats the practice offers.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Dict, List, Optional

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from secure_base.intake import CONSENT_SLOT, INTAKE_SLOTS
from secure_base.intake.validators import Choice, format_choices, is_below_minimum_age
from secure_base.profile import PracticeProfile, load_profile

CONSENT_RESPONSE = "utter_ask_intake_consent"
CONSENT_VERSION_LENGTH = 12


def consent_version(domain: Optional[DomainDict], response: str = CONSENT_RESPONSE) -> str:
    """Return a short sha256 of the consent text (and its buttons) the person was shown.

    The text comes from the domain the action server receives; its plain variation is
    used (the crisis-reminder copy adds only the crisis numbers, not consent terms).

    Args:
        domain: The domain the action server received.
        response: The consent question (the intake's, or another form's).

    """
    variations = ((domain or {}).get("responses") or {}).get(response)
    if not variations:
        # A domain without responses: render the same template the model was trained on.
        from secure_base.importer import render_profile_responses

        variations = render_profile_responses(load_profile()).get(response) or []
    plain = next((v for v in variations if not v.get("condition")), None)
    plain = plain or (variations[0] if variations else {})
    material = (
        (plain.get("text") or "")
        + "\n"
        + "\n".join(str(button.get("title", "")) for button in plain.get("buttons") or [])
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:CONSENT_VERSION_LENGTH]


def is_consent_version(value: Any) -> bool:
    """Whether a stored ``intake_consent`` value is a consent version (consent given)."""
    return (
        isinstance(value, str)
        and re.fullmatch(f"[0-9a-f]{{{CONSENT_VERSION_LENGTH}}}", value) is not None
    )


def is_stopped(slots: Dict[str, Any], profile: PracticeProfile) -> bool:
    """Whether the intake ended early (consent declined, or under the minimum age)."""
    return slots.get(CONSENT_SLOT) is False or is_below_minimum_age(
        slots.get("age"), profile.intake.minimum_age
    )


def reset_intake_events() -> List[EventType]:
    """Events that clear every slot of one intake (not the last submission's ID)."""
    return [SlotSet(REQUESTED_SLOT, None)] + [SlotSet(name, None) for name in INTAKE_SLOTS]


def session_format_choices(profile: PracticeProfile) -> tuple[Choice, ...]:
    """The answers to the session-format question: the profile's formats, no preference."""
    return format_choices((fmt.key, fmt.label) for fmt in profile.session_formats)
