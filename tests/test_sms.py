"""SMS and WhatsApp through Twilio: keywords, opt-outs, numbered options, short and split
replies (secure_base/messaging/sms_*.py, opt_outs.py, twilio.py).

The channel's message handling runs as Rasa runs it: a real Rasa ``Agent`` with an
in-memory tracker store (for the last bot message's buttons), the real application
database (SQLite, and PostgreSQL for the opt-out table when configured), and the real
Twilio client sending to a local fake provider that records each call. The full-stack
tests at the end start the real servers with a trained model.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs

import pytest
import requests
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic
from sqlalchemy import select

from secure_base import crypto
from secure_base.db import session_scope
from secure_base.messaging import opt_outs
from secure_base.messaging.models import SmsOptOut
from secure_base.messaging.sms_format import (
    NUMBER_PROMPT,
    SMS_PART_CHARS,
    WHATSAPP_PART_CHARS,
    chosen_payload,
    numbered_options,
    plain_text,
    short_form,
    split_message,
    text_message_parts,
)
from secure_base.messaging.sms_keywords import (
    Keyword,
    help_reply,
    keyword_of,
    start_reply,
    stop_reply,
)
from secure_base.messaging.twilio import ApiTwilioOutput, VerifiedTwilioInput
from secure_base.privacy import delete_conversation_records, find_conversation_records
from secure_base.profile import load_profile
from secure_base.settings import PROJECT_ROOT, TwilioSettings
from tests.fake_provider import FakeProvider
from tests.messaging_stack import TWILIO_SID, TWILIO_TOKEN
from tests.test_messaging_webhooks import twilio_signature

BUTTONS = [{"title": "Yes, please", "payload": "/affirm"},
           {"title": "Not now", "payload": "/deny"},
           {"title": "Something else", "payload": '/faq{"topic": "secure_base"}'}]


# --- Keywords ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, keyword", [
    ("STOP", Keyword.STOP), ("stop", Keyword.STOP), ("  Stop.  ", Keyword.STOP),
    ("STOP!!", Keyword.STOP), ("StopAll", Keyword.STOP), ("unsubscribe", Keyword.STOP),
    ("Cancel", Keyword.STOP), ("END", Keyword.STOP), ("quit?", Keyword.STOP),
    ("\"stop\"", Keyword.STOP), ("START", Keyword.START), ("unstop", Keyword.START),
    ("Yes", Keyword.START), ("HELP", Keyword.HELP), ("info.", Keyword.HELP),
    ("help me", None), ("please stop", None), ("stop it", None), ("stopped", None),
    ("", None), ("1", None), ("I want to end it all", None),
])
def test_a_keyword_is_the_whole_message_in_any_case(text, keyword) -> None:
    assert keyword_of(text) is keyword


def test_keyword_replies_name_the_practice_its_contact_and_the_crisis_line() -> None:
    profile = load_profile()
    first_line = profile.crisis.current().lines[0].rstrip(".")
    stop = stop_reply(profile)
    assert profile.practice.name in stop and "START" in stop and first_line in stop
    assert "988" in stop  # the profile's US line
    helped = help_reply(profile)
    for needed in (profile.practice.name, profile.contact.phone, profile.contact.email,
                   "STOP", first_line):
        assert needed in helped
    assert "STOP" in start_reply(profile)
    # Each fits in two SMS segments, so carriers deliver it as one message.
    assert max(len(stop), len(helped), len(start_reply(profile))) <= SMS_PART_CHARS


# --- Formatting ----------------------------------------------------------------------------

@pytest.mark.parametrize("markup, plain", [
    ("**Secure** attachment", "Secure attachment"),
    ("__Secure__ base", "Secure base"),
    ("a _gentle_ start and *slow* pace", "a gentle start and slow pace"),
    ("See [our fees](https://harbor.example/fees).", "See our fees: https://harbor.example/fees."),
    ("[https://x.example](https://x.example)", "https://x.example"),
    ("snake_case and https://x.example/a_b_c stay", "snake_case and https://x.example/a_b_c stay"),
    ("# Heading\n\n* one\n* two", "Heading\n\n- one\n- two"),
    ("<p>Hello <b>there</b></p><p>Line<br>two &amp; more</p>", "Hello there\nLine\ntwo & more"),
    ('Read <a href="https://x.example/a">this article</a>.', "Read this article: https://x.example/a."),
    ("`code` and ~~gone~~", "code and gone"),
])
def test_markup_never_reaches_a_text_message(markup, plain) -> None:
    assert plain_text(markup) == plain


def test_whatsapp_keeps_emphasis_in_its_own_syntax() -> None:
    assert plain_text("**Bold** and _it_ and *it*", whatsapp=True) == "*Bold* and _it_ and _it_"


def _sentences(count: int) -> str:
    return " ".join(f"Sentence number {n} says something about attachment and safety."
                    for n in range(count))


@pytest.mark.parametrize("limit", [SMS_PART_CHARS, WHATSAPP_PART_CHARS])
def test_long_text_is_split_between_sentences_in_order(limit) -> None:
    text = _sentences(80)
    parts = split_message(text, limit)
    assert len(parts) > 1
    assert all(len(part) <= limit for part in parts)
    assert all(part.endswith(".") for part in parts)  # never inside a sentence
    assert " ".join(parts) == text  # nothing lost, nothing reordered


def test_split_keeps_paragraphs_and_cuts_an_endless_sentence_between_words() -> None:
    text = "First paragraph.\n\nSecond one." + " word" * 200
    parts = split_message(text, SMS_PART_CHARS)
    assert parts[0] == "First paragraph.\n\nSecond one."  # the paragraph break is kept
    assert len(parts) > 2 and all(len(part) <= SMS_PART_CHARS for part in parts)
    assert " ".join(parts[1:]).split() == ["word"] * 200
    assert split_message("short", SMS_PART_CHARS) == ["short"]
    assert split_message("  ", SMS_PART_CHARS) == []


def test_buttons_become_numbered_options_and_a_number_picks_one() -> None:
    assert numbered_options(BUTTONS) == (
        "1. Yes, please\n2. Not now\n3. Something else\n" + NUMBER_PROMPT)
    (message,) = text_message_parts("Would you like **something** to read?", BUTTONS, False)
    assert message.startswith("Would you like something to read?\n\n1. Yes, please")
    assert chosen_payload("1", BUTTONS) == "/affirm"
    assert chosen_payload(" 2. ", BUTTONS) == "/deny"
    assert chosen_payload("#3", BUTTONS) == BUTTONS[2]["payload"]
    assert chosen_payload("yes PLEASE", BUTTONS) == "/affirm"
    assert chosen_payload("Not now!", BUTTONS) == "/deny"
    for other in ("4", "0", "yes", "1 and 2", "what is attachment?"):
        assert chosen_payload(other, BUTTONS) is None, other
    assert chosen_payload("1", []) is None


def test_options_that_do_not_fit_the_last_part_get_their_own() -> None:
    text = _sentences(6)[:300]
    parts = text_message_parts(text, BUTTONS, whatsapp=False)
    assert len(parts) == 2 and parts[1].startswith("1. Yes, please")
    assert all(len(part) <= SMS_PART_CHARS for part in parts)


@pytest.fixture(scope="module")
def responses() -> dict:
    """The responses of the imported domain, FAQ answers included (as training sees them)."""
    from secure_base.importer import PracticeProfileImporter

    importer = PracticeProfileImporter(
        config_file=str(PROJECT_ROOT / "config.yml"),
        domain_path=str(PROJECT_ROOT / "domain.yml"),
        training_data_paths=[str(PROJECT_ROOT / "data")],
    )
    return {**importer.get_domain().responses, **importer.get_nlu_data().responses}


def _plain(responses: dict, name: str) -> str:
    return next(v["text"] for v in responses[name] if not v.get("condition"))


def test_every_long_faq_answer_has_a_short_form_that_fits_sms(responses) -> None:
    profile = load_profile()
    long_answers = [name for name in responses if name.startswith("utter_faq/")
                    and len(plain_text(_plain(responses, name))) > SMS_PART_CHARS]
    assert len(long_answers) > 10
    missing = [name for name in long_answers
               if f"utter_short_{name.removeprefix('utter_faq/')}" not in responses]
    assert missing == []
    for name in long_answers:
        text = _plain(responses, name)
        parts = text_message_parts(text, [], False, name, responses, profile)
        short = plain_text(_plain(responses, "utter_short_" + name.removeprefix("utter_faq/")))
        assert parts[0].startswith(short[:100]), name
        assert str(profile.articles.base_url) in "\n".join(parts), name
        assert all(len(part) <= SMS_PART_CHARS for part in parts), name
        # WhatsApp takes the whole answer.
        whole = "\n".join(text_message_parts(text, [], True, name, responses, profile))
        assert whole == plain_text(text, whatsapp=True)


def test_a_short_form_keeps_the_crisis_line_of_the_answer(responses) -> None:
    profile = load_profile()
    name = "utter_faq/secure_attachment"
    after_crisis = next(v["text"] for v in responses[name]
                        if profile.crisis_short_line() in v.get("text", ""))
    short = short_form(after_crisis, name, responses, profile)
    assert short is not None and short.endswith(profile.crisis_short_line())
    sent = "\n".join(text_message_parts(after_crisis, [], False, name, responses, profile))
    assert "988" in sent
    assert short_form(after_crisis, "utter_more_secure_attachment", responses, profile) is None
    assert short_form(after_crisis, None, responses, profile) is None


# --- Opt-outs in the database ----------------------------------------------------------------

@pytest.fixture
def keyed(app_env, monkeypatch):  # type: ignore[no-untyped-def]
    """A private data directory and a known encryption key (set per test)."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", key)
    crypto.clear_cipher_cache()
    yield key
    crypto.clear_cipher_cache()


