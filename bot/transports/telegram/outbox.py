"""The outbox's Telegram transport: rows go out through the one Sender, never waiting for
Telegram's limits (a wait comes back as LATER and becomes the row's next try)."""

from __future__ import annotations

from bot.domain import outbox
from bot.domain.delivery import SendResult
from bot.transports.telegram.sender import Sender


class TelegramOutbox:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender

    async def deliver(self, chat_id: int, message: outbox.Message) -> SendResult:
        if message.copy is not None:
            copy = message.copy
            return await self._sender.copy(chat_id, copy.from_chat_id, copy.message_id,
                                           reply_to=copy.reply_to, max_wait=0)
        return await self._sender.send(chat_id, message.reply(), max_wait=0)
