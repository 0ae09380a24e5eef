"""Who said STOP: recording, lifting and checking SMS and WhatsApp opt-outs.

Functions take a ``Session``; the caller owns it and commits
(:func:`secure_base.db.session_scope`). A number is looked up by its keyed digest under
every configured key, so an opt-out recorded before a key rotation is still found while
the old key is configured; it is then stored again under the current key.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secure_base.crypto import keyed_digests
from secure_base.messaging.models import SmsOptOut

#: Narrows the key material to this use (see :func:`secure_base.crypto.keyed_digests`).
DIGEST_PURPOSE = "sms-opt-out"


def number_digests(number: str) -> list[str]:
    """The digests ``number`` may be stored under, the current key's first."""
    return keyed_digests(number.strip(), DIGEST_PURPOSE)


def is_opted_out(session: Session, number: str) -> bool:
    """Whether ``number`` (a sender address) has opted out and not opted back in."""
    digests = number_digests(number)
    found = session.execute(
        select(SmsOptOut).where(SmsOptOut.number_digest.in_(digests))
    ).scalars().all()
    for row in found:
        if row.number_digest != digests[0]:
            row.number_digest = digests[0]  # stored under an older key: move it on
    return bool(found)


def opt_out(session: Session, number: str) -> bool:
    """Records that ``number`` wants no more messages.

    Returns:
        True when this is new; False when the number had already opted out (so the
        confirmation is not sent twice).
    """
    if is_opted_out(session, number):
        return False
    try:
        with session.begin_nested():
            session.add(SmsOptOut(number_digest=number_digests(number)[0]))
    except IntegrityError:
        return False  # the same STOP arrived at another server at the same moment
    return True


def opt_in(session: Session, number: str) -> bool:
    """Lifts ``number``'s opt-out.

    Returns:
        True when there was one.
    """
    result = session.execute(
        delete(SmsOptOut).where(SmsOptOut.number_digest.in_(number_digests(number)))
    )
    return bool(result.rowcount)
