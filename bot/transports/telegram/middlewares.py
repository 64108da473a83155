"""Updates from one person are handled one at a time, in order; different people in parallel.

aiogram handles updates as concurrent tasks. Two quick taps by the same person would then
race on the same conversation row; a per-person lock keeps their order without making
everyone else wait (the Sender may sleep to respect Telegram's per-chat limit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update


def _person_of(update: Update) -> int | None:
    for event in (update.message, update.callback_query, update.my_chat_member,
                  update.edited_message):
        user = getattr(event, "from_user", None)
        if user is not None:
            return int(user.id)
    return None


class OnePersonAtATime(BaseMiddleware):
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        person = _person_of(event) if isinstance(event, Update) else None
        if person is None:
            return await handler(event, data)
        lock = self._locks.setdefault(person, asyncio.Lock())
        self._waiting[person] = self._waiting.get(person, 0) + 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            self._waiting[person] -= 1
            if not self._waiting[person]:  # forget idle people: memory stays bounded
                del self._waiting[person], self._locks[person]
