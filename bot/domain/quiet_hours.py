"""Quiet hours: a local time window in which the bot sends nothing on its own initiative."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

_SPEC = re.compile(r"^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, spec: str) -> QuietHours | None:
        """'21:00-09:00' → QuietHours; '' → None (disabled). Raises ValueError otherwise."""
        spec = spec.strip()
        if not spec:
            return None
        match = _SPEC.match(spec)
        try:
            if match is None:
                raise ValueError(spec)
            start, end = (time.fromisoformat(part.zfill(5)) for part in match.groups())
        except ValueError as exc:
            raise ValueError(f"quiet hours must look like 21:00-09:00, got {spec!r}") from exc
        if start == end:
            raise ValueError("quiet hours start and end are the same")
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # the window spans midnight

    def next_allowed(self, local: datetime) -> datetime:
        """`local` itself when outside the window, else the window's end (same tz)."""
        if not self.contains(local.time().replace(tzinfo=None)):
            return local
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)
