"""End-to-end harness: the real aiogram Dispatcher and Bot, over HTTP, against FakeBotAPI.

In a module of its own name (tests import it as `harness`): `conftest` is also the name of
tests/conftest.py, and a test run that collects both could import the wrong one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from fakes.bot_api import FakeBotAPI, RecordedCall

from bot.domain.rate_limit import SendLimiter
from bot.services.chat import utc_now
from bot.services.ports import Clock
from bot.settings import Settings
from bot.transports.telegram.runner import TelegramRunner

TOKEN = "123456:TEST-token_for-e2e"


class RunningBot:
    """`wegwijs run` in-process; stop() and start() again is a restart on the same database."""

    def __init__(self, api: FakeBotAPI, data_dir: Path, fast: bool = True,
                 clock: Clock = utc_now) -> None:
        self.api = api
        self.data_dir = data_dir
        self.fast = fast
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self.runner: TelegramRunner | None = None

    def settings(self) -> Settings:
        return Settings(_env_file=None, bot_token=TOKEN,  # type: ignore[call-arg]
                        telegram_api_url=self.api.base_url, data_dir=self.data_dir,
                        database_url=None, tick_seconds=3600, log_level="INFO")

    async def start(self) -> None:
        # Tests press buttons faster than people do; the per-chat pacing has its own test.
        limiter = SendLimiter(per_chat_rate=50, per_chat_burst=50) if self.fast else None
        self.runner = TelegramRunner(self.settings(), limiter, clock=self.clock)
        polls_before = self._polls()
        self._task = asyncio.create_task(self.runner.run(handle_signals=False))
        for _ in range(200):  # until the first long poll arrives
            if self._polls() > polls_before:
                return
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.025)
        raise AssertionError("the bot never polled for updates")

    def _polls(self) -> int:
        return sum(r.method.lower() == "getupdates" for r in self.api.requests)

    async def stop(self) -> None:
        assert self.runner is not None and self._task is not None
        await asyncio.wait_for(self.runner.stop(), 15)
        await asyncio.wait_for(self._task, 15)
        self._task = None

    async def settled(self) -> None:
        """Until no outbox row is being sent. Call before moving a test's clock: a row
        claimed before a jump of days looks like one whose sender died (its lease has
        passed) and would be sent a second time."""
        for _ in range(400):
            [(sending,)] = self.rows("SELECT count(*) FROM outbox WHERE status = 'pending'"
                                     " AND claimed_until IS NOT NULL")
            if not sending:
                return
            await asyncio.sleep(0.025)
        raise AssertionError("outbox rows still being sent after 10 s")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data_dir / "wegwijs.db") as db:
            return db.execute(sql, params).fetchall()


class Person:
    """A Telegram user talking to the bot through the fake server."""

    def __init__(self, api: FakeBotAPI, user_id: int, language_code: str = "en") -> None:
        self.api = api
        self.id = user_id
        self.language_code = language_code
        self.last: RecordedCall | None = None

    async def say(self, text: str, replies: int = 1) -> list[RecordedCall]:
        self.api.user_message(self.id, text, language_code=self.language_code)
        return await self._expect(replies)

    async def press(self, data: str, replies: int = 1,
                    on: RecordedCall | None = None) -> list[RecordedCall]:
        message = on or self.last
        assert message is not None and message.message is not None
        self.api.press_button(self.id, message.message["message_id"], data)
        return await self._expect(replies)

    async def _expect(self, count: int) -> list[RecordedCall]:
        calls = await self.api.next_messages(self.id, count, timeout=10)
        self.last = calls[-1]
        return calls


