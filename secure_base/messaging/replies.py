"""Every reply on a messaging channel: the first one disclosed, failed crisis replies told.

:func:`secure_base.messaging.webhook.within_limits` hands each message on with its output
channel wrapped in :class:`GuardedReplies`, which

* sends the disclosure (:func:`.cross_channel.disclosure_text`: an automated assistant,
  nobody reads it live, the crisis lines) before the first reply a sender ever gets on
  the channel. "First" is read from the conversation's tracker (no earlier bot message),
  so it holds across restarts and several Rasa servers; it is decided when the first
  reply goes out, inside Rasa's conversation lock, so two quick messages cannot both
  be first. The text comes from the practice profile, not the model or the action
  server: it goes out with the static crisis response when the action server is down.
  A disclosure that cannot be sent never holds back the reply itself.
* records and alerts staff when a crisis reply finally fails to reach the person
  (:mod:`.delivery`), and lets the conversation go on.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import BotUttered

from secure_base.logsafe import describe_error
from secure_base.messaging.cross_channel import disclosure_text
from secure_base.messaging.delivery import (
    DeliveryFailed,
    crisis_response_of,
    record_failed_crisis_reply,
)
from secure_base.profile import load_profile

logger = logging.getLogger(__name__)

#: The Rasa agent of the request being handled (set by the webhook guard): its tracker
#: store tells whether a sender was answered before.
current_agent: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "secure_base_current_agent", default=None)


class DisclosedSenders:
    """Senders known (in this process) to have had their disclosure: no store read.

    Only a cache: a sender not in it is looked up in the tracker store.
    """

    def __init__(self, max_entries: int = 50_000) -> None:
        """``max_entries``: beyond this, the least recently seen are forgotten."""
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def __contains__(self, key: tuple[str, str]) -> bool:
        """Whether ``(channel, sender_id)`` is known to have been disclosed to."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return True
        return False

    def add(self, key: tuple[str, str]) -> None:
        """Remembers ``(channel, sender_id)``."""
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)


disclosed_senders = DisclosedSenders()


async def answered_before(agent: Any, sender_id: str) -> bool:
    """Whether the stored conversation already has a bot message.

    Without an agent or a tracker store to ask, the answer is no: a disclosure too many
    is better than none.
    """
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return False
    tracker = await store.retrieve(sender_id)
    return tracker is not None and any(isinstance(e, BotUttered) for e in tracker.events)


class GuardedReplies(OutputChannel):
    """An output channel around a messaging channel's own (see the module's docstring).

    Anything not overridden here is the wrapped channel's.
    """

    def __init__(self, inner: OutputChannel, channel: str, sender_id: str,
                 agent: Any = None) -> None:
        """Wraps ``inner``, the output channel of ``channel``'s message from ``sender_id``."""
        super().__init__()
        self.inner = inner
        self.channel = channel
        self.sender_id = sender_id
        self.agent = agent
        self._checked = False
        self._lock = asyncio.Lock()

    def name(self) -> Text:  # type: ignore[override]
        """The wrapped channel's name."""
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        # Only called for attributes not found here: the channel's own (client, ...).
        if attribute == "inner":  # not set yet (a copy being made): no recursion
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    async def disclose_first(self, recipient_id: Text) -> None:
        """Sends the disclosure if nothing was ever sent to this sender on this channel."""
        if self._checked:
            return
        async with self._lock:
            if self._checked:
                return
            self._checked = True
            key = (self.channel, self.sender_id)
            if key in disclosed_senders:
                return
            try:
                first = not await answered_before(self.agent, self.sender_id)
            except Exception as exc:  # noqa: BLE001 - unsure: disclose
                logger.error("Could not read a %s conversation to decide on the disclosure "
                             "(%s); sending it", self.channel, describe_error(exc))
                first = True
            if first:
                try:
                    await self.inner.send_text_message(
                        recipient_id, disclosure_text(load_profile()))
                except Exception as exc:  # noqa: BLE001 - the reply itself must still go
                    logger.error("The first-message disclosure on %s was not sent: %s",
                                 self.channel, describe_error(exc))
                    return
                logger.info("Sent the first-message disclosure on %s", self.channel)
            disclosed_senders.add(key)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """The disclosure if due, then the reply; a crisis reply that fails is reported."""
        await self.disclose_first(recipient_id)
        crisis_response = crisis_response_of(message)
        try:
            await self.inner.send_response(recipient_id, message)
        except Exception as exc:  # noqa: BLE001 - logged by type; the conversation goes on
            # Raising would stop Rasa's turn before the conversation is saved.
            failure = exc if isinstance(exc, DeliveryFailed) else DeliveryFailed(
                self.channel, None, describe_error(exc), 1)
            logger.error("A %s reply was not delivered (%s)%s", self.channel, failure.reason,
                         " - a crisis reply: staff are told" if crisis_response else "")
            if crisis_response:
                await asyncio.to_thread(
                    record_failed_crisis_reply, self.sender_id, channel=self.channel,
                    response=crisis_response, failure=failure)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Text sent outside a response (the too-long answer): disclosed first too."""
        await self.disclose_first(recipient_id)
        try:
            await self.inner.send_text_message(recipient_id, text, **kwargs)
        except DeliveryFailed as failure:
            logger.error("A %s message was not delivered (%s)", self.channel, failure.reason)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any
                              ) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_quick_replies(self, recipient_id: Text, text: Text,
                                 quick_replies: List[Dict[Text, Any]], **kwargs: Any) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_quick_replies(recipient_id, text, quick_replies, **kwargs)

    async def send_elements(self, recipient_id: Text, elements: Any, **kwargs: Any) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_elements(recipient_id, elements, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        """As the wrapped channel, after the disclosure."""
        await self.disclose_first(recipient_id)
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


def guarded(output_channel: OutputChannel, channel: Optional[str], sender_id: str
            ) -> OutputChannel:
    """``output_channel`` wrapped for a message handled now (the agent from the request)."""
    if isinstance(output_channel, GuardedReplies):
        return output_channel
    return GuardedReplies(output_channel, channel or output_channel.name(), sender_id,
                          current_agent.get())
