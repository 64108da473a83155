"""A clock tests set by hand (services take `clock` as a callable)."""

from __future__ import annotations

from datetime import UTC, datetime


class FixedClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now
