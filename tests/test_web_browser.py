"""The website and chat widget in a real browser, talking to a real Rasa server.

Needs Debian's Chromium (``/usr/bin/chromium``), the socket.io client
(``scripts/install_web.sh``) and a Rasa server with the socket.io channel: the one in
``SECURE_BASE_TEST_RASA_URL`` if set, otherwise the test stack (tests/stack.py) with the
latest trained model and the real action server. The website
itself is started here, as a subprocess, exactly as ``python -m secure_base.web`` runs.
Playwright drives Chromium; no browser is ever downloaded.

The socket.io client with its default settings (long-polling, then an upgrade to a
websocket, as third-party Rasa widgets use it) is also tried against the project's
socket.io channel on a real Sanic server (tests/socketio_server.py, no model needed), with
and without the websocket compatibility patch (secure_base.websocket_compat).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from secure_base.settings import PROJECT_ROOT
from secure_base.web.server import SOCKETIO_BUNDLE
from tests.socketio_server import ECHO_PREFIX, EchoServer
from tests.stack import free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
RASA_URL = os.environ.get("SECURE_BASE_TEST_RASA_URL", "").strip()
BUNDLE = PROJECT_ROOT / "website" / SOCKETIO_BUNDLE
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_S = 90.0
BOT_ITEMS = "#sb-log .sb-msg--bot, #sb-log .sb-card"
USER_ITEMS = "#sb-log .sb-msg--user"
SESSION_KEY = "secureBase.chatSession"
#: How long the socket.io request rate is measured, and the most requests a client that
#: is not in a loop makes then (a long-poll is held until there is something to send).
MEASURE_S = 5.0
MAX_IDLE_REQUESTS = 4

if not CHROMIUM.exists() and os.environ.get("SECURE_BASE_TEST_REQUIRE_SERVICES") != "1":
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
        allow_module_level=True,
    )
if not BUNDLE.is_file():
    pytest.skip(
        "the socket.io client is not installed: run scripts/install_web.sh",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
expect = sync_api.expect


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> tuple[str, int, dict[str, str]]:
    """The Rasa server the widget talks to (env, or the test stack), the website's port
    (whose origin that server allows) and the website's environment (the session secret
    that server checks)."""
    if RASA_URL:
        return RASA_URL, free_port(), dict(os.environ)
    stack = request.getfixturevalue("stack")
    return stack.url, stack.web_port, stack.env


@pytest.fixture(scope="module")
def site_url(server: tuple[str, int, dict[str, str]]) -> Iterator[str]:
    """The website, started as a subprocess and stopped with SIGTERM afterwards."""
    rasa_url, port, env = server
    proc = subprocess.Popen(
        [sys.executable, "-m", "secure_base.web", "--port", str(port), "--rasa-url", rasa_url],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            output = proc.communicate()[0]
            pytest.fail(f"the website did not start:\n{output}")
        time.sleep(0.2)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Collects what must never happen on the page: script errors, dialogs, CSP blocks."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.csp: list[str] = []
        self.sent_frames: list[str] = []
        self.received_frames: list[str] = []
        self.websockets: list[str] = []
        self.socketio_requests: list[float] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("websocket", self._websocket)
        page.on("request", self._polling_request)

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)

    def _websocket(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.websockets.append(ws.url)
        ws.on("framesent", lambda payload: self.sent_frames.append(_as_text(payload)))
        ws.on("framereceived",
              lambda payload: self.received_frames.append(_as_text(payload)))

    def _polling_request(self, request) -> None:  # type: ignore[no-untyped-def]
        if "/socket.io/" in request.url:
            self.socketio_requests.append(time.monotonic())
        # The widget uses socket.io long-polling: packets travel in POST bodies,
        # several per body separated by the record separator (Engine.IO v4).
        if request.method == "POST" and "/socket.io/" in request.url:
            body = request.post_data or ""
            self.sent_frames.extend(packet for packet in body.split("\x1e") if packet)

    def events_sent(self, name: str) -> list[object]:
        """The data of every socket.io event ``name`` the page sent."""
        found = []
        for frame in self.sent_frames:
            if frame.startswith("42"):
                try:
                    packet = json.loads(frame[2:])
                except ValueError:
                    continue
                if isinstance(packet, list) and packet and packet[0] == name:
                    found.append(packet[1] if len(packet) > 1 else None)
        return found

    def socketio_requests_during(self, page, seconds: float) -> int:  # type: ignore[no-untyped-def]
        """How many socket.io HTTP requests the page makes in the next ``seconds``."""
        before = len(self.socketio_requests)
        page.wait_for_timeout(seconds * 1000)
        return len(self.socketio_requests) - before

    def assert_clean(self) -> None:
        assert self.errors == [], f"page errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.csp == [], f"Content-Security-Policy violations: {self.csp}"


def _as_text(payload: object) -> str:
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


def _open_chat_with_keyboard(page) -> None:  # type: ignore[no-untyped-def]
    launcher = page.locator("#sb-launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sb-panel")).to_be_visible()
    expect(page.locator("#sb-input")).to_be_focused()
    _wait_connected(page)


def _wait_connected(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("#sb-panel")).to_have_attribute(
        "data-connection", "connected", timeout=60_000
    )


def _wait_for_reply(page, before: int) -> int:  # type: ignore[no-untyped-def]
    """Waits until more bot items than ``before`` exist and no more arrive for a moment."""
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    count = page.locator(BOT_ITEMS).count()
    while count <= before:
        assert time.monotonic() < deadline, "no reply from the assistant"
        page.wait_for_timeout(100)
        count = page.locator(BOT_ITEMS).count()
    stable_since = time.monotonic()
    while time.monotonic() - stable_since < 1.5:
        page.wait_for_timeout(150)
        now = page.locator(BOT_ITEMS).count()
        if now != count:
            count, stable_since = now, time.monotonic()
    return count


def _send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#sb-input")
    box.fill(text)
    box.press("Enter")


def _last_user_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f"{USER_ITEMS} .sb-msg__text").last.text_content() or ""


def test_conversation_and_awkward_inputs(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    expect(page.locator("#sb-panel")).to_be_hidden()

    _open_chat_with_keyboard(page)
    note = page.locator("#sb-note")
    expect(note).to_contain_text("Automated assistant — not a therapist.")
    expect(note).to_contain_text("In a crisis call your local emergency number")
    expect(page.locator("#sb-log")).to_have_attribute("aria-live", "polite")

    # A greeting typed with the keyboard, sent with Enter.
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(page.locator(f"{USER_ITEMS} .sb-msg__text").last).to_have_text("hello")
    bots = _wait_for_reply(page, 0)
    assert page.locator("#sb-log .sb-msg--bot").count() >= 1
    expect(page.locator("#sb-typing")).to_be_hidden()

    users = page.locator(USER_ITEMS).count()

    # Empty input: nothing is sent, a gentle hint appears.
    page.locator("#sb-input").fill("")
    page.locator("#sb-input").press("Enter")
    expect(page.locator("#sb-hint")).to_contain_text("type a message")
    page.wait_for_timeout(1000)
    assert page.locator(USER_ITEMS).count() == users
    assert page.locator(BOT_ITEMS).count() == bots

    # Whitespace only counts as empty: not sent, same hint, the box is cleared.
    _send(page, "   \t   ")
    expect(page.locator("#sb-hint")).to_contain_text("type a message")
    expect(page.locator("#sb-input")).to_have_value("")
    page.wait_for_timeout(1000)
    assert page.locator(USER_ITEMS).count() == users
    assert page.locator(BOT_ITEMS).count() == bots

    # 5,000 characters: cut to 2,000 with a notice; the 2,000 are sent and answered.
    long_text = ("I keep worrying that the people I love will leave me. " * 100)[:5000]
    page.locator("#sb-input").fill(long_text)
    assert len(page.locator("#sb-input").input_value()) == 2000
    expect(page.locator("#sb-counter")).to_have_text("2,000 / 2,000")
    expect(page.locator("#sb-hint")).to_contain_text("2,000 characters")
    page.locator("#sb-input").press("Enter")
    expect(page.locator(USER_ITEMS)).to_have_count(users + 1)
    assert _last_user_text(page) == long_text[:2000].strip()
    expect(page.locator("#sb-hint")).to_contain_text("2,000 characters")
    bots = _wait_for_reply(page, bots)
    users += 1

    scripts_before = page.evaluate("document.scripts.length")
    awkward = [
        "😀😀😀",
        "<script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "¿Dónde está la consulta?",
    ]
    for text in awkward:
        page.locator("#sb-input").fill(text)
        if text == "😀😀😀":
            expect(page.locator("#sb-counter")).to_have_text("3 / 2,000")
        page.locator("#sb-input").press("Enter")
        expect(page.locator(USER_ITEMS)).to_have_count(users + 1)
        users += 1
        assert _last_user_text(page) == text
        bots = _wait_for_reply(page, bots)

    # The markup-looking message stayed text: no element, no script, no dialog.
    assert page.locator("#sb-log script").count() == 0
    assert page.evaluate("document.scripts.length") == scripts_before
    script_bubble = page.locator(f"{USER_ITEMS} .sb-msg__text", has_text="<script>")
    expect(script_bubble).to_have_count(1)
    assert script_bubble.evaluate("node => node.children.length") == 0

    # Links in replies are real, safe links (when the assistant sent any).
    for link in page.locator("#sb-log .sb-msg--bot a").all():
        assert (link.get_attribute("href") or "").startswith(("http://", "https://"))
        assert "noopener" in (link.get_attribute("rel") or "")
        assert link.get_attribute("target") == "_blank"

    # Keyboard: Tab from the message box reaches Send; Escape closes and returns focus.
    page.locator("#sb-input").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#sb-send")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#sb-panel")).to_be_hidden()
    expect(page.locator("#sb-launcher")).to_be_focused()

    watch.assert_clean()


def test_quick_replies_are_keyboard_reachable(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    _open_chat_with_keyboard(page)
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    _wait_for_reply(page, 0)
    replies = page.locator("#sb-log .sb-replies button")
    if replies.count() == 0:
        pytest.skip("the assistant's greeting has no buttons to try")
    first = replies.first
    title = (first.text_content() or "").strip()
    users = page.locator(USER_ITEMS).count()
    bots = page.locator(BOT_ITEMS).count()
    # Shift+Tab from the message box walks back into the log to the last reply button.
    page.locator("#sb-input").focus()
    for _ in range(replies.count() + 3):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('sb-reply')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('sb-reply')")
    first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(USER_ITEMS)).to_have_count(users + 1)
    assert _last_user_text(page) == title
    _wait_for_reply(page, bots)
    watch.assert_clean()


def _stored_session(page) -> dict | None:  # type: ignore[no-untyped-def]
    raw = page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')")
    return json.loads(raw) if raw else None


def test_reload_keeps_the_session(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    _open_chat_with_keyboard(page)
    stored = _stored_session(page)
    assert stored and re.fullmatch(r"v1\.[A-Za-z0-9_.-]+", stored["token"])
    assert stored["expires_at"] > time.time()
    # Nothing is kept beyond this tab: no id in localStorage.
    assert page.evaluate("localStorage.length") == 0
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    _wait_for_reply(page, 0)
    assert watch.events_sent("session_request")[0] == {"token": stored["token"]}
    sent = watch.events_sent("user_uttered")
    # The message names no conversation: the server knows it from the token.
    assert sent and sent[-1] == {"message": "hello"}

    frames_before = len(watch.sent_frames)
    page.reload()
    panel = page.locator("#sb-panel")
    if panel.is_hidden():
        _open_chat_with_keyboard(page)
    expect(page.locator("#sb-log .sb-system").first).to_have_text("Continuing your conversation")
    _wait_connected(page)
    assert _stored_session(page)["token"] == stored["token"]
    requests = [
        json.loads(frame[2:])[1]
        for frame in watch.sent_frames[frames_before:]
        if frame.startswith('42["session_request"')
    ]
    assert requests and requests[0] == {"token": stored["token"]}

    page.locator("#sb-input").fill("hello again")
    page.locator("#sb-input").press("Enter")
    _wait_for_reply(page, 0)
    assert watch.events_sent("user_uttered")[-1] == {"message": "hello again"}
    watch.assert_clean()


def test_end_and_forget_starts_a_new_conversation(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    _open_chat_with_keyboard(page)
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    _wait_for_reply(page, 0)
    first = _stored_session(page)
    page.locator("#sb-end").click()
    assert _stored_session(page) is None
    expect(page.locator(USER_ITEMS)).to_have_count(0)
    expect(page.locator("#sb-log .sb-system").last).to_contain_text("Chat ended")
    # A new message gets a new token (a new conversation).
    _send(page, "hello")
    _wait_for_reply(page, 0)
    second = _stored_session(page)
    assert second and second["token"] != first["token"]
    assert second["token"].split(".")[1] != first["token"].split(".")[1]
    page.reload()
    if page.locator("#sb-panel").is_hidden():
        _open_chat_with_keyboard(page)
    _wait_connected(page)
    assert _stored_session(page)["token"] == second["token"]
    watch.assert_clean()


def _block_websockets(context) -> None:  # type: ignore[no-untyped-def]
    """Every websocket to a socket.io server opens but never reaches the server, and nothing
    comes back (so the upgrade probe is never answered), as behind a proxy that breaks
    websockets; long-polling still passes."""
    context.route_web_socket(re.compile(r"/socket\.io/"), lambda _ws: None)


def test_widget_talks_over_websocket(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    _open_chat_with_keyboard(page)
    _send(page, "hello")
    _wait_for_reply(page, 0)
    # The session handshake happened (on polling or the websocket) ...
    token = _stored_session(page)["token"]
    assert watch.events_sent("session_request") == [{"token": token}]
    # ... and the widget upgraded: the reply came over the websocket.
    assert any("transport=websocket" in url for url in watch.websockets), watch.websockets
    assert any(frame.startswith('42["bot_uttered"') for frame in watch.received_frames)
    assert page.evaluate("window.io && true")
    watch.assert_clean()


def test_widget_stays_on_polling_at_a_normal_rate_without_websocket(site_url: str, context) -> None:  # type: ignore[no-untyped-def]
    _block_websockets(context)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(site_url + "/")
    _open_chat_with_keyboard(page)
    _send(page, "hello")
    _wait_for_reply(page, 0)
    assert watch.received_frames == []
    requests = watch.socketio_requests_during(page, MEASURE_S)
    assert requests <= MAX_IDLE_REQUESTS, f"{requests} socket.io requests in {MEASURE_S} s"
    # Still connected, and still answering.
    expect(page.locator("#sb-panel")).to_have_attribute("data-connection", "connected")
    before = page.locator(BOT_ITEMS).count()
    _send(page, "thank you")
    _wait_for_reply(page, before)
    watch.assert_clean()


# socket.io-client 4 with its default settings, driven inside the page. Resolves with each
# reply and the transport it arrived on, or rejects with what it was waiting for.
DEFAULT_CLIENT_JS = """
async ({token, messages, needUpgrade, timeoutMs}) => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const socket = io();
  const replies = [];
  let confirmed = false;
  socket.on("session_confirm", () => { confirmed = true; });
  socket.on("bot_uttered", (data) => {
    replies.push({text: data.text, transport: socket.io.engine.transport.name});
  });
  const until = async (done, what) => {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) { socket.disconnect(); throw new Error("timed out: " + what); }
      await sleep(50);
    }
  };
  await until(() => socket.connected, "connect");
  if (needUpgrade) {
    await until(() => socket.io.engine.transport.name === "websocket", "upgrade");
  }
  socket.emit("session_request", {token: token});
  await until(() => confirmed, "session_confirm");
  for (const message of messages) {
    const before = replies.length;
    socket.emit("user_uttered", {message: message});
    await until(() => replies.length > before, "reply");
  }
  window.sbDefaultClient = socket;
  return replies;
}
"""


@pytest.fixture(scope="module")
def echo_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EchoServer]]:
    """The project's socket.io channel on a real Sanic server, with and without the patch."""
    secret = "browser-test-" + os.urandom(16).hex()
    servers = {
        name: EchoServer(tmp_path_factory.mktemp(name) / "server.log", secret,
                         patched=name == "patched")
        for name in ("patched", "unpatched")
    }
    yield servers
    for server in servers.values():
        server.stop()


