"""Fixtures of the end-to-end tests; the harness itself is tests/e2e/harness.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotAPI
from harness import RunningBot

from bot.services.chat import utc_now
from bot.services.ports import Clock


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    """The real clock; a module that moves time overrides it (a MovableClock)."""
    return utc_now


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, clock: Clock) -> AsyncIterator[RunningBot]:
    running = RunningBot(api, tmp_path, clock=clock)
    await running.start()
    yield running
    if running._task is not None:
        await running.stop()
    assert not refused(api), "the fake Bot API rejected requests:\n" + api.dump()


def refused(api: FakeBotAPI) -> list[object]:
    """What Telegram would refuse, except removing a keyboard that is already gone: the
    Sender retires keyboards late, from spare capacity, and Telegram answers a second
    removal with "message is not modified", which the Sender takes as done."""
    return [e for e in api.errors if not (
        e.method == "editMessageReplyMarkup" and "message is not modified" in (e.error or ""))]
