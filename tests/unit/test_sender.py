"""The Sender against a scripted fake Bot: splitting, 429, 403, keyboards, documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.domain.delivery import Delivery
from bot.domain.rate_limit import SendLimiter
from bot.domain.replies import Button, Document, Outcome, Reply
from bot.domain.text_split import visible_length
from bot.transports.telegram.replies import deliver
from bot.transports.telegram.sender import TURN_WAIT, Sender

METHOD = SendMessage(chat_id=1, text="x")
WALL = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


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
                    sleep=fake_time.sleep, wall_clock=lambda: WALL)
    return sender, bot, reach, fake_time


async def test_429_waits_retry_after_then_sends() -> None:
    sender, bot, reach, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3)])
    assert (await sender.send(1, Reply("hello"))).sent
    assert [c[0] for c in bot.calls] == ["send_message", "send_message"]
    assert 3.0 in fake_time.sleeps and not reach.unreachable_chats


async def test_403_marks_unreachable_and_stops() -> None:
    forbidden = TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user")
    sender, bot, reach, _ = make([forbidden])
    assert (await sender.send(9, Reply("hello"))).status is Delivery.UNREACHABLE
    assert reach.unreachable_chats == [9] and len(bot.calls) == 1


async def test_a_refused_request_is_not_retried() -> None:
    sender, bot, reach, _ = make([TelegramBadRequest(METHOD, "Bad Request: message is too odd")])
    result = await sender.send(1, Reply("hello"))
    assert result.status is Delivery.REFUSED and "too odd" in result.detail
    assert len(bot.calls) == 1 and not reach.unreachable_chats


async def test_a_keyboard_of_a_message_that_is_gone_is_no_error(
        caplog: pytest.LogCaptureFixture) -> None:
    gone = TelegramBadRequest(METHOD, "Bad Request: message to edit not found")
    sender, bot, reach, _ = make([gone])
    result = await sender.drop_keyboard(1, 42)
    assert result.status is Delivery.REFUSED and len(bot.calls) == 1
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert not reach.unreachable_chats


async def test_long_text_is_split_and_the_keyboard_goes_on_the_last_part() -> None:
    sender, bot, _, fake_time = make()
    paragraph = "Dit is een zin over toeslagen. " * 60
    text = "\n\n".join([paragraph.strip()] * 8)  # ~14,000 characters
    keyboard = ((Button("Menu", "m:menu"),),)
    assert (await sender.send(1, Reply(text, keyboard))).sent
    sent = [kwargs for name, kwargs in bot.calls]
    assert len(sent) >= 4
    assert all(visible_length(s["text"]) <= 4096 for s in sent)
    assert [s["reply_markup"] is not None for s in sent] == [False] * (len(sent) - 1) + [True]
    # More than the burst in one chat: later parts wait about a second each.
    assert sum(fake_time.sleeps) >= len(sent) - 3 - 0.01


async def test_document_with_a_short_caption_is_one_message() -> None:
    sender, bot, _, _ = make()
    reply = Reply("Here is your data.", document=Document("my.json", b"{}"))
    assert (await sender.send(1, reply)).sent
    [(name, kwargs)] = bot.calls
    assert name == "send_document" and kwargs["caption"] == "Here is your data."


async def test_user_text_is_escaped_before_sending(chat: Any) -> None:
    """A word someone typed comes back inside a message (Turn.fill): what reaches Telegram
    must parse as HTML and show exactly what they typed, in English and in Arabic (RTL)."""
    from bot.content.telegram_html import parse_telegram_html
    from bot.domain.bidi import strip_controls
    from bot.domain.incoming import Caller

    typed = "<b>R&D</b> <i"
    for number, lang in enumerate(("en", "ar"), start=1):
        caller = Caller(telegram_id=number, chat_id=number, language_code=lang)
        await chat.command(caller, "start")
        for answer in (f"o:lang:{lang}", "o:consent:yes", "o:muni:leiden", "o:beg:ended"):
            await chat.button(caller, answer)
        sender, bot, _, _ = make()
        await deliver(sender, caller.chat_id, await chat.command(caller, "word", typed))
        [(name, sent)] = bot.calls
        assert name == "send_message" and "&lt;b&gt;R&amp;D&lt;/b&gt; &lt;i" in sent["text"]
        shown = strip_controls(parse_telegram_html(sent["text"]).text)  # as the fake Bot API
        assert typed in shown, (lang, shown)


async def test_server_errors_are_retried_with_a_capped_backoff() -> None:
    from aiogram.exceptions import TelegramServerError

    sender, bot, _, fake_time = make([TelegramServerError(METHOD, "Bad Gateway")] * 2)
    assert (await sender.send(1, Reply("hello"))).sent
    assert len(bot.calls) == 3 and max(fake_time.sleeps) <= 8.0


async def test_too_large_is_refused_without_retries() -> None:
    from aiogram.exceptions import TelegramEntityTooLarge

    sender, bot, _, _ = make([TelegramEntityTooLarge(METHOD, "Request Entity Too Large")])
    result = await sender.send(1, Reply("hello", document=Document("x.json", b"{}")))
    assert result.status is Delivery.REFUSED and len(bot.calls) == 1


async def test_a_very_long_flood_wait_hands_back_a_time_instead_of_blocking() -> None:
    sender, bot, _, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3600)])
    result = await sender.send(1, Reply("hello"))
    assert result.status is Delivery.LATER and result.retry_at is not None
    assert timedelta(seconds=3590) < result.retry_at - WALL < timedelta(seconds=3610)
    assert len(bot.calls) == 1 and sum(fake_time.sleeps) <= TURN_WAIT


async def test_the_next_reply_after_a_long_flood_wait_does_not_sleep_it_out() -> None:
    """The reproduction of issue 6: the person's next reply used to sleep ~an hour inside
    their turn, and nothing else of theirs was answered."""
    sender, bot, _, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3600)])
    await sender.send(1, Reply("hello"))
    fake_time.now += 1
    result = await sender.send(1, Reply("the answer to the next message"))
    assert result.status is Delivery.LATER
    assert len(bot.calls) == 1 and sum(fake_time.sleeps) <= TURN_WAIT


async def test_a_flood_wait_of_one_chat_does_not_hold_others() -> None:
    sender, _bot, _, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3600)])
    await sender.send(1, Reply("hello"))
    assert (await sender.send(2, Reply("hello"))).sent
    assert sum(fake_time.sleeps) <= TURN_WAIT


async def test_flood_waits_for_three_chats_pause_everyone() -> None:
    flood = TelegramRetryAfter(METHOD, "Too Many Requests", 120)
    sender, bot, _, fake_time = make([flood, flood, flood])
    await sender.send(1, Reply("hello"))
    await sender.send(2, Reply("hello"))
    assert (await sender.send(4, Reply("hello"))).status is Delivery.LATER  # the 3rd 429
    calls = len(bot.calls)
    fifth = await sender.send(5, Reply("hello"))  # a chat Telegram never complained about
    assert fifth.status is Delivery.LATER and len(bot.calls) == calls
    fake_time.now += 121
    assert (await sender.send(5, Reply("hello"))).sent


async def test_flood_waits_for_two_chats_are_still_their_own() -> None:
    flood = TelegramRetryAfter(METHOD, "Too Many Requests", 120)
    sender, _bot, _, _ = make([flood, flood])
    await sender.send(1, Reply("hello"))
    await sender.send(2, Reply("hello"))
    assert (await sender.send(3, Reply("hello"))).sent


async def test_network_trouble_never_holds_a_turn_longer_than_its_wait() -> None:
    from aiogram.exceptions import TelegramNetworkError

    sender, bot, _, fake_time = make([TelegramNetworkError(METHOD, "timeout")] * 5)
    result = await sender.send(1, Reply("hello"))
    assert result.status is Delivery.LATER and sum(fake_time.sleeps) <= TURN_WAIT
    assert len(bot.calls) < 5  # handed back instead of sleeping through every attempt


async def test_a_proactive_message_is_handed_back_rather_than_waiting() -> None:
    sender, bot, _, fake_time = make()
    for _ in range(3):  # the chat's burst
        assert (await sender.send(1, Reply("hello"), max_wait=0)).sent
    later = await sender.send(1, Reply("one more"), max_wait=0)
    assert later.status is Delivery.LATER and not fake_time.sleeps and len(bot.calls) == 3
    fake_time.now += 1.0  # the booking was given back: a second later it goes at once
    assert (await sender.send(1, Reply("one more"), max_wait=0)).sent


async def test_html_telegram_cannot_parse_is_sent_as_plain_text() -> None:
    refused = TelegramBadRequest(
        METHOD, "Bad Request: can't parse entities: Unsupported start tag \"x\"")
    sender, bot, _, _ = make([refused])
    keyboard = ((Button("Menu", "m:menu"),),)
    result = await sender.send(1, Reply("<b>Huurtoeslag</b> &amp; <x>zorgtoeslag</x>", keyboard))
    assert result.sent
    (_, first), (_, second) = bot.calls
    assert "parse_mode" not in first
    assert second["text"] == "Huurtoeslag & zorgtoeslag" and second["parse_mode"] is None
    assert second["reply_markup"] is not None  # the buttons still arrive


async def test_a_refused_reply_does_not_stop_the_next_one_with_the_buttons() -> None:
    sender, bot, _, _ = make([TelegramBadRequest(METHOD, "Bad Request: message is too odd")])
    keyboard = ((Button("Menu", "m:menu"),),)
    await deliver(sender, 1, Outcome([Reply("a note"), Reply("the question", keyboard)]))  # type: ignore[arg-type]
    assert [kwargs["text"] for _, kwargs in bot.calls] == ["a note", "the question"]


async def test_a_blocked_chat_stops_the_rest_of_the_replies() -> None:
    forbidden = TelegramForbiddenError(METHOD, "Forbidden: bot was blocked by the user")
    sender, bot, reach, _ = make([forbidden])
    await deliver(sender, 1, Outcome([Reply("a note"), Reply("the question")]))  # type: ignore[arg-type]
    assert len(bot.calls) == 1 and reach.unreachable_chats == [1]


async def test_every_attempt_fails_then_gives_up() -> None:
    sender, bot, _, _ = make([TelegramRetryAfter(METHOD, "Too Many Requests", 1)] * 10)
    assert (await sender.send(1, Reply("hello"))).status is Delivery.LATER
    assert len(bot.calls) == 5


def press_on(chat_id: int, message_id: int) -> Any:
    from aiogram.types import CallbackQuery, Chat, Message, User

    return CallbackQuery(id=f"q{message_id}", chat_instance="c", data="x",
                         from_user=User(id=chat_id, is_bot=False, first_name="A"),
                         message=Message(message_id=message_id, date=WALL,
                                         chat=Chat(id=chat_id, type="private")))


QUESTION = Reply("Which toeslag is it about?", ((Button("Huur", "t:toeslagen:huur"),),))


async def test_the_answer_goes_first_then_the_pressed_keyboard_is_retired() -> None:
    from bot.transports.telegram.replies import answer_button

    sender, bot, _, _ = make()
    await answer_button(press_on(1, 5), sender, Outcome([QUESTION]))
    assert [name for name, _ in bot.calls] == ["send_message"]  # nothing waited for an edit
    await sender.retired()
    assert bot.calls[1] == ("edit_message_reply_markup",
                            {"chat_id": 1, "message_id": 5, "reply_markup": None})


async def test_tapping_at_reading_speed_no_answer_waits_for_a_keyboard() -> None:
    """Five taps, each 0.5 s after the question (a fake clock). Removing the keyboard first
    (the old way) spends two of the chat's slots per tap and soon makes answers wait;
    retiring it from spare capacity leaves every slot to the answers."""
    from bot.transports.telegram.replies import answer_button

    waits: dict[bool, list[float]] = {}
    for keyboards_first in (True, False):
        sender, bot, _, fake_time = make()
        sender.keyboards_first = keyboards_first
        waits[keyboards_first] = []
        for message_id in range(1, 6):
            fake_time.now += 0.5
            pressed = fake_time.now
            await answer_button(press_on(1, message_id), sender, Outcome([QUESTION]))
            waits[keyboards_first].append(fake_time.now - pressed)
        await sender.retired()
        edits = [kw["message_id"] for name, kw in bot.calls if name.startswith("edit")]
        assert sorted(edits) == [1, 2, 3, 4, 5]
        assert edits == ([1, 2, 3, 4, 5] if keyboards_first else [5, 4, 3, 2, 1])
    assert waits[False] == [0.0] * 5
    assert sum(waits[True]) >= 1.0


async def test_retired_keyboards_wait_until_the_chat_has_spare_capacity() -> None:
    sender, bot, _, fake_time = make()
    for _ in range(3):  # the chat's whole burst
        await sender.send(1, QUESTION)
    sender.retire_keyboard(1, 7)
    await sender.retired()
    assert bot.calls[-1][0] == "edit_message_reply_markup"
    assert fake_time.now >= 3.0  # the lane refilled to its burst before the edit took a slot


async def test_a_keyboard_is_retired_once() -> None:
    sender, bot, _, _ = make()
    sender.retire_keyboard(1, 5)
    sender.retire_keyboard(1, 5)  # pressed twice before its buttons were gone
    await sender.retired()
    assert [kw["message_id"] for _, kw in bot.calls] == [5]


async def test_a_keyboard_stays_when_telegram_asks_to_wait_long() -> None:
    sender, bot, _, fake_time = make([TelegramRetryAfter(METHOD, "Too Many Requests", 3600)])
    await sender.send(1, Reply("hello"))
    sender.retire_keyboard(1, 5)
    await sender.retired()
    assert len(bot.calls) == 1 and not fake_time.sleeps  # given up at once, nothing held


async def test_closing_stops_retiring() -> None:
    sender, bot, _, _ = make()
    sender.retire_keyboard(1, 5)
    await sender.close()
    await sender.retired()
    assert not bot.calls


# -- broadcasts (issue 10) ---------------------------------------------------------------------


async def test_one_429_on_a_broadcast_row_pauses_every_chat() -> None:
    """A broadcast row's chat had no other message: its 429 is the bot's, not the chat's."""
    flood = TelegramRetryAfter(METHOD, "Too Many Requests", 120)
    sender, bot, _, fake_time = make([flood])
    assert (await sender.send(1, Reply("news"), background=True,
                              max_wait=2.0)).status is Delivery.LATER
    calls = len(bot.calls)
    assert (await sender.send(2, Reply("hello"), max_wait=2.0)).status is Delivery.LATER
    assert len(bot.calls) == calls  # nothing to anyone while Telegram said wait
    fake_time.now += 121
    assert (await sender.send(2, Reply("hello"))).sent


async def test_a_broadcast_row_leaves_half_the_budget_to_conversations() -> None:
    bot, reach, fake_time = ScriptedBot(), Reach(), FakeTime()
    sender = Sender(bot, reach, SendLimiter(global_rate=10),  # type: ignore[arg-type]
                    clock=fake_time.clock, sleep=fake_time.sleep, wall_clock=lambda: WALL)
    for chat in range(100, 105):  # conversations used half of the global budget
        await sender.send(chat, Reply("answer"))
    assert fake_time.sleeps == []
    assert (await sender.send(7, Reply("news"), background=True, max_wait=5.0)).sent
    assert fake_time.sleeps  # it waited until the budget was half full again
    before = list(fake_time.sleeps)
    assert (await sender.send(8, Reply("answer"))).sent  # an answer never waits for it
    assert fake_time.sleeps == before


async def test_a_paid_broadcast_row_asks_for_the_paid_limit() -> None:
    sender, bot, _, _ = make()
    assert (await sender.send(1, Reply("news"), background=True, paid=True)).sent
    assert bot.calls[-1][1]["allow_paid_broadcast"] is True
    assert (await sender.send(2, Reply("answer"))).sent
    assert "allow_paid_broadcast" not in bot.calls[-1][1]
