"""A time budget for calls that hostile input must not be able to stretch (issue 6)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

BUDGET = 0.2  # seconds per call: generous for a slow CI, far below what froze a chat


@contextmanager
def within_budget(what: str, budget: float = BUDGET) -> Iterator[None]:
    """Fail when the block takes longer than `budget`; stop it at ten times that (where the
    platform has SIGALRM), so a runaway call fails the test instead of hanging it."""
    def stop(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{what}: still running after {10 * budget} s")

    alarm = hasattr(signal, "setitimer")
    if alarm:
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, 10 * budget)
    started = time.perf_counter()
    try:
        yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - started
    assert elapsed < budget, f"{what}: {elapsed:.3f} s"
