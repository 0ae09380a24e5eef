"""Rules every channel follows: which channel a message came from, what is said where.

Pure functions of the practice profile, without Rasa: the Rasa server (the first-message
disclosure, :mod:`.replies`) and the action server (the intake's start,
``actions/intake/validation.py``) both use them.

Channel names are the profile's (``channels.intake`` in practice.yml):

========== ==========================================================================
website    Rasa's ``socketio`` (the widget) and ``rest`` (the HTTP API the tests, the
           evaluation and other web clients use), and any channel not listed here
telegram   ``telegram``
sms        ``twilio``, from a phone number
whatsapp   ``twilio``, from a ``whatsapp:`` address
messenger  ``facebook``
slack      ``slack``
========== ==========================================================================
"""

from __future__ import annotations

from typing import Optional

from secure_base.profile import PracticeProfile

WEBSITE = "website"
#: Rasa's input channel names of the messaging channels, as the profile names them.
_MESSAGING = {"telegram": "telegram", "facebook": "messenger", "slack": "slack"}
_WHATSAPP_PREFIX = "whatsapp:"


def profile_channel(input_channel: Optional[str], sender_id: Optional[str] = None) -> str:
    """The profile's name for a message's channel.

    Args:
        input_channel: Rasa's input channel (``tracker.get_latest_input_channel()``).
        sender_id: The conversation's sender ID: Twilio's are the sender's address,
            ``whatsapp:+1...`` for WhatsApp.

    Returns:
        ``website``, ``telegram``, ``sms``, ``whatsapp``, ``messenger`` or ``slack``.
        Unknown and missing channels are the website's: REST is the website chat's
        HTTP API, and a channel added later runs as the website does until it is named.
    """
    if input_channel == "twilio":
        return "whatsapp" if str(sender_id or "").startswith(_WHATSAPP_PREFIX) else "sms"
    return _MESSAGING.get(input_channel or "", WEBSITE)


def intake_runs_on(input_channel: Optional[str], sender_id: Optional[str],
                   profile: PracticeProfile) -> bool:
    """Whether the intake form runs on this message's channel (``channels.intake``)."""
    return profile_channel(input_channel, sender_id) in profile.channels.intake


def crisis_lines_inline(profile: PracticeProfile) -> str:
    """The default region's crisis lines in one line, as the greeting gives them."""
    return "; ".join(profile.crisis.current().lines)


def disclosure_text(profile: PracticeProfile) -> str:
    """The note sent before the first reply on a messaging channel.

    The greeting's and ``utter_iamabot``'s words, in one paragraph (Telegram, SMS and
    Slack split a reply at blank lines).
    """
    return (
        f"This is {profile.practice.name}'s automated assistant, Secure Base: not a "
        f"person, and not a therapist. Nobody at {profile.practice.short_name} reads this "
        f"chat live. If you are in crisis or not "
        f"safe, please don't wait for me: {crisis_lines_inline(profile)}."
    )


def intake_elsewhere_text(profile: PracticeProfile) -> str:
    """The answer to a wish to book on a channel where the intake does not run."""
    contact = profile.contact
    return (
        f"The intake questions are asked in the chat on our website, not here: you can "
        f"start it at {profile.website_url()}. Or reach {profile.practice.name} directly: phone "
        f"{contact.phone} or email {contact.email} ({contact.hours}). If you are in "
        f"crisis or not safe, please don't wait: {crisis_lines_inline(profile)}."
    )