def test_an_opt_out_is_kept_as_a_keyed_digest_never_the_number(engine, keyed) -> None:
    number = "+15557654321"
    with session_scope(engine) as session:
        assert opt_outs.opt_out(session, number) is True
        assert opt_outs.opt_out(session, number) is False  # one confirmation at most
    with session_scope(engine) as session:
        assert opt_outs.is_opted_out(session, number)
        assert not opt_outs.is_opted_out(session, "whatsapp:" + number)
        assert not opt_outs.is_opted_out(session, "+15557654320")
        (digest,) = session.execute(select(SmsOptOut.number_digest)).scalars().all()
    assert "5557654321" not in digest and len(digest) == 64
    with engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM sms_opt_outs"))
    assert "7654321" not in dump
    with session_scope(engine) as session:
        assert opt_outs.opt_in(session, number) is True
        assert opt_outs.opt_in(session, number) is False
        assert not opt_outs.is_opted_out(session, number)


def test_an_opt_out_survives_a_key_rotation_and_moves_to_the_new_key(engine, keyed,
                                                                      monkeypatch) -> None:
    from cryptography.fernet import Fernet

    number = "whatsapp:+447700900123"
    with session_scope(engine) as session:
        opt_outs.opt_out(session, number)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", f"{new_key},{keyed}")
    crypto.clear_cipher_cache()
    with session_scope(engine) as session:
        assert opt_outs.is_opted_out(session, number)
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", new_key)  # the old key is retired
    crypto.clear_cipher_cache()
    with session_scope(engine) as session:
        assert opt_outs.is_opted_out(session, number)
    # Another key altogether knows nothing of it.
    monkeypatch.setenv("SECURE_BASE_INTAKE_KEY", Fernet.generate_key().decode())
    crypto.clear_cipher_cache()
    with session_scope(engine) as session:
        assert not opt_outs.is_opted_out(session, number)


