"""Data at rest and erasure through the real servers (trained model, real NLU, the
encrypting tracker store of endpoints.yml on SQLite): nothing readable in the data
directory, and "delete my data" leaving nothing of the conversation."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from secure_base.tracker_store import count_conversation_events
from tests.conftest import started_stack
from tests.stack import reply_text as said
from tests.stack import run_module
from tests.test_intake_e2e import click

pytestmark = [pytest.mark.server, pytest.mark.model]

CRISIS = "I want to kill myself tonight"
REASON = "Since the ferry accident I keep pushing everyone away"


@pytest.fixture(scope="module")
def private_stack(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A stack with a data directory of its own, so the byte search sees only this module."""
    yield from started_stack(tmp_path_factory.mktemp("privacy"))


def tracker_url(stack) -> str:
    return f"sqlite:///{stack.data_dir / 'tracker.db'}"


def events_of(stack, sender: str) -> int:
    return count_conversation_events(tracker_url(stack), sender)


def cli(stack, *args: str):  # type: ignore[no-untyped-def]
    return run_module("secure_base.intake", *args, env={**os.environ, **stack.env})


def submit_intake(stack, sender: str, email: str) -> None:
    """A whole intake over REST, sent."""
    replies = click(stack, sender, stack.send("I'd like to book", sender), "Yes, I agree")
    stack.send("Sam", sender)
    replies = stack.send("34", sender)
    replies = click(stack, sender, replies, "Email")
    stack.send(email, sender)
    stack.send("Maine", sender)
    replies = click(stack, sender, stack.send(REASON, sender), "No")
    replies = click(stack, sender, stack.send("Feeling safer with people", sender),
                    "Online (secure video)")
    replies = click(stack, sender, stack.send("Weekday evenings", sender), "Self-pay")
    for answer in ("Several days", "Not at all", "Not at all", "Several days"):
        replies = click(stack, sender, replies, answer)
    for _ in range(4):
        replies = click(stack, sender, replies, "No")
    assert email in said(replies)
    done = said(click(stack, sender, replies, "Yes, send it"))
    assert "Thank you" in done or "thank you" in done, done


def data_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_nothing_readable_at_rest_after_an_intake_and_a_crisis(private_stack) -> None:
    stack = private_stack
    sender = f"rest-{uuid.uuid4()}"
    email = f"{uuid.uuid4().hex[:10]}@example.org"
    submit_intake(stack, sender, email)
    assert "Are you safe right now?" in said(stack.send(CRISIS, sender))

    # The conversation itself still works from the encrypted store.
    state = stack.tracker(sender)
    assert state["slots"]["crisis_flag"] is True
    assert any(e.get("text") == CRISIS for e in state["events"] if e["event"] == "user")
    # The submitted intake's answers are cleared from the conversation's slots.
    assert state["slots"]["email"] is None and state["slots"]["reason"] is None
    assert state["slots"]["intake_submission_id"]

    files = data_files(stack.data_dir)
    names = {p.name for p in files}
    assert {"tracker.db", "app.db", "rasa.log", "actions.log"} <= names
    for path in files:
        content = path.read_bytes()
        for secret in (email, CRISIS, REASON, "pushing everyone away"):
            assert secret.encode() not in content, f"{secret!r} readable in {path.name}"


def test_delete_my_data_leaves_nothing_of_the_conversation(private_stack) -> None:
    stack = private_stack
    sender, bystander = f"erase-{uuid.uuid4()}", f"keep-{uuid.uuid4()}"
    submit_intake(stack, sender, f"{uuid.uuid4().hex[:10]}@example.org")
    stack.send(CRISIS, sender)
    stack.send("hello", bystander)
    stack.send(CRISIS, bystander)
    found = cli(stack, "find-conversation", sender)
    assert found.returncode == 0, found.stderr
    assert "Intake submissions:   none" not in found.stdout
    assert "Crisis events:        none" not in found.stdout
    kept_events = events_of(stack, bystander)

    replies = stack.send("please delete all my data", sender)
    question = said(replies)
    assert "every message and answer" in question and "intake" in question
    assert "crisis" in question and "cannot be undone" in question
    assert events_of(stack, sender) > 0  # asking deletes nothing
    done = said(click(stack, sender, replies, "Yes, delete my data"))
    assert "I've deleted every message and answer in this conversation" in done
    assert "1 intake and 1 crisis record" in done

    assert events_of(stack, sender) == 0
    gone = cli(stack, "find-conversation", sender)
    assert gone.returncode == 1 and "Nothing is kept of this conversation." in gone.stderr
    assert events_of(stack, bystander) == kept_events
    assert "Crisis events:        none" not in cli(stack, "find-conversation", bystander).stdout

    # Writing again starts afresh: no crisis flag, no intake, nothing of before.
    stack.send("hi", sender)
    state = stack.tracker(sender)
    assert state["slots"]["crisis_flag"] is False
    assert [e["text"] for e in state["events"] if e["event"] == "user"] == ["hi"]


def test_saying_no_keeps_everything(private_stack) -> None:
    stack = private_stack
    sender = f"keep-{uuid.uuid4()}"
    stack.send("what is secure attachment?", sender)
    replies = stack.send("can you erase this conversation", sender)
    before = events_of(stack, sender)
    kept = said(click(stack, sender, replies, "No, keep it"))
    assert "I haven't deleted anything" in kept
    assert events_of(stack, sender) > before


def test_delete_my_data_in_the_middle_of_an_intake(private_stack) -> None:
    stack = private_stack
    sender = f"mid-{uuid.uuid4()}"
    click(stack, sender, stack.send("I'd like to book", sender), "Yes, I agree")
    stack.send("Sam", sender)
    replies = stack.send("delete my data", sender)
    assert "Shall I delete it now?" in said(replies)
    done = said(stack.send("yes", sender))
    assert "I've deleted every message and answer" in done
    assert events_of(stack, sender) == 0


@pytest.mark.parametrize(
    "text",
    [
        # Not in the training data.
        "I want everything I typed here deleted",
        "please wipe my details from your records",
        "could you remove this whole chat from your system",
        "erase my answers please",
    ],
)
def test_delete_requests_are_understood_and_never_a_crisis(private_stack, text) -> None:
    parsed = private_stack.parse(text)
    assert parsed["intent"]["name"] == "delete_my_data", parsed["intent_ranking"][:3]


@pytest.mark.parametrize(
    "text",
    ["I want to disappear", "I want to erase myself from existence", "delete me, I can't go on"],
)
def test_wanting_to_disappear_is_still_a_crisis(private_stack, text) -> None:
    assert private_stack.parse(text)["intent"]["name"] == "crisis"
