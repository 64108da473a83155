"""The outbox's Telegram transport: rows go out through the one Sender, waiting for
Telegram's limits only briefly (a longer wait comes back as LATER and becomes the row's
next try). A relay waits a little in its chat's lane rather than being pushed seconds back
whenever answers inside turns hold the global budget."""

from __future__ import annotations

from bot.domain import outbox
from bot.domain.delivery import SendResult
from bot.transports.telegram.sender import Sender

MAX_WAIT = 2.0  # seconds; the claim lease (2 minutes) is far longer


class TelegramOutbox:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender

    async def deliver(self, chat_id: int, message: outbox.Message) -> SendResult:
        if message.copy is not None:
            copy = message.copy
            return await self._sender.copy(chat_id, copy.from_chat_id, copy.message_id,
                                           reply_to=copy.reply_to, max_wait=MAX_WAIT)
        if message.edit_of is not None:
            return await self._sender.edit(chat_id, message.edit_of, message.reply(),
                                           max_wait=MAX_WAIT)
        return await self._sender.send(chat_id, message.reply(), max_wait=MAX_WAIT)