def test_erasing_a_conversation_erases_its_opt_out(engine, keyed) -> None:
    number, other = "+15557650001", "+15557650002"
    with session_scope(engine) as session:
        opt_outs.opt_out(session, number)
        opt_outs.opt_out(session, other)
    with session_scope(engine) as session:
        found = find_conversation_records(session, number)
        assert found.sms_opt_out and not found.empty
        assert delete_conversation_records(session, number).sms_opt_out
    with session_scope(engine) as session:
        assert find_conversation_records(session, number).empty
        assert opt_outs.is_opted_out(session, other)


# --- The channel's message handling --------------------------------------------------------

class Handled:
    """The channel in front of a recording ``on_new_message``, with a real agent."""

    def __init__(self, fake: FakeProvider) -> None:
        self.provider = fake
        self.config = TwilioSettings(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN,
                                     number="+15550001111", whatsapp_number="+15550002222",
                                     api_url=fake.url)
        self.channel = VerifiedTwilioInput.from_settings(self.config)
        self.agent = Agent(domain=Domain.empty(),
                           tracker_store=InMemoryTrackerStore(Domain.empty()))
        # The server's app, as Rasa's server sets it up (its agent in ``ctx``).
        self.channel.app = Sanic(f"sms_{uuid.uuid4().hex[:8]}")
        self.channel.app.ctx.agent = self.agent
        self.reached: list[UserMessage] = []

        async def on_new_message(message: UserMessage) -> None:
            self.reached.append(message)
            await message.output_channel.send_text_message(message.sender_id, "Thanks.")

        self.handle = self.channel.sms_first(on_new_message)

    async def send(self, sender: str, text: str, metadata: dict | None = None) -> None:
        await self.handle(UserMessage(text, self.channel.get_output_channel(), sender,
                                      input_channel="twilio", metadata=metadata))

    async def bot_said(self, sender: str, text: str, buttons: list | None = None) -> None:
        tracker = await self.agent.tracker_store.get_or_create_tracker(sender)
        tracker.update(UserUttered("hi"))
        tracker.update(BotUttered(text, {"buttons": buttons} if buttons else {}))
        await self.agent.tracker_store.save(tracker)

    def sent_to(self, sender: str) -> list[str]:
        """The bodies of the messages sent to ``sender`` (oldest first)."""
        bodies = []
        for _method, path, body in self.provider.calls:
            if path.endswith("/Messages.json"):
                fields = parse_qs(body.decode())
                if fields.get("To") == [sender]:
                    bodies.append(fields["Body"][0])
        return bodies


