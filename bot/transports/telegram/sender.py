"""The one way out: every message to Telegram goes through Sender.

It keeps Telegram's limits (about 1 message/s per chat with short bursts, a global cap),
waits out 429 retry_after instead of failing, marks a person unreachable on 403, splits
long texts at paragraph boundaries and never sends callback data over 64 bytes (the
domain's Button refuses to exist with longer data).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.rate_limit import SendLimiter
from bot.domain.replies import Keyboard, Reply
from bot.domain.text_split import split_message, visible_length

log = logging.getLogger(__name__)
T = TypeVar("T")
CAPTION_LIMIT = 1024
MAX_ATTEMPTS = 5
MAX_RETRY_AFTER = 60  # seconds; longer flood waits drop the message instead of blocking
MAX_BACKOFF = 8.0


class Unreachable(Protocol):
    async def unreachable(self, chat_id: int) -> None: ...


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=b.label, url=b.url) if b.url
         else InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
        for row in keyboard
    ])


class Sender:
    def __init__(self, bot: Bot, reachability: Unreachable, limiter: SendLimiter, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._bot = bot
        self._reachability = reachability
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """Deliver one reply; False when the person cannot be reached or Telegram refused."""
        chunks = split_message(reply.text)
        if reply.document is not None:
            caption = chunks[0] if len(chunks) == 1 and \
                visible_length(chunks[0]) <= CAPTION_LIMIT else None
            document = BufferedInputFile(reply.document.content, reply.document.filename)
            sent = await self._call(chat_id, lambda: self._bot.send_document(
                chat_id, document, caption=caption,
                reply_markup=markup(reply.keyboard) if caption else None))
            if not sent or caption is not None:
                return sent
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            keyboard = markup(reply.keyboard) if last else None
            if not await self._call(chat_id, partial(self._bot.send_message, chat_id, chunk,
                                                     reply_markup=keyboard)):
                return False
        return True

    async def acknowledge(self, query_id: str, notice: str | None = None) -> None:
        """Answer a button press (stops the client's spinner). Not a chat message, so no
        per-chat lane; an old or already answered query is not worth an error."""
        try:
            await self._bot.answer_callback_query(query_id, text=notice)
        except TelegramAPIError as exc:
            log.info("could not answer a button press: %s", exc.message)

    async def drop_keyboard(self, chat_id: int, message_id: int) -> None:
        """Remove the buttons of a message that was answered, so they cannot go stale."""
        await self._call(chat_id, lambda: self._bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None))

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    async def _call(self, chat_id: int, request: Callable[[], Awaitable[T]]) -> bool:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            await self._wait(self._limiter.chat_delay(chat_id, self._clock()))
            await self._wait(self._limiter.global_delay(self._clock()))
            try:
                await request()
                return True
            except TelegramRetryAfter as exc:
                self._limiter.retry_after(chat_id, float(exc.retry_after), self._clock())
                if exc.retry_after > MAX_RETRY_AFTER:  # don't hold the person's turn that long
                    log.error("429 with retry_after %s s: message dropped", exc.retry_after)
                    return False
                log.warning("429 for a chat: waiting %s s (attempt %s)", exc.retry_after, attempt)
            except TelegramForbiddenError:
                log.info("a person blocked the bot; marking them unreachable")
                await self._reachability.unreachable(chat_id)
                return False
            except TelegramBadRequest as exc:
                if "chat not found" in exc.message.lower():
                    await self._reachability.unreachable(chat_id)
                elif "message is not modified" not in exc.message:
                    log.error("Telegram refused a request: %s", exc.message)
                return False
            except TelegramEntityTooLarge as exc:  # a network error subclass; retrying is futile
                log.error("Telegram refused a too large request: %s", exc.message)
                return False
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("Telegram unreachable or failing (%s); retrying", exc)
                await self._sleep(min(2.0 ** attempt, MAX_BACKOFF))
        log.error("giving up on a message after %s attempts", MAX_ATTEMPTS)
        return False
