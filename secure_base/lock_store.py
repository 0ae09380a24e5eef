"""Rasa's Redis lock store with atomic ticket updates, for several Rasa servers.

Rasa Open Source's ``RedisLockStore`` changes a conversation's ticket lock by reading it
(GET), changing it in Python and writing it back (SET), and removes it with a separate
DEL. With two servers, those steps interleave: both servers can draw the same ticket, or
one overwrites or deletes the other's ticket, and then both handle the same conversation
at once and the SQL tracker store loses one of the turns (tests/test_scale_out.py showed
this for roughly one burst of simultaneous messages in three). This subclass makes every
read-modify-write one Redis transaction (WATCH/MULTI/EXEC, retried on conflict), so
tickets are issued and served strictly in order across servers.

endpoints.scale.yml selects it with ``type: secure_base.lock_store.RedisLockStore``; it
keeps Rasa's class name, options and key layout (``<key_prefix>:lock:<conversation>``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Callable, Optional, Text, Tuple, TypeVar

from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError
from rasa.utils.endpoints import EndpointConfig

from secure_base.tracker_store import redis_lock_options

T = TypeVar("T")


_OPTIONAL_TEXT = ("username", "password", "ssl_certfile", "ssl_keyfile", "ssl_ca_certs")
_YES = ("1", "true", "yes", "on")
_NO = ("", "0", "false", "no", "off")


def _typed_options(options: dict[str, Any]) -> dict[str, Any]:
    """Rasa's lock store options with text from the environment turned into real values.

    Raises:
        ValueError: When ``use_ssl`` is text that is neither yes nor no.
    """
    typed = dict(options)
    for name in _OPTIONAL_TEXT:
        if typed.get(name) == "":
            typed[name] = None
    use_ssl = typed.get("use_ssl")
    if isinstance(use_ssl, str):
        value = use_ssl.strip().lower()
        if value not in _YES + _NO:
            raise ValueError(f"lock_store use_ssl must be yes or no, got {use_ssl!r}")
        typed["use_ssl"] = value in _YES
    return typed


class RedisLockStore(rasa_lock_store.RedisLockStore):
    """``rasa.core.lock_store.RedisLockStore`` whose ticket changes are atomic."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Takes Rasa's endpoint config (custom lock store) or Rasa's keyword options.

        Values from ``${VARIABLES}`` in the endpoints file arrive as text: ``use_ssl`` is
        read as yes/no (``"false"`` would otherwise switch TLS on), and empty credentials
        and certificate paths mean "not set".
        """
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs,
                      **kwargs}
        super().__init__(**_typed_options(kwargs))

    def _change(
        self,
        conversation_id: Text,
        change: Callable[[Optional[TicketLock]], Tuple[T, Optional[TicketLock]]],
    ) -> T:
        """Applies ``change`` to the stored lock in one transaction.

        ``change`` gets the current lock (or ``None``) and returns a result and the lock
        to store (``None`` deletes it). It may run more than once if another server
        changed the lock meanwhile.
        """
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T:
            raw = pipe.get(key)
            current = TicketLock.from_dict(json.loads(raw)) if raw else None
            result, updated = change(current)
            pipe.multi()
            if updated is None:
                pipe.delete(key)
            else:
                pipe.set(key, updated.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issues the next ticket, creating the lock if needed."""

        def change(lock: Optional[TicketLock]) -> Tuple[int, Optional[TicketLock]]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, change)
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: Text) -> None:
        """Removes expired tickets (never recreates a lock that is gone)."""

        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes one ticket (and expired ones) from the lock."""

        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Removes the ticket, and the whole lock if nobody else holds a ticket."""

        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return None, lock if lock.is_someone_waiting() else None

        self._change(conversation_id, change)


@contextmanager
def conversation_lock(
    conversation_id: Text, env: Optional[Mapping[str, str]] = None, wait_seconds: float = 0.2
) -> Iterator[bool]:
    """Hold a conversation's lock, as a Rasa server does for a turn, from outside Rasa.

    For staff deletions: with the Redis lock store of ``endpoints.scale.yml`` the lock is
    shared, so this waits for a running turn of the conversation to finish and keeps new
    turns waiting until the block ends. With ``in_memory`` (``endpoints.yml``) the lock
    lives inside the one Rasa server and cannot be taken from another process; the
    encrypting tracker store then refuses to write a deleted conversation back.

    Yields:
        Whether a shared lock is held.

    Raises:
        LockError: When the lock could not be acquired.
        secure_base.tracker_store.TrackerStoreConfigError: When the endpoints file or a
            variable it names is missing.

    """
    options = redis_lock_options(env)
    if options is None:
        yield False
        return
    store = RedisLockStore(**options)
    held = store.lock(conversation_id, wait_time_in_seconds=wait_seconds)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(held.__aenter__())
        try:
            yield True
        finally:
            loop.run_until_complete(held.__aexit__(None, None, None))
    finally:
        loop.close()
        store.red.close()