@pytest.fixture
def handled(provider, keyed) -> Handled:
    return Handled(provider)


def _number() -> str:
    return f"+1555{uuid.uuid4().int % 10_000_000:07d}"


async def test_stop_confirms_once_then_nothing_is_sent_until_start(handled) -> None:
    number, profile = _number(), load_profile()
    await handled.send(number, "Stop.")
    assert handled.sent_to(number) == [stop_reply(profile)]
    await handled.send(number, "STOP")  # already out: no second confirmation
    await handled.send(number, "What is attachment?")
    await handled.send(number, "HELP")
    assert handled.sent_to(number) == [stop_reply(profile)]
    assert handled.reached == []  # no keyword, and nothing from an opted-out number
    # Whatever tries to send (a retry, a late reply) is held back.
    await handled.channel.get_output_channel().send_text_message(number, "A late reply.")
    assert len(handled.sent_to(number)) == 1

    await handled.send(number, "start")
    assert handled.sent_to(number)[-1] == start_reply(profile)
    await handled.send(number, "What is attachment?")
    assert [m.text for m in handled.reached] == ["What is attachment?"]
    assert handled.sent_to(number)[-1] == "Thanks."


async def test_help_answers_and_start_or_yes_are_ordinary_words_for_a_subscribed_number(
        handled) -> None:
    number = _number()
    await handled.send(number, "help")
    assert handled.sent_to(number) == [help_reply(load_profile())]
    await handled.send(number, "Yes")
    await handled.send(number, "START")
    assert [m.text for m in handled.reached] == ["Yes", "START"]


async def test_whatsapp_stop_is_kept_apart_from_sms(handled) -> None:
    number = _number()
    await handled.send("whatsapp:" + number, "STOP")
    await handled.send(number, "hello")
    assert [m.sender_id for m in handled.reached] == [number]
    assert (len(handled.sent_to("whatsapp:" + number)), len(handled.sent_to(number))) == (1, 1)


async def test_twilio_advanced_opt_out_answered_so_no_second_confirmation(handled) -> None:
    number = _number()
    await handled.send(number, "STOP", {"twilio_opt_out_type": "STOP"})
    assert handled.sent_to(number) == []
    await handled.send(number, "Are you there?")
    assert handled.reached == []  # the opt-out is recorded all the same


async def test_a_number_picks_an_option_of_the_last_bot_message(handled) -> None:
    number = _number()
    await handled.bot_said(number, "Would you like something to read?", BUTTONS)
    await handled.send(number, "2")
    await handled.send(number, "something else")
    assert [m.text for m in handled.reached] == ["/deny", BUTTONS[2]["payload"]]
    assert handled.reached[0].sender_id == number
    # Out of range, or the last bot message had no buttons: the text as it is.
    await handled.send(number, "7")
    await handled.bot_said(number, "Thank you for telling me.")
    await handled.send(number, "1")
    await handled.send(_number(), "1")  # nobody ever wrote to this one
    assert [m.text for m in handled.reached][2:] == ["7", "1", "1"]


