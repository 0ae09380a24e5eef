"""Replies on messaging channels: retries, failed crisis replies, the first-message note.

Each channel's real output (aiogram, Twilio's client, slack_sdk, fbmessenger) calls a
local fake provider that answers from a script (500 twice then 200, a 429 with
Retry-After, a 400, a reply slower than the timeout) or is not there at all (connection
refused). Failed crisis replies are stored in a real database and told to a real local
webhook receiver; "first reply" is read from a real Rasa tracker store.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from secure_base.db import session_scope
from secure_base.messaging import delivery, replies
from secure_base.messaging.cross_channel import disclosure_text
from secure_base.messaging.delivery import (
    DeliveryFailed,
    RetryPolicy,
    crisis_response_of,
    deliver,
)
from secure_base.messaging.facebook import VerifiedFacebookInput
from secure_base.messaging.models import FailedCrisisReply
from secure_base.messaging.replies import GuardedReplies
from secure_base.messaging.slack import VerifiedSlackInput
from secure_base.messaging.telegram import ApiTelegramOutput
from secure_base.messaging.twilio import ApiTwilioOutput
from secure_base.profile import load_profile
from secure_base.settings import FacebookSettings, SlackSettings, TwilioSettings
from tests.fake_provider import Answer, FakeProvider
from tests.messaging_stack import TELEGRAM_TOKEN
from tests.receivers import HttpReceiver, http_receiver  # noqa: F401 - a fixture
from tests.stack import free_port

#: In every message sent; it must never appear in a log.
MARKER = "private-words-" + uuid.uuid4().hex
RECIPIENT = "+15557654321"
FAST = RetryPolicy(attempts=3, first_delay=0.05, max_retry_after=2.0)


@pytest.fixture()
def fast_retries(monkeypatch: pytest.MonkeyPatch, caplog) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Short waits (the policy's shape is unchanged); every test ends checking the logs."""
    monkeypatch.setattr(delivery, "DEFAULT_POLICY", FAST)
    monkeypatch.setattr(replies, "disclosed_senders", replies.DisclosedSenders())
    caplog.set_level(logging.INFO)
    yield
    assert MARKER not in caplog.text and RECIPIENT not in caplog.text


def _outputs(api_url: str) -> dict[str, Any]:
    """Each channel's real output channel, calling the provider API at ``api_url``."""
    facebook = VerifiedFacebookInput.from_settings(FacebookSettings(
        verify="v", secret="s", page_token="page-token", api_url=api_url))
    slack = VerifiedSlackInput.from_settings(SlackSettings(
        token="xoxb-test", signing_secret="s", api_url=api_url + "/"))
    return {
        "telegram": ApiTelegramOutput(TELEGRAM_TOKEN, api_url),
        "twilio": ApiTwilioOutput(TwilioSettings(
            account_sid="AC" + "0" * 32, auth_token="t", number="+15550001111",
            api_url=api_url)),
        "facebook": facebook.get_output_channel(),
        "slack": slack.get_output_channel("C123"),
    }


