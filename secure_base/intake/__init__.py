"""Intake pre-screening: the submission model, its queries, scoring and validation.

The conversation itself is ``intake_form`` in the domain, validated by
``actions/intake/``; ``python -m secure_base.intake`` is the staff CLI.
"""

from __future__ import annotations

from secure_base.intake.scoring import ASQ_SLOTS, GAD_SLOTS, PHQ_SLOTS, SCREENING_SLOTS

# The form's slots in the order the domain's intake_form lists them.
DETAIL_SLOTS = (
    "preferred_name",
    "age",
    "contact_method",
    "email",
    "phone",
    "region",
    "reason",
    "previous_therapy",
    "hopes",
    "session_format",
    "availability",
    "payment",
)
CONSENT_SLOT = "intake_consent"
CONFIRM_SLOT = "intake_confirm"
FORM_SLOTS = (CONSENT_SLOT, *DETAIL_SLOTS, *SCREENING_SLOTS, CONFIRM_SLOT)
# Slots outside the form that belong to one intake (reset with it).
STARTED_AT_SLOT = "intake_started_at"
URGENT_SLOT = "intake_urgent"
SUBMISSION_ID_SLOT = "intake_submission_id"
# How many answers to each question could not be used ({slot: count}), to offer a way
# forward after two; and why the form ended early ("discarded" or "paused").
TRIES_SLOT = "intake_tries"
STOPPED_SLOT = "intake_stopped"
INTAKE_SLOTS = (*FORM_SLOTS, STARTED_AT_SLOT, URGENT_SLOT, TRIES_SLOT, STOPPED_SLOT)
# Questions a person may skip ("skip"): staff can work without these answers. Email or
# phone may also be skipped when the person chose "either" (the other one is kept).
OPTIONAL_SLOTS = ("previous_therapy", "hopes", "availability")
# The stored value of a skipped question (stored as no answer in the submission).
SKIPPED = "(skipped)"

__all__ = [
    "ASQ_SLOTS",
    "CONFIRM_SLOT",
    "CONSENT_SLOT",
    "DETAIL_SLOTS",
    "FORM_SLOTS",
    "GAD_SLOTS",
    "INTAKE_SLOTS",
    "OPTIONAL_SLOTS",
    "PHQ_SLOTS",
    "SCREENING_SLOTS",
    "SKIPPED",
    "STARTED_AT_SLOT",
    "STOPPED_SLOT",
    "SUBMISSION_ID_SLOT",
    "TRIES_SLOT",
    "URGENT_SLOT",
]
