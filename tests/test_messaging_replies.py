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
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from secure_base.messaging import replies
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
from tests.fake_provider import FakeProvider
from tests.messaging_stack import (
    FB_PAGE_TOKEN,
    FB_SECRET,
    FB_VERIFY,
    SLACK_SECRET,
    SLACK_TOKEN,
    TELEGRAM_BOT_NAME,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
)
from tests.test_messaging_webhooks import (
    Webhooks,
    _serve,
    messenger_event,
    post_messenger,
    post_slack,
    post_telegram,
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


def test_bare_links_and_headings() -> None:
    spans = parse_markup("## Reading\nSee https://example.org/_drafts_/a and _this_")
    assert spans == [Span("bold", "Reading"),
                     Span("text", "\nSee https://example.org/_drafts_/a and "),
                     Span("italic", "this")]


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
    # Any other reply is read for markup, except the values filled into it.
    assert [s.kind for s in reply_spans("**hi**", "utter_greet")] == ["bold"]
    value = "<b>x</b> _y_ [z](https://evil.example)"
    filled = reply_spans(f"I've changed your **reason** to {value}. See [the article]"
                         "(https://example.org/a).", "utter_other",
                         {"field": "reason", "value": value, "url": "https://example.org/a",
                          "utter_action": "utter_other", "timestamp": 1.0})
    assert filled == [Span("text", "I've changed your "), Span("bold", "reason"),
                      Span("text", f" to {value}. See "),
                      Span("link", "the article", "https://example.org/a"),
                      Span("text", ".")]


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


def test_a_word_that_grows_when_escaped_is_still_cut_within_the_limit() -> None:
    parts = split_spans(parse_markup("&" * 7000), 3000, lambda p: len(slack_mrkdwn(p)))
    assert all(len(slack_mrkdwn(p)) <= 3000 for p in parts)
    assert "".join(plain_text(p) for p in parts) == "&" * 7000


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
    "link button": {"text": "More", "buttons": [
        {"title": "Book online", "url": "https://practice.example/book"},
        {"title": "No", "payload": "/deny"}]},
    "corrected": {"text": f"Changed your **reason** to {QUOTED}.", "value": QUOTED,
                  "field": "reason", "utter_action": "utter_some_correction"},
}


async def answer(message: UserMessage) -> None:
    reply = REPLIES.get(message.text or "", {"text": "Thanks."})
    await message.output_channel.send_response(message.sender_id, dict(reply))


def _channels(provider: FakeProvider) -> list:
    return [
        VerifiedTelegramInput.from_settings(TelegramSettings(
            token=TELEGRAM_TOKEN, bot_name="@" + TELEGRAM_BOT_NAME, secret=TELEGRAM_SECRET,
            api_url=provider.url)),
        VerifiedFacebookInput.from_settings(FacebookSettings(
            verify=FB_VERIFY, secret=FB_SECRET, page_token=FB_PAGE_TOKEN,
            api_url=provider.url)),
        VerifiedSlackInput.from_settings(SlackSettings(
            token=SLACK_TOKEN, signing_secret=SLACK_SECRET, api_url=provider.url + "/")),
    ]


@pytest.fixture(scope="module")
def served(fake_provider: FakeProvider) -> Iterator[tuple[Webhooks, list]]:
    channels = _channels(fake_provider)
    for hooks in _serve({"/webhooks/": channels}, answer):
        yield hooks, channels


class _EveryoneDisclosedTo(replies.DisclosedSenders):
    """Every sender counts as answered before: these tests look at the replies alone
    (the first-message disclosure has its own tests in tests/test_cross_channel.py)."""

    def __contains__(self, key: tuple[str, str]) -> bool:
        return True


@pytest.fixture()
def hooks(served, provider: FakeProvider, monkeypatch) -> Webhooks:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(replies, "disclosed_senders", _EveryoneDisclosedTo())
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


