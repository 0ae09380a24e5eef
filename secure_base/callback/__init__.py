"""Callback requests: a person asks the practice to phone or e-mail them back.

The conversation is ``callback_form`` in the domain (offered after ``talk_to_human``),
validated by ``actions/handoff.py``. It asks for no health details: only a name, one way
to reach the person and when suits them. ``python -m secure_base.callback`` is the staff
CLI.
"""

from __future__ import annotations

CONSENT_SLOT = "callback_consent"
NAME_SLOT = "callback_name"
METHOD_SLOT = "callback_contact_method"
PHONE_SLOT = "callback_phone"
EMAIL_SLOT = "callback_email"
TIMES_SLOT = "callback_times"
# The form's slots in the order the domain's callback_form lists them.
FORM_SLOTS = (CONSENT_SLOT, NAME_SLOT, METHOD_SLOT, PHONE_SLOT, EMAIL_SLOT, TIMES_SLOT)
# Outside the form, but part of one request (reset with it).
STARTED_AT_SLOT = "callback_started_at"
CALLBACK_SLOTS = (*FORM_SLOTS, STARTED_AT_SLOT)

METHOD_PHONE = "phone"
METHOD_EMAIL = "email"

__all__ = [
    "CALLBACK_SLOTS",
    "CONSENT_SLOT",
    "EMAIL_SLOT",
    "FORM_SLOTS",
    "METHOD_EMAIL",
    "METHOD_PHONE",
    "METHOD_SLOT",
    "NAME_SLOT",
    "PHONE_SLOT",
    "STARTED_AT_SLOT",
    "TIMES_SLOT",
]
