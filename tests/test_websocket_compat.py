"""socket.io's websocket transport on Rasa 3.6's Sanic 21.12 under Python 3.11.

Most tests run a real Sanic server with the project's socket.io channel
(``python -m tests.socketio_server``) twice: as installed (``--unpatched``), to show the
faults, and with :mod:`secure_base.websocket_compat`, to show them fixed. The clients are
real: the ``websockets`` package, aiohttp speaking Engine.IO v4 by hand, and
python-socketio's AsyncClient with its default transports (polling, then upgrade). The last
test does the same against the real Rasa server, started as ``make run`` starts it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Iterator

import aiohttp
import pytest
import socketio
import websockets

from secure_base import session_token, websocket_compat
from secure_base.channels import MAX_BODY_BYTES
from tests.socketio_server import ECHO_PREFIX, EchoServer

SECRET = secrets.token_urlsafe(32)
#: How long the polling rate is measured, and the most polls a normal client makes then
#: (a long-poll is held until there is something to send: Engine.IO pings every 25 s).
MEASURE_S = 5.0
MAX_NORMAL_POLLS = 3


@pytest.fixture(scope="module")
def patched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoServer]:
    server = EchoServer(tmp_path_factory.mktemp("patched") / "server.log", SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unpatched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoServer]:
    server = EchoServer(tmp_path_factory.mktemp("unpatched") / "server.log", SECRET,
                        patched=False)
    yield server
    server.stop()


async def _plain_websocket_echo(server: EchoServer) -> str:
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws-echo") as ws:
        await ws.send("are you there?")
        return str(await asyncio.wait_for(ws.recv(), 10))


async def test_sanic_websocket_recv_fails_on_python_311_without_the_patch(unpatched) -> None:  # type: ignore[no-untyped-def]
    try:
        answer = await _plain_websocket_echo(unpatched)
    except websockets.ConnectionClosed:
        answer = ""  # closed before the error answer got out: the log has it
    assert answer != "are you there?"
    deadline = time.monotonic() + 10
    while "ws-echo error: TypeError" not in unpatched.log.read_text():
        assert time.monotonic() < deadline, unpatched.log.read_text()
        await asyncio.sleep(0.1)
    assert "TypeError: Passing coroutines is forbidden" in unpatched.log.read_text()


async def test_sanic_websocket_recv_works_with_the_patch(patched) -> None:  # type: ignore[no-untyped-def]
    assert await _plain_websocket_echo(patched) == "are you there?"


class EngineIOPolling:
    """An Engine.IO v4 long-polling client written out by hand, to count its requests."""

    def __init__(self, http: aiohttp.ClientSession, server: EchoServer) -> None:
        self.http = http
        self.server = server
        self.sid = ""

    def _url(self, transport: str = "polling") -> str:
        sid = f"&sid={self.sid}" if self.sid else ""
        return f"{self.server.url}/socket.io/?EIO=4&transport={transport}{sid}"

    async def open(self) -> None:
        """Engine.IO handshake, then the socket.io connect to the default namespace."""
        async with self.http.get(self._url()) as response:
            body = await response.text()
        assert body.startswith("0"), body
        self.sid = json.loads(body[1:])["sid"]
        await self.post("40")
        assert (await self.get()).startswith("40")

    async def post(self, *packets: str) -> None:
        async with self.http.post(self._url(), data="\x1e".join(packets)) as response:
            assert response.status == 200, await response.text()

    async def get(self) -> str:
        async with self.http.get(self._url()) as response:
            assert response.status == 200, await response.text()
            return await response.text()

    async def failed_upgrade(self, probe: bool = True) -> str | None:
        """Opens the websocket (and probes it), then closes it without finishing the
        upgrade, as a client behind a proxy that breaks websockets would. Returns the
        answer to the probe, None if there was none."""
        url = self._url("websocket").replace("http://", "ws://")
        async with self.http.ws_connect(url) as ws:
            if not probe:
                return None
            await ws.send_str("2probe")
            try:
                message = await ws.receive(timeout=5)
            except TimeoutError:
                return None
            return message.data if message.type == aiohttp.WSMsgType.TEXT else None

    async def keep_polling(self, answers: list[str], limit: int = 5_000) -> None:
        """Polls again as soon as each answer arrives, as Engine.IO clients do, keeping
        the answers (at most ``limit`` requests). A long-poll is never abandoned: the
        server would take that for a client that left."""
        while len(answers) < limit:
            answers.append(await self.get())

    async def answer_containing(self, answers: list[str], text: str, timeout: float = 10
                                ) -> str:
        """The first of ``answers`` that contains ``text``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for answer in answers:
                if text in answer:
                    return answer
            await asyncio.sleep(0.05)
        raise AssertionError(f"no poll answered with {text!r}: {answers[-5:]}")


async def _polls_during(client: EngineIOPolling, seconds: float, limit: int
                        ) -> tuple[asyncio.Task, list[str], int]:
    answers: list[str] = []
    polling = asyncio.ensure_future(client.keep_polling(answers, limit))
    await asyncio.sleep(seconds)
    return polling, answers, len(answers)


