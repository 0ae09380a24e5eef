"""The intake over REST against the real Rasa server (trained model, real NLU) and the
real action server: what the person sees, and the one encrypted row it stores."""

from __future__ import annotations

import os
import sqlite3
import uuid

import pytest

from secure_base.profile import load_profile
from tests.stack import reply_text as said
from tests.stack import run_module

pytestmark = [pytest.mark.server, pytest.mark.model]


def click(stack, sender: str, replies: list[dict], title: str) -> list[dict]:
    """Presses the button titled ``title`` in the latest replies (sends its payload)."""
    for reply in reversed(replies):
        for button in reply.get("buttons") or []:
            if button["title"] == title:
                return stack.send(button["payload"], sender)
    raise AssertionError(f"no button {title!r} in {replies!r}")


def app_db(stack) -> str:
    return str(stack.data_dir / "app.db")


def stored_rows(stack) -> list[tuple]:
    if not os.path.exists(app_db(stack)):
        return []
    with sqlite3.connect(app_db(stack)) as conn:
        try:
            return conn.execute("SELECT id, email, phq2, urgent FROM intake_submissions").fetchall()
        except sqlite3.OperationalError:  # table not created yet: nothing stored
            return []


def test_full_intake_over_rest(stack) -> None:
    profile = load_profile()
    sender = f"intake-{uuid.uuid4()}"
    email = f"{sender}@example.com"
    before = len(stored_rows(stack))

    consent = stack.send("I'd like to book", sender)
    body = said(consent)
    assert profile.intake.reviewed_by in body and "not an emergency service" in body
    assert [b["payload"] for b in consent[-1]["buttons"]] == ["Yes", "No"]

    replies = click(stack, sender, consent, "Yes, I agree")
    assert "What name" in said(replies)
    replies = stack.send("Sam", sender)
    assert "How old" in said(replies)
    replies = stack.send("34", sender)
    assert "contact you" in said(replies)
    replies = click(stack, sender, replies, "Email")
    assert "email address" in said(replies)
    # Invalid, then valid.
    assert "couldn't read an email address" in said(stack.send("sam@", sender))
    assert "state or region" in said(stack.send(email, sender))
    # A question mid-form is answered and the question comes back.
    reply = said(stack.send("Is what I share here confidential?", sender))
    assert "state or region" in reply and len(reply) > 120
    assert "brings you" in said(stack.send("Maine", sender))
    replies = stack.send("I keep pushing people away", sender)
    assert "therapy before" in said(replies)
    replies = click(stack, sender, replies, "No")
    assert "hope" in said(replies)
    replies = stack.send("Feeling safer with people", sender)
    assert "prefer" in said(replies)
    replies = click(stack, sender, replies, "Online (secure video)")
    assert "available" in said(replies)
    replies = stack.send("Weekday evenings", sender)
    assert "pay" in said(replies)
    replies = click(stack, sender, replies, "Self-pay")
    assert "Pfizer" in said(replies)
    for answer in ("Several days", "Not at all", "Not at all", "Several days"):
        replies = click(stack, sender, replies, answer)
    assert "National Institute of Mental Health" in said(replies)
    for _ in range(4):
        replies = click(stack, sender, replies, "No")
    summary = said(replies)
    assert "• Name: Sam" in summary and email in summary and "completed" in summary
    assert "Is everything right?" in summary
    # No crisis response (and no reminder) along the way. The address is taken out first:
    # it holds a random uuid, which can contain "988".
    assert "988" not in summary.replace(email, "")

    done = said(click(stack, sender, replies, "Yes, send it"))
    assert profile.contact.response_time in done
    rows = stored_rows(stack)
    assert len(rows) == before + 1
    _, raw_email, phq2, urgent = rows[-1]
    assert email not in raw_email and phq2 == 1 and urgent == 0

    # Staff can read it with the CLI (the stack's development key is in its data dir).
    env = {**os.environ, **stack.env}
    result = run_module("secure_base.intake", "export", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert email in result.stdout and "health information" in result.stderr


def test_stop_then_continue_then_discard(stack) -> None:
    sender = f"intake-stop-{uuid.uuid4()}"
    stack.send("start intake", sender)
    stack.send("Yes", sender)
    assert "How old" in said(stack.send("Alex", sender))
    # An unsure wish to stop asks first; a clear "stop" stops at once (answers deleted).
    replies = stack.send("I think I want to stop the form, maybe", sender)
    assert "stop the intake" in said(replies)
    reply = said(click(stack, sender, replies, "No, let's continue"))
    assert "carry on" in reply and "How old" in reply
    reply = said(stack.send("stop", sender))
    assert "stopped the intake" in reply and "deleted the answers" in reply


def test_declined_and_under_age(stack) -> None:
    profile = load_profile()
    before = len(stored_rows(stack))
    sender = f"intake-no-{uuid.uuid4()}"
    stack.send("can I become a client?", sender)
    reply = said(stack.send("No", sender))
    assert "haven't saved anything" in reply and profile.contact.email in reply

    sender = f"intake-young-{uuid.uuid4()}"
    stack.send("start intake", sender)
    stack.send("Yes", sender)
    stack.send("Kim", sender)
    reply = said(stack.send("15", sender))
    assert "parent or guardian" in reply
    assert len(stored_rows(stack)) == before


def test_intake_buttons_are_answers_not_crisis_messages(stack) -> None:
    """Every button payload of the intake reaches the form: none looks like a crisis."""
    from secure_base.importer import render_profile_responses

    responses = render_profile_responses(load_profile())
    payloads = {
        button["payload"]
        for name, variations in responses.items()
        if name.startswith(("utter_ask_", "utter_intake_"))
        for button in variations[0].get("buttons") or []
    }
    assert "0 - Not at all" in payloads
    flagged = {p for p in payloads if stack.parse(p)["intent"]["name"] == "crisis"}
    assert flagged == set()
