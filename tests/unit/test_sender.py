"""The Sender against a scripted fake Bot: splitting, 429, 403, keyboards, documents."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.domain.rate_limit import SendLimiter
from bot.domain.replies import Button, Document, Reply
from bot.domain.text_split import visible_length
from bot.transports.telegram.sender import Sender

METHOD = SendMessage(chat_id=1, text="x")


class ScriptedBot:
    """Records calls; raises the queued errors first."""

    def __init__(self, errors: list[Exception] | None = None) -> None:
        self.errors = list(errors or [])
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))
        if self.errors:
            raise self.errors.pop(0)

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        await self._record("send_message", chat_id=chat_id, text=text, **kwargs)

    async def send_document(self, chat_id: int, document: Any, **kwargs: Any) -> None:
        await self._record("send_document", chat_id=chat_id, document=document, **kwargs)

    async def edit_message_reply_markup(self, **kwargs: Any) -> None:
        await self._record("edit_message_reply_markup", **kwargs)


class Reach:
    def __init__(self) -> None:
        self.unreachable_chats: list[int] = []

    async def unreachable(self, chat_id: int) -> None:
        self.unreachable_chats.append(chat_id)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make(errors: list[Exception] | None = None) -> tuple[Sender, ScriptedBot, Reach, FakeTime]:
    bot, reach, fake_time = ScriptedBot(errors), Reach(), FakeTime()
    sender = Sender(bot, reach, SendLimiter(), clock=fake_time.clock,  # type: ignore[arg-type]
                    sleep=fake_time.sleep)
    return sender, bot, reach, fake_time


async def test_429_waits_retry_after_then_sends() -> None:
    sender, bot, reach, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3)])
    assert await sender.send(1, Reply("hello"))
    assert [c[0] for c in bot.calls] == ["send_message", "send_message"]
    assert 3.0 in fake_time.sleeps and not reach.unreachable_chats


async def test_403_marks_unreachable_and_stops() -> None:
    forbidden = TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user")
    sender, bot, reach, _ = make([forbidden])
    assert not await sender.send(9, Reply("hello"))
    assert reach.unreachable_chats == [9] and len(bot.calls) == 1


async def test_a_refused_request_is_not_retried() -> None:
    sender, bot, reach, _ = make([TelegramBadRequest(METHOD, "Bad Request: can't parse")])
    assert not await sender.send(1, Reply("hello"))
    assert len(bot.calls) == 1 and not reach.unreachable_chats


async def test_long_text_is_split_and_the_keyboard_goes_on_the_last_part() -> None:
    sender, bot, _, fake_time = make()
    paragraph = "Dit is een zin over toeslagen. " * 60
    text = "\n\n".join([paragraph.strip()] * 8)  # ~14,000 characters
    keyboard = ((Button("Menu", "m:menu"),),)
    assert await sender.send(1, Reply(text, keyboard))
    sent = [kwargs for name, kwargs in bot.calls]
    assert len(sent) >= 4
    assert all(visible_length(s["text"]) <= 4096 for s in sent)
    assert [s["reply_markup"] is not None for s in sent] == [False] * (len(sent) - 1) + [True]
    # More than the burst in one chat: later parts wait about a second each.
    assert sum(fake_time.sleeps) >= len(sent) - 3 - 0.01


async def test_document_with_a_short_caption_is_one_message() -> None:
    sender, bot, _, _ = make()
    reply = Reply("Here is your data.", document=Document("my.json", b"{}"))
    assert await sender.send(1, reply)
    [(name, kwargs)] = bot.calls
    assert name == "send_document" and kwargs["caption"] == "Here is your data."


async def test_user_text_is_escaped_before_sending(chat_escape: str = "<b>&</b>") -> None:
    from bot.domain.replies import escape

    sender, bot, _, _ = make()
    assert await sender.send(1, Reply(f"You wrote: {escape(chat_escape)}"))
    assert bot.calls[0][1]["text"] == "You wrote: &lt;b&gt;&amp;&lt;/b&gt;"


async def test_server_errors_are_retried_with_a_capped_backoff() -> None:
    from aiogram.exceptions import TelegramServerError

    sender, bot, _, fake_time = make([TelegramServerError(METHOD, "Bad Gateway")] * 2)
    assert await sender.send(1, Reply("hello"))
    assert len(bot.calls) == 3 and max(fake_time.sleeps) <= 8.0


async def test_too_large_is_refused_without_retries() -> None:
    from aiogram.exceptions import TelegramEntityTooLarge

    sender, bot, _, _ = make([TelegramEntityTooLarge(METHOD, "Request Entity Too Large")])
    assert not await sender.send(1, Reply("hello", document=Document("x.json", b"{}")))
    assert len(bot.calls) == 1


async def test_a_very_long_flood_wait_drops_the_message_instead_of_blocking() -> None:
    sender, bot, _, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3600)])
    assert not await sender.send(1, Reply("hello"))
    assert len(bot.calls) == 1 and sum(fake_time.sleeps) < 60


async def test_every_attempt_fails_then_gives_up() -> None:
    sender, bot, _, _ = make([TelegramRetryAfter(METHOD, "Too Many Requests", 1)] * 10)
    assert not await sender.send(1, Reply("hello"))
    assert len(bot.calls) == 5