def test_filled_in_words_are_escaped_on_every_channel(hooks, provider) -> None:
    assert post_telegram(hooks, telegram_update("corrected")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert sent["text"] == ("Changed your <b>reason</b> to **urgent** &lt;b&gt;now&lt;/b&gt; "
                            "[click](https://evil.example) &lt;!channel&gt; a_b_c.")
    body = json.dumps(messenger_event("corrected")).encode()
    assert post_messenger(hooks, body, sha256_header(body)).status_code == 200
    (sent,) = messenger_sent(provider)
    assert sent["message"] == {"text": f"Changed your reason to {QUOTED}."}
    post_slack_event(hooks, "corrected")
    (sent,) = slack_sent(provider)
    assert sent["blocks"][0]["text"]["text"] == (
        "Changed your *reason* to **urgent** &lt;b&gt;now&lt;/b&gt; "
        "[click](https://evil.example) &lt;!channel&gt; a_b_c.")


def test_a_button_that_opens_a_page_is_a_link_on_every_channel(hooks, provider) -> None:
    url = "https://practice.example/book"
    assert post_telegram(hooks, telegram_update("link button")).status_code == 200
    (sent,) = telegram_sent(provider)
    assert json.loads(sent["reply_markup"]) == {"inline_keyboard": [[
        {"text": "Book online", "url": url}, {"text": "No", "callback_data": "/deny"}]]}
    body = json.dumps(messenger_event("link button")).encode()
    assert post_messenger(hooks, body, sha256_header(body)).status_code == 200
    (sent,) = messenger_sent(provider)
    assert sent["message"] == {"text": f"More\n\nBook online: {url}", "quick_replies": [
        {"content_type": "text", "title": "No", "payload": "/deny"}]}
    post_slack_event(hooks, "link button")
    (sent,) = slack_sent(provider)
    assert sent["blocks"][1]["elements"] == [
        {"type": "button", "action_id": "choice_1", "url": url,
         "text": {"type": "plain_text", "emoji": True, "text": "Book online"}},
        {"type": "button", "action_id": "choice_2", "value": "/deny",
         "text": {"type": "plain_text", "emoji": True, "text": "No"}}]


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


# --- The full stack: real Rasa and action servers, a trained model ----------------------

FAQ_QUESTION = "what is anxious attachment"
READING_REQUEST = "can you send me something to read about anxious attachment"
CRISIS = "I want to kill myself"
# Asking for a callback: its consent question has yes/no buttons on every channel (the
# intake, which has them too, runs on the website only: practice.yml channels.intake).
CALLBACK = "Can someone from the practice call me back?"
#: The reading offer under a first FAQ answer (actions/articles.py: OFFER_BUTTONS).
OFFER = [("Tell me more", "/tell_me_more"), ("Something to read", "/request_articles")]


def faq_answer_text() -> str:
    """The domain's answer to FAQ_QUESTION (one variation, no markup)."""
    import yaml

    responses = yaml.safe_load(Path("data/responses/faq_attachment.yml").read_text())
    (variation,) = responses["responses"]["utter_faq/anxious_attachment"]
    assert [s.kind for s in parse_markup(variation["text"])] == ["text"]
    return variation["text"]


def catalog_links() -> set[tuple[str, str]]:
    """Every article's (title, link) as the assistant sends them."""
    from secure_base.catalog.articles import article_files, parse_article
    from secure_base.catalog.models import article_url
    from secure_base.profile import load_profile

    base = str(load_profile().articles.base_url)
    links = set()
    for path in article_files(Path("articles")):
        article, _problems = parse_article(path)
        assert article is not None
        links.add((article.title, article.url or article_url(base, article.slug)))
    return links


def crisis_line() -> str:
    from secure_base.profile import load_profile

    return load_profile().crisis.current().lines[0]


class Chat:
    """One conversation on one channel of the full stack, seen from the provider's side."""

    def __init__(self, channel: str, stack, provider: FakeProvider) -> None:  # type: ignore[no-untyped-def]
        self.channel, self.stack, self.provider = channel, stack, provider
        number = time.time_ns() // 1000 % 10_000_000_000
        self.id = {"telegram": str(7_000_000_000 + number), "facebook": f"psid-{number}",
                   "slack": f"U{number}"}[channel]

    @property
    def webhook(self) -> str:
        return f"{self.stack.url}/webhooks/{self.channel}/webhook"

    def sent(self) -> list[dict]:
        """Every message sent to this conversation, as the provider received it."""
        messages = []
        for _method, path, body in list(self.provider.calls):
            path = path.split("?")[0]
            if self.channel == "telegram" and path.endswith("/sendMessage"):
                fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                if fields.get("chat_id") == self.id:
                    messages.append(fields)
            elif self.channel == "facebook" and path.endswith("/me/messages"):
                data = json.loads(body)
                if data.get("recipient", {}).get("id") == self.id and "message" in data:
                    messages.append(data["message"])
            elif self.channel == "slack" and path.endswith("/chat.postMessage"):
                data = json.loads(body)
                if data.get("channel") == f"D{self.id}":
                    messages.append(data)
        return messages

    def texts(self) -> list[str]:
        """The text of every message sent (Slack: of each section block)."""
        return [text for message in self.sent() for text in texts_of(self.channel, message)]

    def request(self, text: str | None = None, payload: str | None = None,
                secret: str | None = None) -> requests.Response:
        """Posts a message (``text``) or a button press (``payload``), signed with
        ``secret`` (the channel's own by default)."""
        if self.channel == "telegram":
            update = (press(payload, int(self.id)) if payload is not None
                      else telegram_update(text or "", int(self.id)))
            return requests.post(self.webhook, json=update, timeout=120, headers={
                "X-Telegram-Bot-Api-Secret-Token": secret or TELEGRAM_SECRET})
        if self.channel == "facebook":
            event = messenger_event(text or "tapped")
            messaging = event["entry"][0]["messaging"][0]
            messaging["sender"]["id"] = self.id
            if payload is not None:
                messaging["message"]["quick_reply"] = {"payload": payload}
            body = json.dumps(event).encode()
            return requests.post(self.webhook, data=body, timeout=120, headers={
                "Content-Type": "application/json",
                **sha256_header(body, secret or FB_SECRET)})
        if payload is not None:
            body = urlencode({"payload": json.dumps({
                "type": "block_actions", "user": {"id": self.id},
                "channel": {"id": f"D{self.id}"}, "message": {"ts": "1.0"},
                "actions": [{"type": "button", "action_id": "choice_1", "value": payload}]})
            }).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body = json.dumps({"type": "event_callback", "event_id": str(time.time_ns()),
                               "event": {"type": "message", "channel_type": "im",
                                         "channel": f"D{self.id}", "user": self.id,
                                         "text": text, "ts": "1.0"}}).encode()
            content_type = "application/json"
        return requests.post(self.webhook, data=body, timeout=120, headers=slack_headers(
            body, secret=secret or SLACK_SECRET, content_type=content_type))

    def say(self, text: str, until: Callable[[list[str]], bool] = bool) -> list[dict]:
        """Sends ``text``; returns the messages sent back once ``until`` holds for their
        texts (Slack answers in the background; the others before the webhook returns)."""
        before = len(self.sent())
        response = self.request(text=text)
        assert response.status_code == 200, response.text
        return self._replies(before, until)

    def press(self, payload: str, until: Callable[[list[str]], bool] = bool) -> list[dict]:
        """Presses (taps, clicks) the button whose payload is ``payload``."""
        before = len(self.sent())
        response = self.request(payload=payload)
        assert response.status_code == 200, response.text
        return self._replies(before, until)

    def _replies(self, before: int, until: Callable[[list[str]], bool]) -> list[dict]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            new = self.sent()[before:]
            if until([t for m in new for t in texts_of(self.channel, m)]):
                break
            time.sleep(0.2)
        time.sleep(1.0 if self.channel == "slack" else 0)  # the rest of the reply
        return self.sent()[before:]

    def user_texts(self) -> list[str]:
        events = self.stack.tracker(self.id)["events"]
        return [e["text"] for e in events if e["event"] == "user"]


def texts_of(channel: str, message: dict) -> list[str]:
    """A sent message's text (Slack: each section block's)."""
    if channel == "slack":
        return [b["text"]["text"] for b in message.get("blocks", []) if b["type"] == "section"]
    return [message.get("text", "")]


def shown(channel: str, text: str) -> str:
    """``text`` (no markup) as the channel sends it."""
    if channel == "telegram":
        import html

        return html.escape(text, quote=False)
    if channel == "slack":
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def buttons_of(channel: str, message: dict) -> list[tuple[str, str]]:
    """The (title, payload) of each button a sent message carries."""
    if channel == "telegram":
        rows = json.loads(message.get("reply_markup") or '{"inline_keyboard": []}')
        return [(key["text"], key["callback_data"]) for row in rows["inline_keyboard"]
                for key in row]
    if channel == "facebook":
        return [(q["title"], q["payload"]) for q in message.get("quick_replies", [])]
    return [(b["text"]["text"], b["value"]) for block in message.get("blocks", [])
            if block["type"] == "actions" for b in block["elements"]]


CHANNELS = ["telegram", "facebook", "slack"]


@pytest.mark.server
@pytest.mark.model
@pytest.mark.parametrize("channel", CHANNELS)
def test_full_stack_faq_answer_with_its_offer_buttons(messaging_stack, provider, channel) -> None:
    chat = Chat(channel, messaging_stack, provider)
    expected = shown(channel, faq_answer_text())
    replies = chat.say(FAQ_QUESTION, until=lambda texts: expected in texts)
    (answer,) = (m for m in replies if expected in texts_of(channel, m))
    if channel == "telegram":
        assert answer["parse_mode"] == "HTML"
    assert buttons_of(channel, answer) == OFFER
    assert chat.user_texts() == [FAQ_QUESTION]
    assert messaging_stack.tracker(chat.id)["latest_input_channel"] == channel


@pytest.mark.server
@pytest.mark.model
@pytest.mark.parametrize("channel", CHANNELS)
def test_full_stack_reading_request_gets_titles_and_links(messaging_stack, provider,
                                                         channel) -> None:
    chat = Chat(channel, messaging_stack, provider)
    chat.say(READING_REQUEST, until=lambda texts: any("://" in t for t in texts))
    texts = chat.texts()
    catalog = catalog_links()
    links = []
    for text in texts:
        if channel == "slack":
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        elif channel == "telegram":
            import html

            text = html.unescape(text)
        if text.count("\n") == 1 and "://" in text:
            title, url = text.split("\n")
            links.append((title, url))
    assert links and set(links) <= catalog, (texts, catalog)
    assert len(links) <= 3
    for text in texts:
        assert "](" not in text and "**" not in text and "<a " not in text


@pytest.mark.server
@pytest.mark.model
@pytest.mark.parametrize("channel", CHANNELS)
def test_full_stack_callback_shows_consent_buttons_and_a_press_answers(messaging_stack, provider,
                                                                      channel) -> None:
    chat = Chat(channel, messaging_stack, provider)
    replies = chat.say(CALLBACK)
    with_buttons = [m for m in replies if buttons_of(channel, m)]
    assert with_buttons, replies
    assert buttons_of(channel, with_buttons[-1]) == [("Yes, I agree", "Yes"), ("No", "No")]
    consent = with_buttons[-1]
    if channel == "telegram":
        assert json.loads(consent["reply_markup"]) == {"inline_keyboard": [[
            {"text": "Yes, I agree", "callback_data": "Yes"},
            {"text": "No", "callback_data": "No"}]]}
        assert consent["parse_mode"] == "HTML"
    elif channel == "facebook":
        assert consent["quick_replies"] == [
            {"content_type": "text", "title": "Yes, I agree", "payload": "Yes"},
            {"content_type": "text", "title": "No", "payload": "No"}]
    else:
        assert consent["blocks"][-1] == {"type": "actions", "elements": [
            {"type": "button", "action_id": "choice_1", "value": "Yes",
             "text": {"type": "plain_text", "text": "Yes, I agree", "emoji": True}},
            {"type": "button", "action_id": "choice_2", "value": "No",
             "text": {"type": "plain_text", "text": "No", "emoji": True}}]}
    # The consent text names who reads the answers, with nothing left of any markup.
    from secure_base.profile import load_profile

    consent_text = "\n".join(texts_of(channel, consent))
    assert shown(channel, f"staff at {load_profile().practice.short_name}") in consent_text
    assert "**" not in consent_text and "](" not in consent_text
    after = chat.press("Yes", until=lambda texts: any("What name" in t for t in texts))
    assert any("What name" in t for m in after for t in texts_of(channel, m))
    assert chat.user_texts() == [CALLBACK, "Yes"]


def _assert_crisis_reply(chat: Chat) -> None:
    line = shown(chat.channel, crisis_line())
    chat.say(CRISIS, until=lambda texts: any(line in t for t in texts))
    assert line in "\n".join(chat.texts())
    assert chat.user_texts() == [CRISIS]


@pytest.mark.server
@pytest.mark.model
@pytest.mark.parametrize("channel", CHANNELS)
def test_full_stack_crisis_reply_and_a_forged_one_refused(messaging_stack, provider,
                                                         channel) -> None:
    _assert_crisis_reply(Chat(channel, messaging_stack, provider))
    forged = Chat(channel, messaging_stack, provider)
    assert forged.request(text=CRISIS, secret="not-the-secret").status_code == 403
    time.sleep(1)
    assert forged.sent() == []
    assert not [e for e in messaging_stack.tracker(forged.id)["events"] if e["event"] == "user"]


@pytest.mark.server
@pytest.mark.model
def test_full_stack_crisis_reply_without_the_action_server(messaging_stack, provider) -> None:
    messaging_stack.stop("actions")
    try:
        for channel in CHANNELS:
            _assert_crisis_reply(Chat(channel, messaging_stack, provider))
    finally:
        messaging_stack.start_actions()
