"""The one way out: every message to Telegram goes through Sender.

It keeps Telegram's limits (about 1 message/s per chat with short bursts, a global cap),
waits out a short 429 retry_after, marks a person unreachable on 403, splits long texts at
paragraph boundaries, falls back to plain text when Telegram cannot parse the HTML, and
never sends callback data over 64 bytes (the domain's Button refuses to exist with longer
data).

It never sleeps longer than the caller allows (`max_wait`): a reply inside a person's turn
waits a few seconds at most; a longer wait comes back as `Delivery.LATER` with the moment
to try again, so a flood wait cannot hold anyone's turn (or a queue) for an hour.

Telegram's per-chat limit (about 1 message/s) is shared by sending and editing. A person
who taps through buttons at reading speed needs every slot for the next question, so the
keyboard of the pressed message is retired afterwards, from spare capacity only
(`retire_keyboard`): in the background, newest first, one edit at a time, only when the
chat keeps room for its next answer and the global budget is half unused. A keyboard still
waiting can be pressed; the services answer a press on an older message as such.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol, TypeVar

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
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from bot.domain.delivery import RATE_LIMITED, SENT, UNREACHABLE, Delivery, SendResult
from bot.domain.rate_limit import SendLimiter
from bot.domain.replies import Keyboard, Reply, plain_text
from bot.domain.text_split import split_message, visible_length

log = logging.getLogger(__name__)
T = TypeVar("T")
CAPTION_LIMIT = 1024
MAX_ATTEMPTS = 5
TURN_WAIT = 10.0  # seconds a reply inside a person's turn may wait for Telegram's limits
MAX_BACKOFF = 8.0
_EDIT_GONE = ("message to edit not found", "message can't be edited")
RETIRE_PATIENCE = 60.0  # seconds to wait for spare capacity; then the chat's waiting ones stay
RETIRE_BACKLOG = 20  # keyboards of one chat waiting to be retired; older ones stay
RETIRED_REMEMBERED = 2000  # (chat, message) pairs whose keyboard is known to be gone


Booking = Callable[[int, float], Awaitable[float | None]]


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
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 keyboards_first: bool = False) -> None:
        self._bot = bot
        self._reachability = reachability
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        # The way before issue 8, kept only as bench/taps.py's baseline: remove the pressed
        # keyboard first, in the chat's lane, then answer (about 1.5 s per tap at 1/s).
        self.keyboards_first = keyboards_first
        # Broadcast rows book spare capacity one at a time, in the order they ask: one
        # waiter polls the limiter, not fifty (bot.services.outbox, `background`).
        self._background_turn = asyncio.Lock()
        self._to_retire: dict[int, dict[int, None]] = {}  # chat -> message ids, in order
        self._retiring: dict[int, asyncio.Task[None]] = {}  # chat -> its one background task
        # Keyboards already removed: a second press on the same message (before Telegram
        # showed the first edit) must not edit it again ("message is not modified").
        self._retired: dict[tuple[int, int], None] = {}

    async def send(self, chat_id: int, reply: Reply, *, max_wait: float = TURN_WAIT,
                   background: bool = False, paid: bool = False,
                   reply_to: int | None = None) -> SendResult:
        """Deliver one reply, in as many messages as its length needs. A refused part does
        not stop the others; UNREACHABLE and LATER do (the rest would fare the same).
        `background` (a broadcast): only from capacity that conversations leave unused;
        `paid`: with allow_paid_broadcast, beyond the free global limit, for a fee;
        `reply_to`: the first part answers that message (a relayed text, translated)."""
        book = self._booking(background, paid)
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        chunks = split_message(reply.text)
        worst = SENT
        if reply.place is not None:  # the pin first, then what it is about
            place = reply.place
            pinned = await self._call(chat_id, lambda: self._bot.send_venue(
                chat_id, place.latitude, place.longitude, place.title[:100],
                place.address or "-", **extra), max_wait, book=book)
            if pinned.final:
                return pinned
            if not pinned.sent:
                worst = pinned
        if reply.document is not None:
            caption = chunks[0] if len(chunks) == 1 and \
                visible_length(chunks[0]) <= CAPTION_LIMIT else None
            document = BufferedInputFile(reply.document.content, reply.document.filename)
            result = await self._html_or_plain(chat_id, caption, lambda text, **mode: (
                self._bot.send_document(chat_id, document, caption=text,
                                        reply_markup=markup(reply.keyboard) if caption else None,
                                        **mode, **extra)), max_wait, book)
            if result.final or caption is not None:
                return result
            worst = result
        last = SENT
        for index, chunk in enumerate(chunks):
            keyboard = markup(reply.keyboard) if index == len(chunks) - 1 else None
            answers = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) \
                if reply_to is not None and index == 0 else None
            result = await self._html_or_plain(chat_id, chunk, partial(
                self._bot.send_message, chat_id, reply_markup=keyboard,
                reply_parameters=answers, **extra), max_wait, book)
            if result.final:
                return result
            if not result.sent:
                worst = result
            last = result
        return last if worst.sent else worst  # all sent: the id of the one with the buttons

    async def edit(self, chat_id: int, message_id: int, reply: Reply, *,
                   max_wait: float = TURN_WAIT) -> SendResult:
        """Replace the text (and buttons) of a message the bot sent, e.g. a request to take a
        question that someone else took. A message that is gone is not an error."""
        text = split_message(reply.text)[0]
        result = await self._html_or_plain(chat_id, text, lambda text, **mode: (
            self._bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id,
                                        reply_markup=markup(reply.keyboard), **mode)),
                                           max_wait)
        if result.sent and not reply.keyboard:  # its buttons are gone: nothing to retire
            self._remember_retired(chat_id, message_id)
            self._to_retire.get(chat_id, {}).pop(message_id, None)
        return result

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int, *,
                   reply_to: int | None = None, max_wait: float = TURN_WAIT,
                   caption: str | None = None, background: bool = False,
                   paid: bool = False) -> SendResult:
        """Copy a message someone wrote into another chat as it is (text, photo, voice note,
        document, sticker) without "forwarded from": the relay between a newcomer and a
        sleutelpersoon. A reply link to a message that is gone is dropped, not an error.
        `caption` (Telegram HTML) replaces the original's: a broadcast's photo with the
        recipient's language version."""
        reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) \
            if reply_to is not None else None
        extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
        book = self._booking(background, paid)
        if caption is None:
            return await self._call(chat_id, lambda: self._bot.copy_message(
                chat_id=chat_id, from_chat_id=from_chat_id, message_id=message_id,
                reply_parameters=reply, **extra), max_wait, book=book)
        return await self._html_or_plain(chat_id, caption, lambda text, **mode: (
            self._bot.copy_message(chat_id=chat_id, from_chat_id=from_chat_id,
                                   message_id=message_id, caption=text,
                                   reply_parameters=reply, **mode, **extra)), max_wait, book)

    async def acknowledge(self, query_id: str, notice: str | None = None) -> None:
        """Answer a button press (stops the client's spinner). Not a chat message, so no
        per-chat lane; an old or already answered query is not worth an error."""
        try:
            await self._bot.answer_callback_query(query_id, text=notice)
        except TelegramAPIError as exc:
            log.info("could not answer a button press: %s", exc.message)

    async def drop_keyboard(self, chat_id: int, message_id: int, *,
                            max_wait: float = TURN_WAIT) -> SendResult:
        """Remove the buttons of a message that was answered, so they cannot go stale."""
        return await self._call(chat_id, lambda: self._bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None), max_wait)

    def retire_keyboard(self, chat_id: int, message_id: int) -> None:
        """Remove the buttons of an answered message later, from spare capacity only, so
        that retiring them never delays a message to this chat (or to anyone). Never
        waits: the edits run in one background task per chat, newest first (the one just
        above the current question is the likeliest to be pressed by mistake)."""
        if (chat_id, message_id) in self._retired:
            return
        waiting = self._to_retire.setdefault(chat_id, {})
        waiting[message_id] = None
        while len(waiting) > RETIRE_BACKLOG:
            del waiting[next(iter(waiting))]
        task = self._retiring.get(chat_id)
        if task is None or task.done():
            self._retiring[chat_id] = asyncio.create_task(
                self._retire_waiting(chat_id), name=f"retire-keyboards-{chat_id}")

    async def retired(self) -> None:
        """Until every keyboard waiting to be retired is retired or given up."""
        while tasks := [task for task in self._retiring.values() if not task.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        """Stop retiring keyboards (at shutdown); those still waiting keep their buttons."""
        tasks = list(self._retiring.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._retiring.clear()
        self._to_retire.clear()
        self._retired.clear()

    async def _retire_waiting(self, chat_id: int) -> None:
        try:
            while waiting := self._to_retire.get(chat_id):
                message_id = next(reversed(waiting))  # the newest: nearest the question
                result = await self._call(chat_id, partial(
                    self._bot.edit_message_reply_markup, chat_id=chat_id,
                    message_id=message_id, reply_markup=None),
                    RETIRE_PATIENCE, book=self._book_spare)
                waiting.pop(message_id, None)
                if result.sent:
                    self._remember_retired(chat_id, message_id)
                if result.final:  # blocked, or no spare capacity for too long: they stay
                    log.info("%s keyboards of a chat stay: %s", len(waiting), result.status)
                    break
        except Exception:  # tidying up must never take anything else down
            log.exception("could not retire keyboards")
        finally:
            self._to_retire.pop(chat_id, None)
            if self._retiring.get(chat_id) is asyncio.current_task():
                del self._retiring[chat_id]

    def _remember_retired(self, chat_id: int, message_id: int) -> None:
        self._retired[(chat_id, message_id)] = None
        while len(self._retired) > RETIRED_REMEMBERED:
            del self._retired[next(iter(self._retired))]

    def _booking(self, background: bool, paid: bool) -> Booking | None:
        if not background:
            return None  # a message someone waits for: `_book`
        return partial(self._book_background, paid=paid)

    async def _book_background(self, chat_id: int, max_wait: float, *,
                               paid: bool = False) -> float | None:
        """A broadcast row: one at a time, from spare capacity (or, paid, from the paid
        budget): conversations keep their share of the global budget and their chats'."""
        async with self._background_turn:
            if paid:
                return await self._book_paid(chat_id, max_wait)
            return await self._book_spare(chat_id, max_wait)

    async def _book_paid(self, chat_id: int, max_wait: float) -> float | None:
        """Like `_book_spare`, from the paid budget (SendLimiter.take_paid)."""
        return await self._book_when(self._limiter.take_paid, self._limiter.paid_delay,
                                     chat_id, max_wait)

    async def _book_spare(self, chat_id: int, max_wait: float) -> float | None:
        """Like `_book`, but only from spare capacity (see SendLimiter.take_spare)."""
        return await self._book_when(self._limiter.take_spare, self._limiter.spare_delay,
                                     chat_id, max_wait)

    async def _book_when(self, take: Callable[[int, float], bool],
                         delay: Callable[[int, float], float], chat_id: int,
                         max_wait: float) -> float | None:
        """Wait until `take` books, or hand back the wait when it would pass `max_wait`."""
        deadline = self._clock() + max_wait
        while not take(chat_id, now := self._clock()):
            wait = delay(chat_id, now)
            if now + wait > deadline:
                return wait
            await self._sleep(max(wait, 0.001))
        return None

    async def _html_or_plain(self, chat_id: int, text: str | None,
                             request: Callable[..., Awaitable[Any]],
                             max_wait: float, book: Booking | None = None) -> SendResult:
        """Send as HTML; if Telegram cannot parse it (a content mistake), the words still
        matter more than the markup: send them once more as plain text."""
        result = await self._call(chat_id, lambda: request(text), max_wait, book=book)
        if text is None or result.status is not Delivery.REFUSED \
                or "can't parse entities" not in result.detail.lower():
            return result
        log.error("Telegram could not parse a message's HTML; sending it as plain text")
        plain = plain_text(text)
        return await self._call(chat_id, lambda: request(plain, parse_mode=None), max_wait,
                                book=book)

    def _later(self, seconds: float, detail: str = "") -> SendResult:
        return SendResult(Delivery.LATER, self._wall_clock() + timedelta(seconds=seconds),
                          detail)

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)

    async def _book(self, chat_id: int, max_wait: float) -> float | None:
        """Wait for this chat's and the global turn; None (and nothing booked) when that
        would take longer than `max_wait`. Returns the seconds it would have taken."""
        now = self._clock()
        if (blocked := self._limiter.blocked_until(chat_id) - now) > max_wait:
            return blocked
        chat_wait = self._limiter.chat_delay(chat_id, now)
        if chat_wait > max_wait:
            self._limiter.release(chat_id)
            return chat_wait
        await self._wait(chat_wait)
        global_wait = self._limiter.global_delay(self._clock())
        if chat_wait + global_wait > max_wait:
            self._limiter.release(chat_id, global_too=True)
            return chat_wait + global_wait
        await self._wait(global_wait)
        return None

    async def _call(self, chat_id: int, request: Callable[[], Awaitable[T]],
                    max_wait: float, *, book: Booking | None = None) -> SendResult:
        """One request with its bookings, retries and the answer as a SendResult. A 429
        for a broadcast row is the bot's: its chat had no other message, so the whole bot
        waits (issue 10: a broadcast never hammers on)."""
        broadcast = isinstance(book, partial) and book.func == self._book_background
        tidying = book is not None  # tidying or a broadcast: waiting is expected
        book = book or self._book
        deadline = self._clock() + max_wait  # all waits of all attempts together
        for attempt in range(1, MAX_ATTEMPTS + 1):
            budget = max(0.0, deadline - self._clock())
            if (too_long := await book(chat_id, budget)) is not None:
                log.log(logging.INFO if tidying else logging.WARNING,
                        "a request for a chat must wait %.0f s: handed back", too_long)
                return self._later(too_long, RATE_LIMITED)
            try:
                response = await request()
                message_id = getattr(response, "message_id", None)
                return SendResult(Delivery.SENT, message_id=message_id) \
                    if isinstance(message_id, int) else SENT
            except TelegramRetryAfter as exc:
                bot_wide = self._limiter.retry_after(chat_id, float(exc.retry_after),
                                                     self._clock())
                if broadcast and not bot_wide:
                    self._limiter.pause_all(float(exc.retry_after), self._clock())
                    bot_wide = True
                log.warning("429%s: retry after %s s (attempt %s)",
                            " for the whole bot" if bot_wide else " for a chat",
                            exc.retry_after, attempt)
            except TelegramForbiddenError:
                log.info("a person blocked the bot; marking them unreachable")
                await self._reachability.unreachable(chat_id)
                return UNREACHABLE
            except TelegramBadRequest as exc:
                if "chat not found" in exc.message.lower():
                    await self._reachability.unreachable(chat_id)
                    return UNREACHABLE
                if "message is not modified" in exc.message:
                    return SENT
                if any(gone in exc.message for gone in _EDIT_GONE):
                    # Retiring an old keyboard: the person deleted the message, or it is
                    # too old to edit. Nothing is lost; not an error to page anyone about.
                    log.info("a message to edit is gone: %s", exc.message)
                    return SendResult(Delivery.REFUSED, detail=exc.message)
                log.error("Telegram refused a request: %s", exc.message)
                return SendResult(Delivery.REFUSED, detail=exc.message)
            except TelegramEntityTooLarge as exc:  # a network error subclass; retrying is futile
                log.error("Telegram refused a too large request: %s", exc.message)
                return SendResult(Delivery.REFUSED, detail=exc.message)
            except (TelegramNetworkError, TelegramServerError) as exc:
                backoff = min(2.0 ** attempt, MAX_BACKOFF)
                if attempt == MAX_ATTEMPTS or self._clock() + backoff > deadline:
                    log.warning("Telegram unreachable or failing (%s); handed back", exc)
                    return self._later(backoff)
                log.warning("Telegram unreachable or failing (%s); retrying", exc)
                await self._sleep(backoff)
        log.error("giving up on a message after %s attempts", MAX_ATTEMPTS)
        return self._later(MAX_BACKOFF)
