"""Makes socket.io's websocket transport work on Rasa 3.6's pinned Sanic under Python 3.11.

Four faults, all in libraries Rasa 3.6.21 pins and we cannot upgrade (Sanic 21.12.2 and
python-engineio 4.4.1, written before Python 3.11):

* **Sanic 21.12.2** (``sanic/server/websockets/impl.py``): ``WebsocketImplProtocol.recv``
  and ``recv_burst`` call ``asyncio.wait((self.recv_cancel, self.assembler.get(...)))``
  with a bare coroutine, which Python 3.11 rejects (``TypeError: Passing coroutines is
  forbidden, use tasks explicitly``). Every websocket receive fails, so no socket.io
  client can upgrade from long-polling. :func:`install` makes
  ``WebsocketFrameAssembler.get`` hand back a task, as ``asyncio.wait`` itself did before
  3.11 (and as later Sanic releases do at the call site).
* **python-engineio 4.4.1** (``engineio/asyncio_socket.py``): an upgrade that fails before
  it completes (the error above, or a websocket that drops during the probe) leaves the
  socket's ``upgrading`` flag set, and from then on every long-poll is answered at once
  with a no-op packet. The client polls again immediately, thousands of times a second,
  and never receives a reply. :func:`install` clears the flag whenever the websocket
  handler ends without finishing the upgrade, so polling goes back to normal.
* **Sanic 21.12 with python-engineio 4.4.1**: Sanic reports a websocket closed by the
  client by raising ``CancelledError`` from ``recv``, where Engine.IO's Sanic driver
  (``engineio/async_drivers/sanic.py``) expects ``IOError``. A client that drops the
  websocket during the upgrade then crashes the request handler, and Sanic logs an
  "uncaught" error. :func:`install` turns that ``CancelledError`` (and only when the task
  itself is not being cancelled) into the ``IOError`` Engine.IO handles.
* **Both together**: Engine.IO serves polling and websocket on one Sanic route, which Sanic
  does not know to be a websocket route. When a websocket ends, the handler returns no
  response and Sanic logs ``Invalid response type None`` as an error and tries to write a
  500 response into the upgraded connection. :func:`install` marks Engine.IO's request
  handler as a websocket handler (Sanic's own ``is_websocket`` attribute), as Sanic marks
  the handlers of its websocket routes.

The patches are applied only to the exact versions they were written for; with any other
version, :func:`install` logs a warning and changes nothing. ``secure_base.launch``
installs them in the Rasa process before Rasa starts; ``tests/test_websocket_compat.py``
shows each fault on a real Sanic server without them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

logger = logging.getLogger(__name__)

#: The distributions (and versions) whose code the patches were written against.
PATCHED_VERSIONS = {"sanic": "21.12.2", "python-engineio": "4.4.1"}

_MARK = "_secure_base_websocket_compat"


def _installed_version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def version_mismatches() -> dict[str, str | None]:
    """The patched distributions whose installed version differs (name: installed)."""
    found = {name: _installed_version(name) for name in PATCHED_VERSIONS}
    return {name: got for name, got in found.items() if got != PATCHED_VERSIONS[name]}


def is_installed() -> bool:
    """Whether :func:`install` has patched this process."""
    from sanic.server.websockets.frame import WebsocketFrameAssembler

    return getattr(WebsocketFrameAssembler.get, _MARK, False)


def install() -> bool:
    """Applies both patches to this process, once.

    Returns:
        True when the patches are in place (now or already), False when they were
        skipped because an installed version differs from :data:`PATCHED_VERSIONS`.
    """
    mismatches = version_mismatches()
    if mismatches:
        logger.warning(
            "websocket compatibility patch skipped: written for %s, installed %s",
            PATCHED_VERSIONS, mismatches,
        )
        return False
    if is_installed():
        return True
    _patch_sanic_frame_assembler()
    _patch_engineio_upgrade()
    _patch_engineio_sanic_driver()
    _mark_engineio_handler_as_websocket()
    logger.info("websocket compatibility patch installed (Sanic %s, python-engineio %s)",
                PATCHED_VERSIONS["sanic"], PATCHED_VERSIONS["python-engineio"])
    return True


def _patch_sanic_frame_assembler() -> None:
    from sanic.server.websockets.frame import WebsocketFrameAssembler

    original_get = WebsocketFrameAssembler.get

    @functools.wraps(original_get)
    def get(self: WebsocketFrameAssembler, timeout: float | None = None) -> asyncio.Task:
        # Its only callers pass the result to asyncio.wait, which needs a task on 3.11.
        return asyncio.ensure_future(original_get(self, timeout))

    setattr(get, _MARK, True)
    WebsocketFrameAssembler.get = get  # type: ignore[method-assign,assignment]


def _patch_engineio_upgrade() -> None:
    from engineio.asyncio_socket import AsyncSocket

    original_handler = AsyncSocket._websocket_handler

    @functools.wraps(original_handler)
    async def _websocket_handler(self: AsyncSocket, ws: Any) -> Any:
        try:
            return await original_handler(self, ws)
        finally:
            # An upgrade that did not complete must not leave polling answering
            # every request at once (engineio only resets this on some paths).
            if self.upgrading and not self.upgraded:
                logger.info("socket.io websocket upgrade failed; the client stays on polling")
                self.upgrading = False

    setattr(_websocket_handler, _MARK, True)
    AsyncSocket._websocket_handler = _websocket_handler  # type: ignore[method-assign]


def _patch_engineio_sanic_driver() -> None:
    from engineio.async_drivers.sanic import WebSocket

    original_wait = WebSocket.wait

    @functools.wraps(original_wait)
    async def wait(self: WebSocket) -> Any:
        try:
            return await original_wait(self)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # a real cancellation (a timeout, the server stopping)
            raise OSError("the websocket was closed") from None

    setattr(wait, _MARK, True)
    WebSocket.wait = wait  # type: ignore[method-assign]


def _mark_engineio_handler_as_websocket() -> None:
    from engineio.asyncio_server import AsyncServer

    # Sanic reads the attribute through the bound method Engine.IO registers as its route;
    # a polling request still returns its response, so only the websocket's end changes.
    AsyncServer.handle_request.is_websocket = True  # type: ignore[attr-defined]
