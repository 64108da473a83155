"""Updates from one person are handled one at a time, in order; different people in parallel.

aiogram handles updates as concurrent tasks. Two quick taps by the same person would then
race on the same conversation row; a per-person lock keeps their order without making
everyone else wait (the Sender may sleep to respect Telegram's per-chat limit).

Someone who sends far more than can be answered (a stuck key, a script, a paste split into
hundreds of messages) gets one friendly "slow down"; what they send while over the limit,
and for a few seconds after, is dropped, so their backlog never holds a slot of the
dispatcher's concurrency limit that someone else needs.

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

from bot.services.chat import ChatService
from bot.transports.telegram.replies import caller_of, deliver
from bot.transports.telegram.sender import Sender

log = logging.getLogger(__name__)
# Updates of one person being handled or waiting; more are dropped. Each holds one of the
# dispatcher's concurrency slots, so this stays small.
MAX_PENDING = 4
FLOOD_QUIET = 5.0  # seconds without a dropped update before someone is heard again


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
    def __init__(self, *, max_pending: int = MAX_PENDING, quiet: float = FLOOD_QUIET,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, int] = {}
        self._flooding_until: dict[int, float] = {}
        self._max_pending = max_pending
        self._quiet = quiet
        self._clock = clock

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        who = _sender_of(event) if isinstance(event, Update) else None
        if who is None:
            return await handler(event, data)
        user, chat_id = who
        if self._over_limit(user.id):
            return await self._drop(event, user, chat_id, data)
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._pending[user.id] = self._pending.get(user.id, 0) + 1
        try:
            async with lock:
                try:
                    return await handler(event, data)
                except Exception:
                    log.exception("error while handling an update")
                    await self._apologise(user, chat_id, data)
                    return UNHANDLED
        finally:
            self._pending[user.id] -= 1
            if not self._pending[user.id]:  # forget idle people: memory stays bounded
                del self._pending[user.id], self._locks[user.id]

    def _over_limit(self, person: int) -> bool:
        now = self._clock()
        if len(self._flooding_until) > 10_000:  # many floods at once: forget the finished
            self._flooding_until = {p: t for p, t in self._flooding_until.items() if t > now}
        until = self._flooding_until.get(person)
        if until is not None and now >= until:
            del self._flooding_until[person]
            until = None
        return until is not None or self._pending.get(person, 0) >= self._max_pending

    async def _drop(self, update: TelegramObject, user: User, chat_id: int,
                    data: dict[str, Any]) -> Any:
        first = user.id not in self._flooding_until
        self._flooding_until[user.id] = self._clock() + self._quiet
        if isinstance(update, Update) and update.callback_query is not None:  # stop its spinner
            await data["sender"].acknowledge(update.callback_query.id)
        if first:
            log.warning("a person sends faster than they can be answered; dropping for now")
            chat: ChatService = data["chat"]
            await deliver(data["sender"], chat_id, chat.slow_down(caller_of(user, chat_id)))
        return UNHANDLED

    async def _apologise(self, user: User, chat_id: int, data: dict[str, Any]) -> None:
        """Their unit of work was rolled back; tell them, in their language. Needs no
        database, which may be why the update failed."""
        chat: ChatService = data["chat"]
        sender: Sender = data["sender"]
        try:
            await deliver(sender, chat_id, chat.failure(caller_of(user, chat_id)))
        except Exception:  # never let the apology hide the original error
            log.exception("could not tell a person that their update failed")
