"""Telegram's sending limits as token buckets (no real time involved)."""

from __future__ import annotations

from itertools import pairwise

from bot.domain.rate_limit import SendLimiter


def send_times(limiter: SendLimiter, chat: int, count: int, now: float = 0.0) -> list[float]:
    """When each of `count` messages queued at `now` would go out."""
    return [now + limiter.reserve(chat, now) for _ in range(count)]


def test_a_short_burst_then_one_per_second_per_chat() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=3)
    times = send_times(limiter, chat=1, count=6)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert [round(t, 6) for t in times[3:]] == [1.0, 2.0, 3.0]


def test_chats_do_not_wait_for_each_other() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=1)
    assert limiter.reserve(1, 0.0) == 0.0
    assert limiter.reserve(2, 0.0) == 0.0
    assert limiter.reserve(1, 0.0) > 0.0


def test_the_global_cap_spreads_a_broadcast() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=3)
    times = [limiter.reserve(chat, 0.0) for chat in range(100)]
    # 25 go at once (the global bucket's burst), the other 75 over the next 3 seconds.
    assert sum(t == 0.0 for t in times) == 25
    assert max(times) == 3.0
    assert all(later >= earlier for earlier, later in pairwise(times))


def test_sustained_rate_per_chat_is_one_per_second() -> None:
    limiter = SendLimiter(per_chat_rate=1, per_chat_burst=3)
    now, sent = 0.0, 0
    while now < 60.0:
        now += limiter.reserve(7, now)
        sent += 1
    assert 60 <= sent <= 64  # 60 s at 1/s plus the initial burst


def test_retry_after_blocks_only_that_chat() -> None:
    limiter = SendLimiter()
    limiter.retry_after(5, 7.0, now=10.0)
    assert limiter.reserve(5, 10.0) == 7.0
    assert limiter.reserve(6, 10.0) == 0.0
    assert limiter.reserve(5, 17.5) == 0.0


def test_idle_chats_are_forgotten_to_bound_memory() -> None:
    limiter = SendLimiter(max_tracked_chats=100)
    for chat in range(100):
        limiter.reserve(chat, 0.0)
    limiter.reserve(1000, 60.0)  # a minute later every bucket is full again
    assert limiter.tracked_chats() == 1
