"""The outbox over real aiogram and HTTP: rows written before a crash are sent after the
restart exactly once; a blocked recipient ends the row and is marked unreachable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fakes.bot_api import FakeBotAPI
from harness import Person, RunningBot
from test_resilience import eventually, quick_onboard

from bot.domain import outbox


def write_row(bot: RunningBot, telegram_id: int, text: str, key: str, *,
              claimed_until: datetime | None = None) -> None:
    """A row as a committed unit of work leaves it; `claimed_until` as a drainer that died
    while sending it leaves it."""
    [(person_id,)] = bot.rows("SELECT id FROM people WHERE telegram_id = ?", telegram_id)
    now = datetime.now(UTC)
    bot.rows("INSERT INTO outbox (recipient_id, kind, proactive, body, key, status, not_before,"
             " claimed_until, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
             person_id, outbox.Kind.RELAY.value, False, outbox.Message(text).dumps(), key,
             outbox.Status.PENDING.value, now.isoformat(sep=" "),
             claimed_until.isoformat(sep=" ") if claimed_until else None,
             now.isoformat(sep=" "))


def texts_to(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [c.text or "" for c in api.messages_to(chat_id)]


async def test_rows_from_before_a_crash_arrive_once_after_the_restart(
        api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 3101)
    await quick_onboard(person)
    await bot.stop()  # the process dies after the commits, before the sends
    write_row(bot, 3101, "A sleutelpersoon answered your question.", "crash-1")
    write_row(bot, 3101, "And a second message.", "crash-2",
              claimed_until=datetime.now(UTC) - timedelta(seconds=1))  # its drainer died
    await bot.start()  # the drainer drains at start, without waiting for a tick
    await eventually(lambda: "And a second message." in texts_to(api, 3101))
    assert texts_to(api, 3101).count("A sleutelpersoon answered your question.") == 1
    # Marked sent right after each send, in its own transaction: wait for the marks too.
    await eventually(lambda: bot.rows("SELECT status, body FROM outbox ORDER BY id")
                     == [("sent", "{}")] * 2)

    await bot.stop()
    await bot.start()  # a second restart sends nothing again
    await asyncio.sleep(0.5)
    assert texts_to(api, 3101).count("And a second message.") == 1


async def test_a_blocked_recipient_ends_the_row_and_is_marked_unreachable(
        api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 3102)
    await quick_onboard(person)
    await bot.stop()
    api.block(3102)
    write_row(bot, 3102, "Are you still there?", "blocked-1")
    await bot.start()
    await eventually(lambda: bot.rows("SELECT status FROM outbox") == [("unreachable",)])
    [(since,)] = bot.rows("SELECT unreachable_since FROM people WHERE telegram_id = 3102")
    assert since is not None
