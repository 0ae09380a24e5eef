"""Replies shaped for Telegram, Messenger and Slack (secure_base/messaging/render.py).

Pure rendering is checked directly. The channels are then checked end to end through a
real Sanic server with the verified webhooks (tests/test_messaging_webhooks.py's
harness): a signed update comes in, the test's ``answer`` replies through the channel's
real output, and the local fake provider records the exact API calls that went out.
The full-stack tests at the end run the real Rasa and action servers with a trained
model (markers ``server`` and ``model``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from secure_base.messaging.facebook import VerifiedFacebookInput
from secure_base.messaging.render import (
    Span,
    article_card,
    parse_markup,
    plain_text,
    reply_spans,
    slack_mrkdwn,
    split_spans,
    telegram_html,
    visible_length,
)
from secure_base.messaging.slack import VerifiedSlackInput
from secure_base.messaging.telegram import (
    EXPIRED_BUTTON_REPLY,
    TOKEN_PREFIX,
    VerifiedTelegramInput,
    callback_data,
)
from secure_base.settings import FacebookSettings, SlackSettings, TelegramSettings
from tests.test_messaging_webhooks import (
    FB_SECRET,
    FB_VERIFY,
    SLACK_SECRET,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    FakeProvider,
    Webhooks,
    _serve,
    messenger_event,
    post_messenger,
    post_slack,
    post_telegram,
    run_fake_provider,
    sha256_header,
    slack_event,
    slack_headers,
    telegram_update,
)

MARKUP = ("Read **this** and _that_: [Anxious attachment](https://example.org/a?x=1&y=2). "
          "Also <b>bold</b> &amp; <a href=\"https://example.org/b\">a link</a><br>done.")
#: What the person wrote, quoted back in the intake summary.
QUOTED = "**urgent** <b>now</b> [click](https://evil.example) <!channel> a_b_c"
YES_NO = [{"title": "Yes, I agree", "payload": "Yes"}, {"title": "No", "payload": "No"}]
LONG_PAYLOAD = "/faq" + json.dumps({"topic": "neurodivergence_and_attachment",
                                    "note": "x" * 60})
PHQ = [{"title": "Not at all", "payload": "0 - Not at all"},
       {"title": "Several days", "payload": "1 - Several days"},
       {"title": "More than half the days", "payload": "2 - More than half the days"},
       {"title": "Nearly every day", "payload": "3 - Nearly every day"}]


def long_text(sentences: int) -> str:
    return " ".join(f"Sentence number {i} is here to make the reply long." for i in
                    range(sentences))


# --- Rendering ---------------------------------------------------------------------------

def test_markdown_and_html_become_each_channels_own_formatting() -> None:
    spans = parse_markup(MARKUP)
    assert telegram_html(spans) == (
        'Read <b>this</b> and <i>that</i>: <a href="https://example.org/a?x=1&amp;y=2">'
        'Anxious attachment</a>. Also <b>bold</b> &amp; '
        '<a href="https://example.org/b">a link</a>\ndone.')
    assert plain_text(spans) == (
        "Read this and that: Anxious attachment: https://example.org/a?x=1&y=2. "
        "Also bold & a link: https://example.org/b\ndone.")
    assert slack_mrkdwn(spans) == (
        "Read *this* and _that_: <https://example.org/a?x=1&amp;y=2|Anxious attachment>. "
        "Also *bold* &amp; <https://example.org/b|a link>\ndone.")


@pytest.mark.parametrize("text", [
    "sam_lee@example.com and snake_case_words", "5 * 3 * 2 = 30", "**not closed",
    "a < b & c > d", "[no link](javascript:alert(1))", "<script>alert(1)</script>x",
])
def test_text_that_is_not_markup_stays_as_written_and_escaped(text: str) -> None:
    spans = parse_markup(text)
    assert all(span.kind == "text" for span in spans)
    shown = plain_text(spans)
    assert "<" not in telegram_html(spans).replace("&lt;", "")
    if "<script>" in text:
        assert shown == "alert(1)x"  # an unknown tag is dropped, never shown
    else:
        assert shown == text
    assert "href" not in telegram_html(spans)


def test_the_persons_own_words_are_never_rendered() -> None:
    quoted = reply_spans(f"Reason: {QUOTED}", "utter_intake_summary")
    assert quoted == [Span("text", f"Reason: {QUOTED}")]
    assert telegram_html(quoted) == (
        "Reason: **urgent** &lt;b&gt;now&lt;/b&gt; [click](https://evil.example) "
        "&lt;!channel&gt; a_b_c")
    assert slack_mrkdwn(quoted) == (
        "Reason: **urgent** &lt;b&gt;now&lt;/b&gt; [click](https://evil.example) "
        "&lt;!channel&gt; a_b_c")
    # Any other reply is read for markup.
    assert [s.kind for s in reply_spans("**hi**", "utter_greet")] == ["bold"]


def test_long_text_is_cut_at_sentence_ends_within_the_limit() -> None:
    text = long_text(120)
    parts = split_spans(parse_markup(text), 500, visible_length)
    assert len(parts) > 1
    for part in parts:
        shown = plain_text(part)
        assert visible_length(part) <= 500 and shown.endswith("long.")
        assert shown.startswith("Sentence number")
    assert " ".join(plain_text(p) for p in parts) == text


def test_a_link_is_never_cut_and_a_huge_word_is_cut_anywhere() -> None:
    spans = parse_markup("Intro. " + "x" * 150 + " [A title](https://example.org/long) end.")
    parts = split_spans(spans, 60, lambda p: len(telegram_html(p)))
    assert all(len(telegram_html(p)) <= 60 for p in parts)
    links = [s for part in parts for s in part if s.kind == "link"]
    assert links == [Span("link", "A title", "https://example.org/long")]
    assert "".join(plain_text(p) for p in parts[1:-1]) == "x" * 150


def test_article_card_gives_title_and_link() -> None:
    card = {"data": {"type": "article", "title": "Anxious attachment", "summary": "s",
                     "url": "https://example.org/articles/anxious"}}
    assert article_card(card) == ("Anxious attachment", "https://example.org/articles/anxious")
    assert article_card({"type": "article", "title": "x", "url": "javascript:1"}) is None
    assert article_card({"type": "other"}) is None


def test_long_payloads_get_a_short_stable_token() -> None:
    assert callback_data("Yes") == "Yes"
    token = callback_data(LONG_PAYLOAD)
    assert token.startswith(TOKEN_PREFIX) and len(token.encode()) <= 64
    assert token == callback_data(LONG_PAYLOAD) != callback_data(LONG_PAYLOAD + " ")
    # A payload that looks like a token is never sent as itself.
    assert callback_data(TOKEN_PREFIX + "x") != TOKEN_PREFIX + "x"


# --- Each channel, through the verified webhooks ------------------------------------------

#: What the test assistant answers to each message text (Rasa's message dicts).
REPLIES: dict[str, dict] = {
    "markup": {"text": MARKUP},
    "buttons": {"text": "Do you **agree**?", "buttons": YES_NO},
    "phq": {"text": "How often?", "buttons": PHQ},
    "many": {"text": "Pick one", "buttons": [{"title": f"Option {i}", "payload": f"/o{i}"}
                                            for i in range(15)]},
    "long payload": {"text": "Which?", "buttons": [{"title": "This topic",
                                                    "payload": LONG_PAYLOAD}]},
    "long": {"text": long_text(120)},
    "card": {"text": None, "custom": {"data": {
        "type": "article", "title": "Anxious <attachment>", "summary": "s",
        "url": "https://example.org/articles/anxious"}}},
    "summary": {"text": f"Reason: {QUOTED}", "utter_action": "utter_intake_summary"},
}


async def answer(message: UserMessage) -> None:
    reply = REPLIES.get(message.text or "", {"text": "Thanks."})
    await message.output_channel.send_response(message.sender_id, dict(reply))


def _channels(provider: FakeProvider) -> list:
    return [
        VerifiedTelegramInput.from_settings(TelegramSettings(
            token=TELEGRAM_TOKEN, bot_name="@secure_base_bot", secret=TELEGRAM_SECRET,
            api_url=provider.url)),
        VerifiedFacebookInput.from_settings(FacebookSettings(
            verify=FB_VERIFY, secret=FB_SECRET, page_token="page-token",
            api_url=provider.url)),
        VerifiedSlackInput.from_settings(SlackSettings(
            token="xoxb-test", signing_secret=SLACK_SECRET, api_url=provider.url + "/")),
    ]


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    yield from run_fake_provider()


@pytest.fixture(scope="module")
def served(provider: FakeProvider) -> Iterator[tuple[Webhooks, list]]:
    channels = _channels(provider)
    for hooks in _serve({"/webhooks/": channels}, answer):
        yield hooks, channels


@pytest.fixture()
def hooks(served, provider: FakeProvider) -> Webhooks:  # type: ignore[no-untyped-def]
    served[0].received.clear()
    provider.calls.clear()
    return served[0]


def _wait_for_calls(provider: FakeProvider, suffix: str, count: int = 1) -> list[bytes]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        bodies = [body for _m, path, body in provider.calls if path.split("?")[0].endswith(suffix)]
        if len(bodies) >= count:
            return bodies
        time.sleep(0.05)
    return [body for _m, path, body in provider.calls if path.split("?")[0].endswith(suffix)]


def telegram_sent(provider: FakeProvider) -> list[dict[str, str]]:
    """Every sendMessage call's form fields."""
    return [{k: v[0] for k, v in parse_qs(body.decode()).items()}
            for body in _wait_for_calls(provider, "/sendMessage")]