async def test_replies_are_plain_numbered_and_split(handled) -> None:
    number = _number()
    output = handled.channel.get_output_channel()
    assert isinstance(output, ApiTwilioOutput)
    # As Rasa sends them: BotUttered.message(), every key present.
    await output.send_response(number, BotUttered("**Pick** one:", {"buttons": BUTTONS}).message())
    long_text = _sentences(20)
    await output.send_response(number, BotUttered(long_text, {"buttons": None}).message())
    await output.send_response("whatsapp:" + number, {"text": long_text})
    sent = handled.sent_to(number)
    assert sent[0] == "Pick one:\n\n" + numbered_options(BUTTONS)
    assert len(sent) > 3 and all(len(part) <= SMS_PART_CHARS for part in sent)
    assert " ".join(sent[1:]) == long_text
    assert handled.sent_to("whatsapp:" + number) == [long_text]


# --- The full stack (needs a trained model) ---------------------------------------------

# The shared messaging stack (tests/messaging_stack.py): Twilio on for SMS and WhatsApp,
# calling the fake provider, the article catalog imported (for the reading links).

class Phone:
    """One person texting the stack, every request signed as Twilio signs it."""

    def __init__(self, stack, provider: FakeProvider, number: str) -> None:  # type: ignore[no-untyped-def]
        self.stack, self.provider, self.number = stack, provider, number
        self.url = f"{stack.url}/webhooks/twilio/webhook"

    def post(self, body: str, signature: str | None = None) -> requests.Response:
        """Posts ``body`` as Twilio would, signed unless ``signature`` is given."""
        to = "whatsapp:+15550002222" if self.whatsapp else "+15550001111"
        params = {"From": self.number, "To": to, "Body": body,
                  "AccountSid": TWILIO_SID, "MessageSid": "SM" + uuid.uuid4().hex,
                  "NumMedia": "0"}
        return requests.post(self.url, data=params, timeout=180, headers={
            "X-Twilio-Signature": signature or twilio_signature(self.url, params)})

    def text(self, body: str) -> list[str]:
        """Sends ``body``, signed; returns what the assistant sent back to this number."""
        before = len(self.received())
        response = self.post(body)
        assert response.status_code == 204, response.text
        return self.received()[before:]

    @property
    def whatsapp(self) -> bool:
        return self.number.startswith("whatsapp:")

    def messages(self) -> list[tuple[str, str]]:
        """Every (From, Body) the provider was asked to send to this number, in order."""
        sent = []
        for _method, path, body in list(self.provider.calls):
            if path.endswith("/Messages.json"):
                fields = parse_qs(body.decode())
                if fields.get("To") == [self.number]:
                    sent.append((fields["From"][0], fields["Body"][0]))
        return sent

    def received(self) -> list[str]:
        return [body for _sender, body in self.messages()]

    def user_texts(self) -> list[str]:
        events = self.stack.tracker(self.number)["events"]
        return [e["text"] for e in events if e["event"] == "user"]

    def bot_events(self) -> list[dict]:
        return [e for e in self.stack.tracker(self.number)["events"] if e["event"] == "bot"]


def _phone(stack, provider) -> Phone:  # type: ignore[no-untyped-def]
    return Phone(stack, provider, f"+1555{int(time.time() * 1000) % 10_000_000:07d}")


@pytest.mark.server
@pytest.mark.model
def test_full_stack_stop_silences_the_number_until_start(messaging_stack, provider) -> None:
    phone, profile = _phone(messaging_stack, provider), load_profile()
    assert phone.text("STOP") == [stop_reply(profile)]
    assert phone.text("What is attachment?") == []
    assert phone.text("I want to end my life") == []  # unread: the person said STOP
    assert phone.user_texts() == []  # keywords and dropped messages leave no trace
    # A forged START (wrong signature) changes nothing.
    assert phone.post("START", signature="forged").status_code == 403
    assert phone.text("What is attachment?") == []
    assert phone.text("START") == [start_reply(profile)]
    answer = phone.text("What is attachment?")
    assert answer and phone.user_texts() == ["What is attachment?"]
    assert all(len(part) <= SMS_PART_CHARS for part in answer)