async def test_failed_upgrade_sends_polling_into_a_tight_loop_without_the_patch(unpatched) -> None:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http:
        client = EngineIOPolling(http, unpatched)
        await client.open()
        # The server cannot even answer the probe (the TypeError) ...
        assert await client.failed_upgrade() != "3probe"
        # ... and then answers every poll at once with a no-op.
        polling, answers, polls = await _polls_during(client, MEASURE_S, limit=300)
        await polling  # done: it stopped at the limit
    assert polls == 300 and set(answers) == {"6"}


@pytest.mark.parametrize("probe", [True, False], ids=["after-probe", "before-probe"])
async def test_failed_upgrade_leaves_polling_at_a_normal_rate(patched, probe: bool) -> None:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http:
        client = EngineIOPolling(http, patched)
        await client.open()
        assert await client.failed_upgrade(probe) == ("3probe" if probe else None)
        await asyncio.sleep(1)  # the server notices the closed websocket
        polling, answers, polls = await _polls_during(client, MEASURE_S, limit=300)
        try:
            assert polls <= MAX_NORMAL_POLLS, answers
            # The client stays on polling, and the conversation works there.
            token = session_token.issue(SECRET, 600).token
            await client.post("42" + json.dumps(["session_request", {"token": token}]))
            await client.answer_containing(answers, '"session_confirm"')
            await client.post("42" + json.dumps(["user_uttered", {"message": "still here"}]))
            await client.answer_containing(answers, f'"{ECHO_PREFIX}still here"')
        finally:
            polling.cancel()
    log = patched.log.read_text()
    assert "uncaught" not in log and "Traceback" not in log, log


async def _socketio_conversation(url: str, secret: str, messages: list[str],
                                 timeout: float = 30) -> list[tuple[str, str]]:
    """A python-socketio client with default settings (polling, then websocket): waits for
    the upgrade, opens a session, sends ``messages`` one at a time and returns, for each
    reply, its text and the transport it arrived on."""
    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue = asyncio.Queue()
    confirmed = asyncio.Event()
    client.on("bot_uttered", lambda data: replies.put_nowait((data.get("text", ""),
                                                              client.transport())))
    client.on("session_confirm", lambda _data: confirmed.set())
    await client.connect(url, socketio_path="/socket.io")
    try:
        deadline = time.monotonic() + 10
        while client.transport() != "websocket":
            assert time.monotonic() < deadline, "the client never upgraded to websocket"
            await asyncio.sleep(0.05)
        await client.emit("session_request", {"token": session_token.issue(secret, 600).token})
        await asyncio.wait_for(confirmed.wait(), timeout)
        received = []
        for message in messages:
            await client.emit("user_uttered", {"message": message})
            received.append(await asyncio.wait_for(replies.get(), timeout))
            # Rasa may answer with several messages: take them all before the next one.
            await asyncio.sleep(1.0)
            while not replies.empty():
                received.append(replies.get_nowait())
        return received
    finally:
        await client.disconnect()


async def test_socketio_client_gets_every_reply_over_websocket(patched) -> None:  # type: ignore[no-untyped-def]
    received = await _socketio_conversation(patched.url, SECRET, ["hello", "and again"])
    assert received == [(f"{ECHO_PREFIX}hello", "websocket"),
                        (f"{ECHO_PREFIX}and again", "websocket")]
    assert "Invalid response type" not in patched.log.read_text()


async def test_oversized_packet_over_websocket_closes_the_session_unprocessed(patched) -> None:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as http:
        client = EngineIOPolling(http, patched)
        await client.open()
        url = client._url("websocket").replace("http://", "ws://")
        async with http.ws_connect(url) as ws:
            await ws.send_str("2probe")
            assert (await ws.receive(timeout=5)).data == "3probe"
            await ws.send_str("5")
            token = session_token.issue(SECRET, 600).token
            await ws.send_str("42" + json.dumps(["session_request", {"token": token}]))
            answer = (await ws.receive(timeout=5)).data
            if answer == "6":  # the no-op that ends the last poll
                answer = (await ws.receive(timeout=5)).data
            assert '"session_confirm"' in answer
            big = "x" * (MAX_BODY_BYTES + 1)
            await ws.send_str("42" + json.dumps(["user_uttered", {"message": big}]))
            answers = []
            while (message := await ws.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
                answers.append(message.data)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert not any(ECHO_PREFIX in answer for answer in answers)


def test_patch_is_skipped_for_other_versions(monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    assert websocket_compat.version_mismatches() == {}, "the pinned versions changed"
    assert not websocket_compat.is_installed()
    monkeypatch.setitem(websocket_compat.PATCHED_VERSIONS, "sanic", "0.0.1")
    with caplog.at_level(logging.WARNING, logger=websocket_compat.__name__):
        assert websocket_compat.install() is False
    assert not websocket_compat.is_installed()
    assert "patch skipped" in caplog.text and "21.12.2" in caplog.text


@pytest.mark.server
@pytest.mark.model
async def test_rasa_server_answers_over_websocket(stack) -> None:  # type: ignore[no-untyped-def]
    received = await _socketio_conversation(stack.url, stack.session_secret, ["hello"], 90)
    assert received and all(text for text, _ in received)
    assert {transport for _, transport in received} == {"websocket"}
    log = (stack.data_dir / "rasa.log").read_text()
    assert "Passing coroutines is forbidden" not in log
    assert "Invalid response type" not in log
