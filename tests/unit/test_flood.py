"""One person's flood is cut short with one warning; nobody else is touched."""

from __future__ import annotations

from bot.domain.flood import FloodGate, Verdict


def test_a_handful_is_handled_then_one_warning_then_silence() -> None:
    gate = FloodGate(max_pending=4, quiet=5.0)
    assert [gate.arrive(1, 0.0) for _ in range(4)] == [Verdict.HANDLE] * 4
    assert gate.arrive(1, 0.1) is Verdict.WARN_AND_DROP
    assert [gate.arrive(1, 0.2) for _ in range(100)] == [Verdict.DROP] * 100
    assert gate.arrive(2, 0.2) is Verdict.HANDLE  # someone else is not touched


def test_dropping_goes_on_until_a_quiet_pause() -> None:
    gate = FloodGate(max_pending=1, quiet=5.0)
    assert gate.arrive(1, 0.0) is Verdict.HANDLE
    assert gate.arrive(1, 0.0) is Verdict.WARN_AND_DROP
    assert gate.done(1)  # the backlog is gone, but they kept sending
    assert gate.arrive(1, 4.0) is Verdict.DROP  # within 5 s of the last drop
    assert gate.arrive(1, 8.9) is Verdict.DROP
    assert gate.arrive(1, 14.0) is Verdict.HANDLE  # 5 quiet seconds: heard again


def test_handled_updates_free_their_place_and_idle_people_are_forgotten() -> None:
    gate = FloodGate(max_pending=2)
    assert gate.arrive(1, 0.0) is gate.arrive(1, 0.0) is Verdict.HANDLE
    assert not gate.done(1)
    assert gate.arrive(1, 0.0) is Verdict.HANDLE
    assert not gate.done(1) and gate.done(1)
    assert gate._pending == {}  # memory stays bounded
