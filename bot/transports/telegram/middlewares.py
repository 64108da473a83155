"""Updates from one person are handled one at a time, in order; different people in parallel.

aiogram handles updates as concurrent tasks. Two quick taps by the same person would then
race on the same conversation row; a per-person lock keeps their order without making
everyone else wait (the Sender may sleep to respect Telegram's per-chat limit).

How many updates one person may have waiting is bot.domain.flood's decision; this module
drops what it refuses and says "slow down" once.

A crash is answered here, inside the lock, so the "sorry" always comes before the answer
to the person's next message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Message, TelegramObject, Update, User

from bot.domain.flood import FloodGate, Verdict
from bot.services.desk import Desk
from bot.transports.telegram.replies import caller_of, deliver
from bot.transports.telegram.sender import Sender

log = logging.getLogger(__name__)


def _sender_of(update: Update) -> tuple[User, int] | None:
    """The person and the chat to answer in."""
    if (message := update.message) is not None and message.from_user is not None:
        return message.from_user, message.chat.id
    if (query := update.callback_query) is not None:
        chat_id = query.message.chat.id if isinstance(query.message, Message) \
            else query.from_user.id
        return query.from_user, chat_id
    for event in (update.my_chat_member, update.edited_message):
        if event is not None and event.from_user is not None:
            return event.from_user, event.chat.id
    return None


class OnePersonAtATime(BaseMiddleware):
    def __init__(self, gate: FloodGate | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._gate = gate or FloodGate()
        self._clock = clock

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        who = _sender_of(event) if isinstance(event, Update) else None
        if who is None:
            return await handler(event, data)
        user, chat_id = who
        verdict = self._gate.arrive(user.id, self._clock())
        if verdict is not Verdict.HANDLE:
            return await self._drop(event, user, chat_id, data, verdict)
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        try:
            async with lock:
                try:
                    return await handler(event, data)
                except Exception:
                    log.exception("error while handling an update")
                    await self._apologise(user, chat_id, data)
                    return UNHANDLED
        finally:
            if self._gate.done(user.id):
                del self._locks[user.id]

    @staticmethod
    async def _drop(update: TelegramObject, user: User, chat_id: int, data: dict[str, Any],
                    verdict: Verdict) -> Any:
        if isinstance(update, Update) and update.callback_query is not None:  # stop its spinner
            await data["sender"].acknowledge(update.callback_query.id)
        if verdict is Verdict.WARN_AND_DROP:
            log.warning("a person sends faster than they can be answered; dropping for now")
            desk: Desk = data["desk"]
            await deliver(data["sender"], chat_id, desk.slow_down(caller_of(user, chat_id)))
        return UNHANDLED

    async def _apologise(self, user: User, chat_id: int, data: dict[str, Any]) -> None:
        """Their unit of work was rolled back; tell them, in their language. Needs no
        database, which may be why the update failed."""
        desk: Desk = data["desk"]
        sender: Sender = data["sender"]
        try:
            await deliver(sender, chat_id, desk.failure(caller_of(user, chat_id)))
        except Exception:  # never let the apology hide the original error
            log.exception("could not tell a person that their update failed")