@pytest.mark.server
@pytest.mark.model
def test_full_stack_help_gives_the_practice_contact(messaging_stack, provider) -> None:
    phone, profile = _phone(messaging_stack, provider), load_profile()
    (reply,) = phone.text("Help")
    assert profile.contact.phone in reply and profile.contact.email in reply
    assert phone.user_texts() == []


@pytest.mark.server
@pytest.mark.model
def test_full_stack_a_number_picks_a_button(messaging_stack, provider) -> None:
    phone = _phone(messaging_stack, provider)
    sent: list[str] = []
    # Messages whose answers come with buttons (the greeting's topics, the reading offer).
    for question in ("Hello", "Hi there", "What is attachment?"):
        sent = phone.text(question)
        if phone.bot_events()[-1].get("data", {}).get("buttons"):
            break
    buttons = phone.bot_events()[-1]["data"]["buttons"]
    assert buttons, "no answer came with buttons"
    assert sent[-1].endswith(NUMBER_PROMPT) and f"1. {plain_text(buttons[0]['title'])}" in sent[-1]
    phone.text("1")
    assert phone.user_texts()[-1] == buttons[0]["payload"]


@pytest.mark.server
@pytest.mark.model
def test_full_stack_a_long_answer_arrives_as_short_messages(messaging_stack, provider) -> None:
    phone = _phone(messaging_stack, provider)
    first = phone.text("What is secure attachment?")
    bots = phone.bot_events()
    answer = next(e for e in bots if str(e.get("metadata", {}).get("utter_action", ""))
                  .startswith("utter_faq/"))
    assert len(plain_text(answer["text"])) > SMS_PART_CHARS
    assert all(len(part) <= SMS_PART_CHARS for part in first)
    assert plain_text(answer["text"]) not in "\n".join(first)  # the short form went out
    assert "Short version for text messages" in "\n".join(first)
    # "Tell me more" has no short form: it arrives whole, in several messages, in order.
    more = phone.text("tell me more")
    deeper = phone.bot_events()[len(bots):]
    longest = max(deeper, key=lambda e: len(e.get("text") or ""))
    assert len(plain_text(longest["text"])) > SMS_PART_CHARS
    assert len(more) >= 2 and all(len(part) <= SMS_PART_CHARS for part in more)
    joined = " ".join(" ".join(more).split())
    assert " ".join(plain_text(longest["text"]).split()) in joined


FAQ_QUESTION = "what is anxious attachment?"
READING_REQUEST = "do you have an article about anxious attachment?"
CRISIS = "I want to kill myself"
#: Markdown and HTML that must never reach a text message.
MARKUP = ("**", "__", "](", "<a ", "</", "<br", "`", "&amp;", "&lt;")


def _after_disclosure(phone: Phone, sent: list[str]) -> list[str]:
    """``sent`` without the first-message disclosure, which must come first."""
    from secure_base.messaging.cross_channel import disclosure_text

    disclosure = text_message_parts(disclosure_text(load_profile()), [], phone.whatsapp)
    assert sent[:len(disclosure)] == disclosure, sent
    return sent[len(disclosure):]


def _faq_answer_parts(phone: Phone, responses: dict) -> list[str]:
    """The messages the tracker's anxious-attachment answer should have become."""
    name = "utter_faq/anxious_attachment"
    answer = next(e for e in phone.bot_events()
                  if e.get("metadata", {}).get("utter_action") == name)
    return text_message_parts(answer["text"], answer["data"].get("buttons") or [],
                              phone.whatsapp, name, responses, load_profile())


def _in_order(parts: list[str], sent: list[str]) -> bool:
    """Whether ``parts`` were sent one after another."""
    return any(sent[i:i + len(parts)] == parts for i in range(len(sent)))


def _assert_crisis_lines(phone: Phone) -> None:
    lines = load_profile().crisis.current().lines
    assert any("988" in line for line in lines)  # practice.yml's US lines
    after = "\n".join(_after_disclosure(phone, phone.text(CRISIS)))
    # The disclosure names the lines too: they must also come in the reply itself.
    assert all(line in after for line in lines), after
    assert phone.user_texts() == [CRISIS]


