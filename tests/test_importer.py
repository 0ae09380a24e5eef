"""The crisis reminder and check-in variations the importer adds to every response."""

from __future__ import annotations

from secure_base.importer import with_safety_lines
from secure_base.profile import load_profile


def reminder_variations(responses: dict, name: str) -> list[dict]:
    return [v for v in responses[name] if v.get("condition")]


def test_each_reply_carries_the_reminder_once() -> None:
    """A reply of several messages (acknowledgement + answer, intro + article cards) gets
    the reminder on one message only: the answer, or the intro before the cards."""
    profile = load_profile()
    plain = {
        "utter_acknowledge_lonely": [{"text": "That sounds lonely."}],
        "utter_faq/secure_base": [{"text": "A secure base is..."}],
        "utter_articles_intro": [{"text": "Here is something to read:"}],
        "utter_article": [{"text": "{title}: {url}"}],
        "utter_crisis": [{"text": "Please call 988."}],
    }
    rendered = with_safety_lines(plain, profile)
    for name in ("utter_acknowledge_lonely", "utter_article", "utter_crisis"):
        assert reminder_variations(rendered, name) == [], name
    for name in ("utter_faq/secure_base", "utter_articles_intro"):
        texts = [v["text"] for v in reminder_variations(rendered, name)]
        assert any(profile.crisis_short_line() in t for t in texts), name
        assert any(profile.safety_check_in_line() in t for t in texts), name
    assert plain["utter_article"] == [{"text": "{title}: {url}"}]  # input left as it was