def messenger_sent(provider: FakeProvider) -> list[dict]:
    """Every message sent through the Send API (sender actions left out)."""
    bodies = [json.loads(body) for _m, path, body in provider.calls if "/me/messages" in path]
    return [body for body in bodies if "message" in body]


def slack_sent(provider: FakeProvider, count: int = 1) -> list[dict]:
    return [json.loads(body) for body in _wait_for_calls(provider, "/chat.postMessage", count)]


def press(callback: str, chat_id: int = 42) -> dict:
    return {"update_id": 11, "callback_query": {
        "id": "press-1", "chat_instance": "1", "data": callback,
        "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
        "message": {"message_id": 2, "date": 0, "chat": {"id": chat_id, "type": "private"}}}}


def test_telegram_formatting_is_escaped_html(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("markup")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert sent == {"chat_id": "42", "parse_mode": "HTML",
                    "text": telegram_html(parse_markup(MARKUP))}
    assert "**" not in sent["text"] and "](" not in sent["text"]


def test_telegram_quoted_words_are_sent_escaped(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("summary")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert sent["text"] == ("Reason: **urgent** &lt;b&gt;now&lt;/b&gt; "
                            "[click](https://evil.example) &lt;!channel&gt; a_b_c")


def test_telegram_buttons_are_an_inline_keyboard_and_a_press_is_the_payload(
        hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("buttons")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert sent["text"] == "Do you <b>agree</b>?"
    assert json.loads(sent["reply_markup"]) == {"inline_keyboard": [[
        {"text": "Yes, I agree", "callback_data": "Yes"},
        {"text": "No", "callback_data": "No"}]]}
    assert post_telegram(hooks, press("Yes")).status_code == 200
    assert [m.text for m in hooks.received] == ["buttons", "Yes"]
    (answered,) = _wait_for_calls(provider, "/answerCallbackQuery")
    assert parse_qs(answered.decode())["callback_query_id"] == ["press-1"]


def test_telegram_long_titles_get_a_row_each(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("phq")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert json.loads(sent["reply_markup"])["inline_keyboard"] == [
        [{"text": b["title"], "callback_data": b["payload"]}] for b in PHQ]


def test_telegram_long_payload_travels_as_a_token_read_back_from_the_tracker(
        served, hooks, provider) -> None:
    _hooks, channels = served
    telegram = channels[0]
    store = InMemoryTrackerStore(Domain.empty())
    telegram._app.ctx.agent.tracker_store = store
    assert post_telegram(hooks, telegram_update("long payload")).status_code == 200
    (sent,) = telegram_sent(provider)
    ((key,),) = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert key["text"] == "This topic" and key["callback_data"].startswith(TOKEN_PREFIX)
    assert len(key["callback_data"].encode()) <= 64

    # Not in the conversation yet (the test assistant keeps no tracker): refused kindly.
    provider.calls.clear()
    assert post_telegram(hooks, press(key["callback_data"])).status_code == 200
    assert [s["text"] for s in telegram_sent(provider)] == [EXPIRED_BUTTON_REPLY]
    assert [m.text for m in hooks.received] == ["long payload"]

    # Once the conversation holds the message with that button, the press is its payload.
    tracker = DialogueStateTracker.from_events("42", [BotUttered(
        "Which?", data={"buttons": REPLIES["long payload"]["buttons"]})])
    asyncio.run(store.save(tracker))
    assert post_telegram(hooks, press(key["callback_data"])).status_code == 200
    assert [m.text for m in hooks.received] == ["long payload", LONG_PAYLOAD]
    assert post_telegram(hooks, press(TOKEN_PREFIX + "forged")).status_code == 200
    assert [m.text for m in hooks.received] == ["long payload", LONG_PAYLOAD]


def test_telegram_long_text_is_sent_in_parts_under_4096(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("long")).status_code == 200
    parts = [s["text"] for s in telegram_sent(provider)]
    assert len(parts) == 2
    assert all(len(p) <= 4096 and p.endswith("long.") for p in parts)
    assert " ".join(parts) == long_text(120)


def test_telegram_article_card_is_title_and_link(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("card")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert sent["text"] == ('Anxious &lt;attachment&gt;\n<a href="https://example.org/'
                            'articles/anxious">https://example.org/articles/anxious</a>')


def post_messenger_event(hooks: Webhooks, event: dict) -> requests.Response:
    body = json.dumps(event).encode()
    return post_messenger(hooks, body, sha256_header(body))


def test_messenger_replies_are_plain_text(hooks, provider) -> None:
    assert post_messenger_event(hooks, messenger_event("markup")).status_code == 200
    assert post_messenger_event(hooks, messenger_event("summary")).status_code == 200
    assert [m["message"] for m in messenger_sent(provider)] == [
        {"text": "Read this and that: Anxious attachment: https://example.org/a?x=1&y=2. "
                 "Also bold & a link: https://example.org/b\ndone."},
        {"text": f"Reason: {QUOTED}"}]
    assert messenger_sent(provider)[0]["recipient"] == {"id": "psid-1"}


def test_messenger_buttons_are_quick_replies_and_a_tap_is_the_payload(hooks, provider) -> None:
    assert post_messenger_event(hooks, messenger_event("buttons")).status_code == 200
    (sent,) = messenger_sent(provider)
    assert sent["message"] == {"text": "Do you agree?", "quick_replies": [
        {"content_type": "text", "title": "Yes, I agree", "payload": "Yes"},
        {"content_type": "text", "title": "No", "payload": "No"}]}
    tap = messenger_event("Yes, I agree")
    tap["entry"][0]["messaging"][0]["message"]["quick_reply"] = {"payload": "Yes"}
    assert post_messenger_event(hooks, tap).status_code == 200
    assert [m.text for m in hooks.received] == ["buttons", "Yes"]


def test_messenger_long_titles_are_numbered_and_too_many_are_listed(hooks, provider) -> None:
    assert post_messenger_event(hooks, messenger_event("phq")).status_code == 200
    assert post_messenger_event(hooks, messenger_event("many")).status_code == 200
    phq, many = (m["message"] for m in messenger_sent(provider))
    assert phq == {"text": "How often?\n\n1. Not at all\n2. Several days\n"
                           "3. More than half the days\n4. Nearly every day",
                   "quick_replies": [{"content_type": "text", "title": str(n),
                                      "payload": b["payload"]}
                                     for n, b in enumerate(PHQ, start=1)]}
    assert many == {"text": "Pick one\n\n" + "\n".join(f"• Option {i}" for i in range(15))}


def test_messenger_long_text_is_cut_under_2000(hooks, provider) -> None:
    assert post_messenger_event(hooks, messenger_event("long")).status_code == 200
    parts = [m["message"]["text"] for m in messenger_sent(provider)]
    assert len(parts) == 4
    assert all(len(p) <= 2000 and p.endswith("long.") for p in parts)
    assert " ".join(parts) == long_text(120)


def test_messenger_article_card_is_title_colon_link(hooks, provider) -> None:
    assert post_messenger_event(hooks, messenger_event("card")).status_code == 200
    (sent,) = messenger_sent(provider)
    assert sent["message"] == {
        "text": "Anxious <attachment>\nhttps://example.org/articles/anxious"}


def post_slack_event(hooks: Webhooks, text: str) -> None:
    body = slack_event(text)
    assert post_slack(hooks, body, slack_headers(body)).status_code == 200


def test_slack_replies_are_mrkdwn_sections_with_escaping(hooks, provider) -> None:
    post_slack_event(hooks, "markup")
    (sent,) = slack_sent(provider)
    assert sent["channel"] == "D1"
    assert sent["blocks"] == [{"type": "section", "text": {
        "type": "mrkdwn", "text": slack_mrkdwn(parse_markup(MARKUP))}}]
    assert "<https://example.org/a?x=1&amp;y=2|Anxious attachment>" in sent["blocks"][0][
        "text"]["text"]
    provider.calls.clear()
    post_slack_event(hooks, "summary")
    (sent,) = slack_sent(provider)
    assert sent["blocks"][0]["text"]["text"] == (
        "Reason: **urgent** &lt;b&gt;now&lt;/b&gt; [click](https://evil.example) "
        "&lt;!channel&gt; a_b_c")
    assert "<!channel>" not in sent["text"]


def slack_click(value: str, user: str = "U1") -> bytes:
    return urlencode({"payload": json.dumps({
        "type": "block_actions", "user": {"id": user}, "channel": {"id": "D1"},
        "message": {"ts": "1.0"}, "actions": [{"type": "button", "action_id": "choice_1",
                                               "value": value, "block_id": "b"}]})}).encode()


def test_slack_buttons_are_an_actions_block_and_a_click_is_the_payload(hooks, provider) -> None:
    post_slack_event(hooks, "buttons")
    (sent,) = slack_sent(provider)
    assert sent["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Do you *agree*?"}},
        {"type": "actions", "elements": [
            {"type": "button", "action_id": "choice_1",
             "text": {"type": "plain_text", "text": "Yes, I agree", "emoji": True},
             "value": "Yes"},
            {"type": "button", "action_id": "choice_2",
             "text": {"type": "plain_text", "text": "No", "emoji": True}, "value": "No"}]}]
    assert sent["text"] == "Do you agree?"
    body = slack_click("Yes")
    headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
    assert post_slack(hooks, body, headers).status_code == 200
    hooks.wait_for(2)
    assert [(m.text, m.sender_id) for m in hooks.received] == [("buttons", "U1"), ("Yes", "U1")]
    # A forged click (wrong signature) never reaches the assistant.
    forged = slack_click("No")
    bad = slack_headers(forged, secret="other", content_type="application/x-www-form-urlencoded")
    assert post_slack(hooks, forged, bad).status_code == 403


def test_slack_interactions_with_nothing_to_read_are_acknowledged(hooks, provider) -> None:
    for payload in ({"type": "shortcut", "user": {"id": "U1"}},
                    {"type": "block_actions", "user": {"id": "U1"},
                     "actions": [{"type": "rich_text_input"}]}):
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
        assert post_slack(hooks, body, headers).status_code == 200
    time.sleep(0.3)
    assert not hooks.received


def test_slack_long_text_is_split_into_blocks_under_3000(hooks, provider) -> None:
    post_slack_event(hooks, "long")
    (sent,) = slack_sent(provider)
    texts = [block["text"]["text"] for block in sent["blocks"]]
    assert len(texts) == 3
    assert all(len(t) <= 3000 and t.endswith("long.") for t in texts)
    assert " ".join(texts) == long_text(120)


def test_slack_article_card_is_a_mrkdwn_link(hooks, provider) -> None:
    post_slack_event(hooks, "card")
    (sent,) = slack_sent(provider)
    assert sent["blocks"] == [{"type": "section", "text": {
        "type": "mrkdwn",
        "text": "Anxious &lt;attachment&gt;\n<https://example.org/articles/anxious>"}}]


def test_slack_long_button_titles_are_shortened(hooks, provider) -> None:
    REPLIES["wide"] = {"text": "Pick", "buttons": [{"title": "t" * 100, "payload": "/p"}]}
    try:
        post_slack_event(hooks, "wide")
        (sent,) = slack_sent(provider)
    finally:
        del REPLIES["wide"]
    (button,) = sent["blocks"][1]["elements"]
    assert button["text"]["text"] == "t" * 74 + "…" and button["value"] == "/p"


def test_articles_file_gives_title_and_url_to_text_channels() -> None:
    """The non-web variant of ``utter_article`` is the title and the bare link."""
    import yaml

    responses = yaml.safe_load(Path("data/responses/articles.yml").read_text())["responses"]
    variants = responses["utter_article"]
    assert {"text": "{title}\n{url}"} in variants
    assert re.search(r"\[|\*|<", variants[-1]["text"]) is None