@pytest.mark.server
@pytest.mark.model
def test_full_stack_faq_answer_is_plain_text_within_sms_limits(messaging_stack, provider,
                                                               responses) -> None:
    phone = _phone(messaging_stack, provider)
    replies = _after_disclosure(phone, phone.text(FAQ_QUESTION))
    expected = _faq_answer_parts(phone, responses)
    assert expected and _in_order(expected, replies), (expected, replies)
    assert all(len(part) <= SMS_PART_CHARS for part in replies)
    assert not [part for part in replies if any(mark in part for mark in MARKUP)]
    assert all(sender == "+15550001111" for sender, _body in phone.messages())


@pytest.mark.server
@pytest.mark.model
def test_full_stack_reading_request_gets_a_title_and_its_link(
        messaging_stack, provider) -> None:
    import re

    from tests.test_messaging_replies import catalog_links

    phone = _phone(messaging_stack, provider)
    replies = _after_disclosure(phone, phone.text(READING_REQUEST))
    catalog = dict((url, title) for title, url in catalog_links())
    # Links are the profile's article base URL and a slug (practice.yml: articles).
    base = str(load_profile().articles.base_url).rstrip("/")
    sent = [(part, url) for part in replies
            for url in re.findall(re.escape(base) + r"/[a-z0-9-]+", part)]
    assert sent, replies
    for part, url in sent:
        assert url in catalog and catalog[url] in part, (url, part)
    assert not [part for part in replies if any(mark in part for mark in MARKUP)]
    assert all(len(part) <= SMS_PART_CHARS for part in replies)


@pytest.mark.server
@pytest.mark.model
def test_full_stack_crisis_message_gets_the_crisis_lines(messaging_stack, provider) -> None:
    _assert_crisis_lines(_phone(messaging_stack, provider))


@pytest.mark.server
@pytest.mark.model
def test_full_stack_crisis_lines_without_the_action_server(messaging_stack, provider) -> None:
    messaging_stack.stop("actions")
    try:
        _assert_crisis_lines(_phone(messaging_stack, provider))
    finally:
        messaging_stack.start_actions()


@pytest.mark.server
@pytest.mark.model
def test_full_stack_whatsapp_is_answered_from_the_whatsapp_number(messaging_stack, provider,
                                                                  responses) -> None:
    sms = _phone(messaging_stack, provider)
    phone = Phone(messaging_stack, provider, "whatsapp:" + sms.number)
    replies = _after_disclosure(phone, phone.text(FAQ_QUESTION))
    # WhatsApp gets the whole answer (no short form), in its own limits.
    expected = _faq_answer_parts(phone, responses)
    assert expected and _in_order(expected, replies), (expected, replies)
    assert all(len(part) <= WHATSAPP_PART_CHARS for part in replies)
    assert {sender for sender, _body in phone.messages()} == {"whatsapp:+15550002222"}
    assert sms.received() == []  # nothing went to the same number over SMS


# Two servers behind one number: the session's scale-out pair (tests/conftest.py:
# endpoints.scale.yml, one action server, one PostgreSQL application database).


@pytest.mark.server
@pytest.mark.model
@pytest.mark.postgres
@pytest.mark.redis
def test_two_servers_share_opt_outs_and_the_last_options(scale_servers, provider) -> None:
    from sqlalchemy import text

    from secure_base.db import make_engine
    from tests.conftest import POSTGRES_URL

    first, second = scale_servers
    on_a = _phone(first, provider)
    on_b = Phone(second, provider, on_a.number)
    try:
        assert on_a.text("STOP") == [stop_reply(load_profile())]
        assert on_b.text("What is attachment?") == []  # B knows A's opt-out
        assert on_b.text("START") == [start_reply(load_profile())]
        greeting = on_a.text("Hello")
        buttons = on_a.bot_events()[-1]["data"]["buttons"]
        assert buttons and greeting[-1].endswith(NUMBER_PROMPT)
        on_b.text("1")  # B reads the options A sent from the shared tracker
        assert on_b.user_texts() == ["Hello", buttons[0]["payload"]]
    finally:
        engine = make_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM events WHERE sender_id = :sender"),
                         {"sender": on_a.number})
        engine.dispose()
