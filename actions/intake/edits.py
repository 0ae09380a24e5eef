"""Edits of earlier answers: at the summary ("change my email") and mid-form corrections.

``edit_targets`` names the answers an edit request refers to;
``correction_targets`` reads a correction given while another question is asked
("actually my name is Dana").
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Optional

from secure_base.intake import DETAIL_SLOTS, SCREENING_SLOTS

# Which answer an edit request at the summary refers to ("change my email").
EDIT_TARGETS: tuple[tuple[str, str], ...] = (
    ("contact", r"\bcontact (details?|info|information)\b"),
    ("email", r"\be ?mail\b"),
    ("phone", r"\bphone\b|\bnumber\b|\bmobile\b|\bcell\b"),
    (
        "contact_method",
        r"\bcontact (method|preference|option)s?\b|\bhow (you|to) contact\b"
        r"|\bway to contact\b|\bcontact me\b",
    ),
    ("preferred_name", r"\bname\b"),
    ("age", r"\bage\b|\bhow old\b"),
    ("region", r"\bregion\b|\bstate\b|\blocation\b|\bwhere i live\b|\bcountry\b"),
    ("reason", r"\breason\b|\bwhat brings\b|\bbrings me\b|\bwhy i\b"),
    ("previous_therapy", r"\bprevious\b|\btherapy before\b|\bbeen in therapy\b|\bhad therapy\b"),
    ("hopes", r"\bhope"),
    ("session_format", r"\bformat\b|\bonline\b|\bin person\b|\bvideo\b"),
    ("availability", r"\bavailab|\btimes?\b|\bschedule\b|\bwhen i m free\b"),
    ("payment", r"\bpayment\b|\bpay\b|\binsurance\b|\bself ?pay\b"),
    ("screening", r"\bquestionnaires?\b|\bscreening\b|\bwellbeing\b|\bmood\b|\bquestions\b"),
)
EDIT_VERBS = (
    r"\b(change|edit|update|correct|fix|wrong|different|actually|redo|amend|modify"
    r"|mistake|typo|not right|incorrect)\b"
)


def _norm(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def edit_targets(text: str, contact_method: Optional[str]) -> List[str]:
    """Return the slots an edit request ("change my email", "edit phone") refers to.

    Args:
        text: The person's answer to the summary.
        contact_method: The chosen contact method (slot ``contact_method``), if any.

    Returns:
        The slots to ask again, in the order named; empty if ``text`` is no edit request.

    """
    norm = _norm(text)
    if not norm:
        return []
    found: List[str] = []
    for slot, pattern in EDIT_TARGETS:
        if re.search(pattern, norm):
            found.append(slot)
    if not found:
        return []
    if not re.search(EDIT_VERBS, norm) and len(norm.split()) > 4:
        return []
    if "contact_method" in found and ("email" in found or "phone" in found):
        found.remove("contact_method")
    slots: List[str] = []
    for target in found:
        if target == "screening":
            slots.extend(SCREENING_SLOTS)
            continue
        if target == "contact":
            slots.extend(("contact_method", "email", "phone"))
            continue
        slots.append(target)
        # Editing a contact detail the chosen method leaves out: choose again.
        if (target == "email" and contact_method == "phone") or (
            target == "phone" and contact_method == "email"
        ):
            slots.append("contact_method")
    return list(dict.fromkeys(slots))


# Words that mark an answer as a correction of an earlier one ("actually my name is
# Dana, not Batman", "sorry, I meant my email is ...").
CORRECTION_MARKERS = (
    r"^(actually|sorry|oops|wait|correction|no wait|my bad|scratch that)\b|\bi meant\b"
    r"|\bi mean\b|\bshould (have )?be(en)?\b|\bwas wrong\b|\bis wrong\b|\bmade a (mistake|typo)\b"
    r"|\bnot \w+$|\bactually\b"
)


def correction_targets(
    text: str, requested: Optional[str], answered: Mapping[str, Any]
) -> List[str]:
    """Return the earlier answers a mid-form correction may refer to, most likely first.

    Args:
        text: The answer just given.
        requested: The question being asked (a correction of it is just its answer).
        answered: The slots and their values so far (only answered questions count).

    Returns:
        The slots to try correcting; empty when the answer corrects nothing earlier.

    """
    norm = _norm(text)
    if not norm or not re.search(CORRECTION_MARKERS, norm):
        return []
    named = [slot for slot, pattern in EDIT_TARGETS if re.search(pattern, norm)]
    # Or named by the kind of value given: an address, a number of years.
    if "@" in text:
        named.append("email")
    if re.search(r"\b(i m|i am) (actually )?\d{1,3}\b|\b\d{1,3} (years|yrs)\b", norm):
        named.append("age")
    return [
        slot
        for slot in dict.fromkeys(named)
        if slot != requested and slot in DETAIL_SLOTS and answered.get(slot) is not None
    ]


def without_rejected_value(text: str) -> str:
    """Drop the value being replaced: "I'm 43, not 34" gives "I'm 43"."""
    return re.sub(r"[,;]?\s+(and )?not\s+.*$", "", text.strip(), flags=re.IGNORECASE)