CHANNELS = ["telegram", "twilio", "facebook", "slack"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_two_server_errors_then_success_is_delivered_on_the_third_try(
        provider, fast_retries, caplog, channel) -> None:
    provider.answer(Answer(500), Answer(503))
    output = _outputs(provider.url)[channel]
    asyncio.run(output.send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 3
    assert all(MARKER.encode() in body for _method, _path, body in provider.calls)
    retries = [r.getMessage() for r in caplog.records if "delivery failed" in r.getMessage()]
    assert len(retries) == 2 and all(channel in line for line in retries)
    assert "attempt 1 of 3" in retries[0] and "attempt 2 of 3" in retries[1]


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_client_error_is_not_retried(provider, fast_retries, channel) -> None:
    provider.answer(Answer(400))
    output = _outputs(provider.url)[channel]
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(output.send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 1
    assert failed.value.attempts == 1


@pytest.mark.parametrize("channel", CHANNELS)
def test_server_errors_every_time_give_up_after_three_tries(provider, fast_retries,
                                                             channel) -> None:
    provider.answer(Answer(500), Answer(500), Answer(500), Answer(500))
    output = _outputs(provider.url)[channel]
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(output.send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 3
    assert failed.value.attempts == 3


@pytest.mark.parametrize("channel", ["twilio", "facebook", "slack"])
def test_429_waits_for_retry_after(provider, fast_retries, channel) -> None:
    provider.answer(Answer(429, {"Retry-After": "1"}))
    output = _outputs(provider.url)[channel]
    started = time.monotonic()
    asyncio.run(output.send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 2
    if channel != "twilio":  # Twilio's client does not pass the header on
        assert time.monotonic() - started >= 0.9


def test_telegram_flood_control_waits_as_asked(fast_retries) -> None:
    from aiogram.utils.exceptions import RetryAfter

    # Telegram says how long in the answer's parameters (aiogram's RetryAfter).
    calls: list[float] = []

    async def flood_then_ok() -> str:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(1)
        return "sent"

    assert asyncio.run(deliver("telegram", flood_then_ok)) == "sent"
    assert calls[1] - calls[0] >= 0.9


def test_a_429_asking_for_too_long_is_not_waited_for(provider, fast_retries) -> None:
    provider.answer(Answer(429, {"Retry-After": "120"}))
    with pytest.raises(DeliveryFailed):
        asyncio.run(_outputs(provider.url)["slack"].send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 1


def test_a_timeout_is_retried(provider, fast_retries, monkeypatch) -> None:
    monkeypatch.setattr(delivery, "PROVIDER_TIMEOUT_SECONDS", 0.5)
    provider.answer(Answer(200, delay=2.0))
    output = _outputs(provider.url)["telegram"]
    asyncio.run(output.send_text_message(RECIPIENT, MARKER))
    assert len(provider.calls) == 2


def test_connection_refused_is_retried_then_given_up(fast_retries, caplog) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    for channel, output in _outputs(closed).items():
        caplog.clear()
        with pytest.raises(DeliveryFailed) as failed:
            asyncio.run(output.send_text_message(RECIPIENT, MARKER))
        assert (failed.value.attempts, failed.value.reason) == (3, "connection error"), channel
        assert "giving up" in caplog.text
    # Messenger's "typing..." must not stop the message it is about.
    asyncio.run(_outputs(closed)["facebook"].send_action(RECIPIENT, "typing_on"))


def test_a_messenger_sender_action_failing_never_raises(provider, fast_retries) -> None:
    provider.answer(Answer(500))
    asyncio.run(_outputs(provider.url)["facebook"].send_action(RECIPIENT, "typing_on"))
    assert len(provider.calls) == 1


def test_crisis_replies_are_recognised_by_their_response() -> None:
    assert crisis_response_of({"utter_action": "utter_crisis"}) == "utter_crisis"
    assert crisis_response_of({"utter_action": "utter_crisis_followup_unsafe"})
    assert crisis_response_of({"utter_action": "utter_greet"}) is None
    assert crisis_response_of({"text": "hi", "crisis": True}) == "utter_crisis"
    assert crisis_response_of({"text": "hi", "crisis_flag": True}) == "utter_crisis"
    assert crisis_response_of({"text": "hi"}) is None


# --- failed crisis replies ------------------------------------------------------------

@pytest.fixture()
def staff_told(app_env, http_receiver: HttpReceiver, monkeypatch) -> HttpReceiver:  # noqa: F811
    """The app database in a private directory; notifications to a local receiver."""
    monkeypatch.setenv("SECURE_BASE_NOTIFY_WEBHOOK", http_receiver.url)
    monkeypatch.delenv("SECURE_BASE_NOTIFY_EMAIL", raising=False)
    return http_receiver


def _stored() -> list[FailedCrisisReply]:
    with session_scope() as session:
        return list(session.execute(select(FailedCrisisReply)).scalars())


def test_a_crisis_reply_that_never_arrives_is_stored_and_told_to_staff(
        provider, fast_retries, staff_told) -> None:
    provider.answer(*[Answer(503)] * 6)
    replies.disclosed_senders.add(("telegram", "42"))  # only the reply in this test
    guarded = GuardedReplies(_outputs(provider.url)["telegram"], "telegram", "42")
    asyncio.run(guarded.send_response("42", {"text": MARKER, "utter_action": "utter_crisis"}))
    (row,) = _stored()
    assert (row.channel, row.conversation_id, row.response, row.attempts, row.notified) == (
        "telegram", "42", "utter_crisis", 3, True)
    assert row.reason == "HTTP 5xx"
    (notice,) = staff_told.requests
    payload = notice.json()
    assert payload["kind"] == "crisis_reply_failed"
    assert payload["data"]["failed_reply_id"] == row.id
    assert MARKER not in notice.body.decode() and '"42"' not in notice.body.decode()


def test_an_ordinary_reply_that_fails_is_only_logged(provider, fast_retries, staff_told,
                                                     caplog) -> None:
    provider.answer(*[Answer(503)] * 6)
    replies.disclosed_senders.add(("telegram", "43"))
    guarded = GuardedReplies(_outputs(provider.url)["telegram"], "telegram", "43")
    asyncio.run(guarded.send_response("43", {"text": MARKER, "utter_action": "utter_greet"}))
    assert _stored() == [] and staff_told.requests == []
    assert "reply was not delivered (HTTP 5xx)" in caplog.text


# --- the first-message disclosure -------------------------------------------------------

class AgentWithStore:
    """What the replies read from Rasa's agent: its (real) tracker store."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())


def _sent_texts(provider: FakeProvider) -> list[str]:
    """The texts sent to Telegram, as Telegram shows them (they go in HTML parse_mode)."""
    import html
    from urllib.parse import parse_qs

    return [html.unescape(parse_qs(body.decode())["text"][0])
            for _method, path, body in provider.calls if path.endswith("/sendMessage")]


def test_the_first_reply_on_a_channel_is_preceded_by_the_disclosure(provider,
                                                                   fast_retries) -> None:
    provider.answer()
    agent = AgentWithStore()
    sender = "first-" + uuid.uuid4().hex[:8]
    guarded = GuardedReplies(_outputs(provider.url)["telegram"], "telegram", sender, agent)

    async def two_replies() -> None:
        await guarded.send_response(sender, {"text": "Hello there.",
                                             "utter_action": "utter_greet"})
        await guarded.send_response(sender, {"text": "Second line."})

    asyncio.run(two_replies())
    note = disclosure_text(load_profile())
    assert _sent_texts(provider) == [note, "Hello there.", "Second line."]
    assert load_profile().crisis.current().lines[0] in note and "automated" in note


def test_the_disclosure_is_not_repeated_once_the_tracker_has_a_reply(provider,
                                                                    fast_retries) -> None:
    provider.answer()
    agent = AgentWithStore()
    sender = "known-" + uuid.uuid4().hex[:8]
    tracker = DialogueStateTracker.from_events(sender, [
        UserUttered("hi"), BotUttered("Hello, I'm the practice's automated assistant.")])
    asyncio.run(agent.tracker_store.save(tracker))
    # Another server, or this one after a restart: nothing in memory, the tracker decides.
    guarded = GuardedReplies(_outputs(provider.url)["telegram"], "telegram", sender, agent)
    asyncio.run(guarded.send_response(sender, {"text": "Welcome back."}))
    assert _sent_texts(provider) == ["Welcome back."]


def test_a_crisis_reply_goes_out_even_when_the_disclosure_cannot(provider,
                                                                fast_retries) -> None:
    provider.answer(Answer(400))  # the disclosure is refused; the crisis reply is not
    sender = "crisis-" + uuid.uuid4().hex[:8]
    guarded = GuardedReplies(_outputs(provider.url)["telegram"], "telegram", sender,
                             AgentWithStore())
    asyncio.run(guarded.send_response(sender, {"text": "Please call 988 now.",
                                               "utter_action": "utter_crisis"}))
    assert _sent_texts(provider) == [disclosure_text(load_profile()), "Please call 988 now."]
    assert len(provider.calls) == 2


def test_failed_crisis_replies_are_erased_with_their_conversation_and_by_age(engine) -> None:
    from datetime import timedelta

    from secure_base.messaging.delivery import record_failed_crisis_reply
    from secure_base.messaging.store import delete_failed_replies_before
    from secure_base.notify import AlertThrottle
    from secure_base.privacy import delete_conversation_records, find_conversation_records
    from secure_base.sqltypes import utcnow

    failure = DeliveryFailed("twilio", 500, "HTTP 500", 3)
    for conversation in ("+15550000001", "+15550000001", "+15550000002"):
        record_failed_crisis_reply(conversation, channel="twilio", response="utter_crisis",
                                   failure=failure, engine=engine, throttle=AlertThrottle())
    with session_scope(engine) as session:
        assert not find_conversation_records(session, "+15550000002").empty
        erased = delete_conversation_records(session, "+15550000001")
    assert len(erased.failed_crisis_reply_ids) == 2
    with session_scope(engine) as session:
        (left,) = session.execute(select(FailedCrisisReply)).scalars()
        assert (left.conversation_id, left.status, left.attempts) == ("+15550000002", 500, 3)
        assert delete_failed_replies_before(session, utcnow() - timedelta(days=1)) == 0
        assert delete_failed_replies_before(session, utcnow() + timedelta(seconds=1)) == 1


def test_a_crisis_reply_failing_inside_the_channel_is_reported_too(provider, fast_retries,
                                                                  staff_told) -> None:
    class BrokenRendering(ApiTelegramOutput):
        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            raise KeyError(MARKER)  # a bug in a channel's own code, not the provider

    replies.disclosed_senders.add(("telegram", "44"))
    guarded = GuardedReplies(BrokenRendering(TELEGRAM_TOKEN, provider.url), "telegram", "44")
    asyncio.run(guarded.send_response("44", {"text": MARKER, "utter_action": "utter_crisis"}))
    (row,) = _stored()
    assert (row.reason, row.attempts, row.status) == ("KeyError", 1, None)
    assert [r.json()["kind"] for r in staff_told.requests] == ["crisis_reply_failed"]
