"""Edit requests at the intake summary: which answers "change my email" asks again."""

from __future__ import annotations

import re
from typing import List, Optional

from secure_base.intake import SCREENING_SLOTS

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
