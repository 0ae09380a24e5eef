"""What the intake shows: the summary of the answers, and the staff notifications.

The summary goes to the person (``utter_intake_summary``); the notifications go to staff
and carry safe fields only (ID, urgency, time, an opaque reference), never an answer or
a conversation ID.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Mapping

from actions.intake.state import session_format_choices
from secure_base.intake import SKIPPED
from secure_base.intake.validators import CONTACT_CHOICES, PAYMENT_CHOICES, format_phone
from secure_base.notify import Notification, notification_time
from secure_base.profile import PracticeProfile

INTAKE_KIND = "intake"
# How an answer is named to the person ("I've changed your email to ...").
FIELD_LABELS = {
    "preferred_name": "name",
    "age": "age",
    "contact_method": "contact method",
    "email": "email",
    "phone": "phone number",
    "region": "state or region",
    "session_format": "preferred format",
    "payment": "payment",
}


def field_label(slot: str) -> str:
    """The plain name of an answer, for telling the person what changed."""
    return FIELD_LABELS.get(slot, slot.replace("_", " "))


def shown_value(slot: str, value: Any) -> str:
    """An answer as the person sees it: exactly as stored, phone numbers grouped."""
    if slot == "phone" and isinstance(value, str):
        return format_phone(value)
    if slot == "contact_method":
        return {c.value: c.label for c in CONTACT_CHOICES}.get(value, str(value)).lower()
    if slot == "payment":
        return {c.value: c.label for c in PAYMENT_CHOICES}.get(value, str(value))
    return str(value)


def summary_values(slots: Mapping[str, Any], profile: PracticeProfile) -> Dict[str, str]:
    """Display values of every answer for ``utter_intake_summary`` (no scores).

    Text answers are shown exactly as stored (the channel escapes them); a skipped
    question shows as "(skipped)".
    """
    age = slots.get("age")
    method = slots.get("contact_method")
    contact = []
    if method in ("email", "either") and slots.get("email"):
        contact.append(f"email {slots['email']}")
    if method in ("phone", "either") and slots.get("phone"):
        contact.append(f"phone {format_phone(slots['phone'])}")
    labels = {choice.value: choice.label for choice in session_format_choices(profile)}
    payments = {choice.value: choice.label for choice in PAYMENT_CHOICES}
    return {
        "summary_name": str(slots.get("preferred_name") or "-"),
        "summary_age": (
            f"{profile.intake.minimum_age} or over" if age is True else str(age or "-")
        ),
        "summary_contact": " and ".join(contact) or "-",
        "summary_region": str(slots.get("region") or "-"),
        "summary_reason": str(slots.get("reason") or "-"),
        "summary_previous_therapy": {True: "Yes", False: "No", SKIPPED: SKIPPED}.get(
            slots.get("previous_therapy"), "-"
        ),
        "summary_hopes": str(slots.get("hopes") or "-"),
        "summary_format": labels.get(slots.get("session_format"), "-"),
        "summary_availability": str(slots.get("availability") or "-"),
        "summary_payment": payments.get(slots.get("payment"), "-"),
    }


def intake_notification(submission_id: int, urgent: bool, created_at: datetime) -> Notification:
    """Build the staff notification for a stored intake: ID, urgency and time only."""
    when = notification_time(created_at)
    urgency = "URGENT" if urgent else "not urgent"
    subject = f"[Secure Base] New intake #{submission_id}"
    if urgent:
        subject = f"[Secure Base] URGENT: new intake #{submission_id}"
    body = (
        "A new intake was submitted through the Secure Base assistant.\n\n"
        f"Submission ID: {submission_id}\n"
        f"Urgency: {urgency}\n"
        f"Time: {when}\n\n"
        f"Read it with `python -m secure_base.intake show {submission_id}` "
        "(the answers are stored encrypted)."
    )
    return Notification(
        kind=INTAKE_KIND,
        subject=subject,
        body=body,
        data={
            "submission_id": submission_id,
            "urgent": urgent,
            "created_at": created_at.isoformat(),
        },
    )


def unsaved_urgent_notification(reference: str, when: datetime) -> Notification:
    """Tells staff that an URGENT intake could not be stored (no answers in it).

    Args:
        reference: Opaque alert reference that the action server logged next to the
            conversation ID (the notification never names the conversation).
        when: When it happened.

    """
    stamp = notification_time(when)
    return Notification(
        kind=INTAKE_KIND,
        subject="[Secure Base] URGENT intake could not be saved",
        body=(
            "An intake marked urgent could not be stored because the practice database "
            "was unavailable. The answers are kept in the conversation and the person was "
            "asked to try again.\n\n"
            "Urgency: URGENT\n"
            f"Time: {stamp}\n"
            f"Alert reference: {reference} (search the action server log for it)"
        ),
        data={"urgent": True, "stored": False, "reference": reference},
    )