def test_default_socketio_client_gets_every_reply_over_websocket(echo_servers, context) -> None:  # type: ignore[no-untyped-def]
    server = echo_servers["patched"]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/")
    replies = page.evaluate(DEFAULT_CLIENT_JS, {
        "token": server.session_token(), "messages": ["hello", "and again", "bye"],
        "needUpgrade": True, "timeoutMs": 15_000,
    })
    assert replies == [{"text": f"{ECHO_PREFIX}{text}", "transport": "websocket"}
                       for text in ("hello", "and again", "bye")]
    assert sum(frame.startswith('42["bot_uttered"') for frame in watch.received_frames) == 3
    # Once upgraded, nothing goes over HTTP any more.
    assert watch.socketio_requests_during(page, MEASURE_S) == 0
    watch.assert_clean()


def test_default_socketio_client_loops_without_the_patch(echo_servers, context) -> None:  # type: ignore[no-untyped-def]
    """The fault of issue 15, as a browser meets it: the upgrade fails, then the client
    polls in a tight loop and never gets a reply."""
    server = echo_servers["unpatched"]
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/")
    page.evaluate("window.sbDefaultClient = io()")
    requests = watch.socketio_requests_during(page, MEASURE_S)
    page.close()  # ends the loop
    assert requests > 50 * MEASURE_S, f"only {requests} requests in {MEASURE_S} s"


def test_default_socketio_client_without_websocket_polls_at_a_normal_rate(  # type: ignore[no-untyped-def]
    echo_servers, context,
) -> None:
    server = echo_servers["patched"]
    _block_websockets(context)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(server.url + "/")
    replies = page.evaluate(DEFAULT_CLIENT_JS, {
        "token": server.session_token(), "messages": ["hello"],
        "needUpgrade": False, "timeoutMs": 15_000,
    })
    assert replies == [{"text": f"{ECHO_PREFIX}hello", "transport": "polling"}]
    requests = watch.socketio_requests_during(page, MEASURE_S)
    assert requests <= MAX_IDLE_REQUESTS, f"{requests} socket.io requests in {MEASURE_S} s"
    watch.assert_clean()
