"""The time every part of the bot reads (the clock port, `ports.Clock`): the real time, or
the real time moved to another day, so a year of check-ins can be tried in the console
(`wegwijs chat --clock 2027-01-10`, then `/clock +7d`). Time keeps running either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta()
        if start is not None:
            self.move_to(start)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def move_to(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("a moment with its time zone")
        self._offset = when - datetime.now(UTC)

    def advance(self, by: timedelta) -> None:
        self._offset += by

    @property
    def moved(self) -> bool:
        return self._offset != timedelta()
