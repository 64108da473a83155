"""The bot token never reaches the logs of a running bot: not in a message, not in a traceback,
whichever library logs it and whichever handler formats it (pytest's, a plain StreamHandler)."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from fakes.bot_api import FakeBotAPI
from harness import TOKEN, Person, RunningBot

from bot.logging_setup import MASK
from bot.services.chat import ChatService

SECRET_HALF = TOKEN.partition(":")[2]  # the bot id before the colon is public


@pytest.fixture(autouse=True)
def no_redaction_before_the_bot() -> Iterator[None]:
    """Redaction is process-wide: start without it, so only the bot's own start protects
    the logs here, and leave none behind."""
    original = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    yield
    logging.setLogRecordFactory(original)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A real handler on the root logger, formatting messages and tracebacks."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    yield text
    logging.getLogger().removeHandler(handler)


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def drop_the_next_send(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A network error on the way to the Bot API whose message holds the URL, token and all,
    as aiohttp's errors about a request do; aiogram turns it into TelegramNetworkError."""
    original = aiohttp.ClientSession.post
    dropped: list[str] = []

    def post(self: aiohttp.ClientSession, url: Any, **kwargs: Any) -> Any:
        if not dropped and str(url).endswith("/sendMessage"):
            dropped.append(str(url))
            raise aiohttp.ClientConnectionError(f"Connection reset by peer: POST {url}")
        return original(self, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "post", post)
    return dropped


def crash_on_text(monkeypatch: pytest.MonkeyPatch, api: FakeBotAPI) -> None:
    """A crash whose message and cause name the token, as a careless error message might."""
    async def text(self: ChatService, *args: object) -> object:
        url = f"{api.base_url}/bot{TOKEN}/getFile"
        try:
            raise ConnectionError(f"cannot reach {url}")
        except ConnectionError as cause:
            raise RuntimeError(f"downloading from {url} failed") from cause

    monkeypatch.setattr(ChatService, "on_text", text)  # inside the turn the Desk opens


async def test_no_log_record_or_traceback_shows_the_token(
        api: FakeBotAPI, bot: RunningBot, caplog: pytest.LogCaptureFixture,
        stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    person = Person(api, 2101)
    await person.say("/start")

    api.fail_next("sendMessage", 2101, status=400, description="Bad Request: test")
    api.user_message(2101, "/help")
    await eventually(lambda: any(r.levelno >= logging.WARNING for r in caplog.records))

    masked = stream.getvalue().count(MASK)
    dropped = drop_the_next_send(monkeypatch)
    api.user_message(2101, "/menu")
    await eventually(lambda: bool(dropped) and stream.getvalue().count(MASK) > masked)
    assert TOKEN in dropped[0]  # the error did carry the token

    masked = stream.getvalue().count(MASK)
    crash_on_text(monkeypatch, api)
    api.user_message(2101, "where is the town hall?")
    await eventually(lambda: "Traceback" in stream.getvalue()
                     and stream.getvalue().count(MASK) > masked)

    for record in caplog.records:
        for text in (record.getMessage(), record.exc_text or "", record.stack_info or ""):
            assert SECRET_HALF not in text, (record.name, text)
    for output in (caplog.text, stream.getvalue()):
        assert "downloading from" in output and "cannot reach" in output  # both tracebacks
        assert SECRET_HALF not in output
