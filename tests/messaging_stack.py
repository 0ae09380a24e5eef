"""The messaging channels' test credentials, and the real servers with every channel on.

Starting Rasa takes 16-26 s, so the tests share one stack for the session (the
``stack`` fixture in tests/conftest.py; the messaging modules use it through
``messaging_stack``, which empties the fake provider for each test). It runs as
`make run` starts it, with Telegram, Twilio (SMS and WhatsApp), Messenger and Slack
enabled, every outgoing call going to the shared fake provider (tests/fake_provider.py),
staff notifications going to a local webhook receiver, and the article catalog
imported. Each test talks from a conversation of its own (a new sender, chat ID, phone
number or user) so tests stay independent.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from pathlib import Path

from tests.stack import Stack, run_module

TELEGRAM_TOKEN = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
TELEGRAM_BOT_NAME = "secure_base_bot"
TELEGRAM_SECRET = "tg-secret-" + uuid.uuid4().hex
TWILIO_TOKEN = "twilio-auth-" + uuid.uuid4().hex
TWILIO_SID = "AC" + "0" * 32
TWILIO_NUMBER = "+15550001111"
TWILIO_WHATSAPP_NUMBER = "+15550002222"
FB_SECRET = "fb-app-secret-" + uuid.uuid4().hex
FB_VERIFY = "fb-verify-" + uuid.uuid4().hex
FB_PAGE_TOKEN = "page-token"
SLACK_TOKEN = "xoxb-test"
SLACK_SECRET = "slack-signing-" + uuid.uuid4().hex

# Ten digits from a random start: never one of another module's IDs, and unlikely to
# turn up by chance inside a notification body that a test checks for it.
_CHAT_IDS = itertools.count(1_000_000_000 + secrets.randbelow(1_000_000_000))


def new_chat_id() -> int:
    """A Telegram chat ID no other test of this run uses."""
    return next(_CHAT_IDS)


def channel_env(provider_url: str, notify_url: str) -> dict[str, str]:
    """The variables that turn every channel on, calling ``provider_url``."""
    return {
        "SECURE_BASE_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "SECURE_BASE_TELEGRAM_BOT_NAME": TELEGRAM_BOT_NAME,
        "SECURE_BASE_TELEGRAM_SECRET": TELEGRAM_SECRET,
        "SECURE_BASE_TELEGRAM_API_URL": provider_url,
        "SECURE_BASE_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "SECURE_BASE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "SECURE_BASE_TWILIO_NUMBER": TWILIO_NUMBER,
        "SECURE_BASE_TWILIO_WHATSAPP_NUMBER": TWILIO_WHATSAPP_NUMBER,
        "SECURE_BASE_TWILIO_API_URL": provider_url,
        "SECURE_BASE_FACEBOOK_VERIFY": FB_VERIFY,
        "SECURE_BASE_FACEBOOK_SECRET": FB_SECRET,
        "SECURE_BASE_FACEBOOK_PAGE_TOKEN": FB_PAGE_TOKEN,
        "SECURE_BASE_FACEBOOK_API_URL": provider_url,
        "SECURE_BASE_SLACK_TOKEN": SLACK_TOKEN,
        "SECURE_BASE_SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SECURE_BASE_SLACK_API_URL": provider_url + "/",
        "SECURE_BASE_NOTIFY_WEBHOOK": notify_url,
    }


def start_messaging_stack(data_dir: Path, model: Path, provider_url: str,
                          notify_url: str) -> Stack:
    """Imports the article catalog (as `make run` does) and starts the servers."""
    stack = Stack(data_dir, model, env=channel_env(provider_url, notify_url))
    stack.data_dir.mkdir(parents=True, exist_ok=True)
    imported = run_module("secure_base.catalog", "import", "--dir", "articles", env=stack.env)
    assert imported.returncode == 0, imported.stderr[-2000:]
    try:
        return stack.start()
    except BaseException:
        stack.close()  # the action server may be up already
        raise


def ensure_actions(stack: Stack) -> None:
    """Restarts the action server if a test stopped it and could not restore it."""
    proc = stack.procs.get("actions")
    if proc is None or proc.poll() is not None:
        stack.start_actions()
