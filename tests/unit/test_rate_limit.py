"""Telegram's sending limits as token buckets (no real time involved)."""

from __future__ import annotations

import heapq
from itertools import pairwise

from bot.domain.rate_limit import SendLimiter


def simulate(limiter: SendLimiter, queued: list[tuple[float, int]]) -> list[float]:
    """Send times for messages (queued_at, chat), as the Sender's two waits produce them:
    first the chat's lane, then the global budget, with wake-ups in time order."""
    events = [(at, i, "chat", chat) for i, (at, chat) in enumerate(queued)]
    heapq.heapify(events)
    sent: list[float] = []
    while events:
        now, i, phase, chat = heapq.heappop(events)
        if phase == "chat":
            heapq.heappush(events, (now + limiter.chat_delay(chat, now), i, "global", chat))
        elif phase == "global":
            heapq.heappush(events, (now + limiter.global_delay(now), i, "send", chat))
        else:
            sent.append(now)
    return sorted(sent)


def test_a_short_burst_then_one_per_second_per_chat() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=3)
    times = simulate(limiter, [(0.0, 1)] * 6)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert [round(t, 6) for t in times[3:]] == [1.0, 2.0, 3.0]


def test_chats_do_not_wait_for_each_other() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=1)
    assert limiter.chat_delay(1, 0.0) == 0.0
    assert limiter.chat_delay(2, 0.0) == 0.0
    assert limiter.chat_delay(1, 0.0) > 0.0


def test_the_global_cap_spreads_a_broadcast() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=3)
    times = simulate(limiter, [(0.0, chat) for chat in range(100)])
    # 25 go at once (the global bucket's burst), the other 75 over the next 3 seconds.
    assert sum(t == 0.0 for t in times) == 25
    assert max(times) == 3.0
    assert all(later >= earlier for earlier, later in pairwise(times))


def test_messages_held_by_their_chat_do_not_overrun_the_global_cap() -> None:
    limiter = SendLimiter(global_rate=25, per_chat_rate=1, per_chat_burst=3)
    queued = [(0.0, chat) for chat in range(10) for _ in range(5)]
    queued += [(2.0, 100 + chat) for chat in range(25)]
    times = simulate(limiter, queued)
    assert len(times) == len(queued)
    # A token bucket of 25 at 25/s never lets more than 25 + 25*T through in T seconds.
    for start in times:
        in_window = sum(start <= t < start + 1.0 for t in times)
        assert in_window <= 50, (start, in_window)
    assert max(sum(t == at for t in times) for at in set(times)) <= 25


def test_sustained_rate_per_chat_is_one_per_second() -> None:
    limiter = SendLimiter(per_chat_rate=1, per_chat_burst=3)
    now, sent = 0.0, 0
    while now < 60.0:
        now += limiter.chat_delay(7, now)
        sent += 1
    assert 60 <= sent <= 64  # 60 s at 1/s plus the initial burst


def test_retry_after_blocks_only_that_chat() -> None:
    limiter = SendLimiter()
    limiter.retry_after(5, 7.0, now=10.0)
    assert limiter.chat_delay(5, 10.0) == 7.0
    assert limiter.chat_delay(6, 10.0) == 0.0
    assert limiter.chat_delay(5, 17.5) == 0.0


def test_idle_chats_are_forgotten_to_bound_memory() -> None:
    limiter = SendLimiter(max_tracked_chats=100)
    for chat in range(100):
        limiter.chat_delay(chat, 0.0)
    limiter.chat_delay(1000, 60.0)  # a minute later every bucket is full again
    assert limiter.tracked_chats() == 1


def test_spare_capacity_is_a_full_lane_again() -> None:
    """Tidying up (retiring an answered keyboard) never takes a slot the chat's next
    messages could use: only when the lane has refilled to its whole burst."""
    limiter = SendLimiter(per_chat_rate=1, per_chat_burst=3)
    assert limiter.spare_delay(7, 0.0) == 0.0  # a quiet chat: spare at once
    limiter.chat_delay(7, 0.0)  # the answer
    assert limiter.spare_delay(7, 0.0) == 1.0
    assert not limiter.take_spare(7, 0.5)
    assert limiter.take_spare(7, 1.0)
    # It took one slot from a full lane: the next three messages still go at once.
    assert [limiter.chat_delay(7, 1.0) for _ in range(3)] == [0.0, 0.0, 1.0]


def test_a_long_burst_keeps_half_for_what_comes_next() -> None:
    limiter = SendLimiter(global_rate=1000, per_chat_rate=50, per_chat_burst=50)
    for _ in range(24):
        limiter.chat_delay(7, 0.0)
    assert limiter.take_spare(7, 0.0)  # 26 left: one for tidying up, half for messages
    assert not limiter.take_spare(7, 0.0)
    assert [limiter.chat_delay(7, 0.0) for _ in range(25)] == [0.0] * 25


def test_spare_capacity_waits_while_messages_use_the_lane() -> None:
    limiter = SendLimiter(per_chat_rate=1, per_chat_burst=3)
    now = 0.0
    while now < 10.0:  # a person tapping every 0.6 s keeps the lane from ever filling up
        limiter.chat_delay(7, now)
        assert not limiter.take_spare(7, now + 0.3)
        now += 0.6
    assert limiter.spare_delay(7, now) > 1.0


def test_spare_capacity_leaves_the_global_budget_to_messages() -> None:
    limiter = SendLimiter(global_rate=10, per_chat_rate=1, per_chat_burst=3)
    for _ in range(5):  # a broadcast used half of the global budget
        limiter.global_delay(0.0)
    assert not limiter.take_spare(99, 0.0)  # a chat that never had a message
    assert round(limiter.spare_delay(99, 0.0), 9) == 0.1
    assert limiter.take_spare(99, 0.1)


def test_spare_capacity_waits_out_retry_after() -> None:
    limiter = SendLimiter()
    limiter.retry_after(5, 30.0, now=0.0)
    assert limiter.spare_delay(5, 1.0) == 29.0
    assert not limiter.take_spare(5, 29.0)
    assert limiter.take_spare(5, 30.0)
