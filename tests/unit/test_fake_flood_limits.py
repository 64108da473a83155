"""The fake Bot API's opt-in Telegram-like flood limits (bench/taps.py measures against them)."""

from __future__ import annotations

import pytest
from fakes.bot_api import ApiError, FloodLimitedBotAPI, FloodLimits, RecordedCall


def call(method: str, chat_id: int = 1) -> RecordedCall:
    return RecordedCall(method, chat_id, {})


def outcome(api: FloodLimitedBotAPI, method: str, chat_id: int = 1) -> int | None:
    """None if the call may go, else the retry_after of its 429."""
    try:
        api._inject_faults(call(method, chat_id))
    except ApiError as error:
        assert error.status == 429 and error.injected
        return error.retry_after
    return None


@pytest.fixture
def api() -> FloodLimitedBotAPI:
    server = FloodLimitedBotAPI(FloodLimits(slack=0.0))
    server.flood_clock = lambda: 100.0
    return server


def test_a_burst_of_three_then_429_with_retry_after(api: FloodLimitedBotAPI) -> None:
    assert [outcome(api, "sendMessage") for _ in range(3)] == [None, None, None]
    assert outcome(api, "sendMessage") == 1
    assert outcome(api, "sendMessage", chat_id=2) is None  # another chat has its own budget
    api.flood_clock = lambda: 101.0
    assert outcome(api, "sendMessage") is None
    assert api.flood_429s == {"chat": 1, "global": 0}


def test_edits_share_the_chat_budget_unless_told_otherwise(api: FloodLimitedBotAPI) -> None:
    for _ in range(3):
        assert outcome(api, "editMessageReplyMarkup") is None
    assert outcome(api, "sendMessage") == 1
    free = FloodLimitedBotAPI(FloodLimits(slack=0.0, edits_count=False))
    free.flood_clock = lambda: 100.0
    for _ in range(3):
        assert outcome(free, "editMessageReplyMarkup") is None
    assert outcome(free, "sendMessage") is None


def test_callback_answers_and_chat_actions_are_free(api: FloodLimitedBotAPI) -> None:
    for _ in range(10):
        assert outcome(api, "answerCallbackQuery") is None
        assert outcome(api, "sendChatAction") is None
    assert api.flood_429s == {"chat": 0, "global": 0}


def test_the_global_limit_counts_every_chat(api: FloodLimitedBotAPI) -> None:
    assert all(outcome(api, "sendMessage", chat_id=n) is None for n in range(30))
    assert outcome(api, "sendMessage", chat_id=99) == 1
    assert api.flood_429s == {"chat": 0, "global": 1}
    api.flood_clock = lambda: 100.5  # the refused chat kept its own budget
    assert [outcome(api, "sendMessage", chat_id=99) for _ in range(3)] == [None] * 3
