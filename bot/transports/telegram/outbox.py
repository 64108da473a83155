"""The outbox's Telegram transport: rows go out through the one Sender, waiting for
Telegram's limits only briefly (a longer wait comes back as LATER and becomes the row's
next try). A relay waits a little in its chat's lane rather than being pushed seconds back
whenever answers inside turns hold the global budget. A broadcast row (`background`) waits
longer, for capacity nobody else needs: it has nobody waiting for it in particular."""

from __future__ import annotations

from bot.domain import outbox
from bot.domain.delivery import SendResult
from bot.transports.telegram.sender import Sender

MAX_WAIT = 2.0  # seconds; the claim lease (2 minutes) is far longer
BACKGROUND_WAIT = 30.0  # e.g. a bot-wide 429's retry_after, waited out by the one in turn


class TelegramOutbox:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        wait = BACKGROUND_WAIT if background else MAX_WAIT
        paid = message.paid
        if message.copy is not None:
            copy = message.copy
            return await self._sender.copy(chat_id, copy.from_chat_id, copy.message_id,
                                           reply_to=copy.reply_to, max_wait=wait,
                                           caption=copy.caption, background=background,
                                           paid=paid)
        if message.edit_of is not None:
            return await self._sender.edit(chat_id, message.edit_of, message.reply(),
                                           max_wait=wait)
        return await self._sender.send(chat_id, message.reply(), max_wait=wait,
                                       background=background, paid=paid,
                                       reply_to=message.reply_to)
