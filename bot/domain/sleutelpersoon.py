"""A sleutelpersoon's profile: who they are to newcomers and when they can help.

Sleutelpersonen are volunteers (or paid key persons) from the newcomers' own communities.
The profile is what routing needs (bot.domain.routing): languages spoken, municipalities
served, topics known well, weekly availability, how many open conversations they take on,
and a pause for holidays. Their own interface language is one of the bot's languages; the
languages they speak with newcomers can be any ISO 639 code (ti, ar, fa, prs, so, am, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 or 639-3
MAX_DISPLAY_NAME = 32
DEFAULT_CAPACITY = 3


@dataclass(frozen=True)
class Window:
    """A weekly window of availability in local time: weekday 0 = Monday."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if self.end <= self.start:
            raise ValueError("a window ends after it starts (split one across midnight)")

    def contains(self, local: datetime) -> bool:
        return local.weekday() == self.weekday and self.start <= local.time() < self.end


@dataclass(frozen=True)
class Profile:
    telegram_id: int
    display_name: str  # what newcomers see; never their Telegram name
    languages: frozenset[str]  # spoken with newcomers
    municipalities: frozenset[str]
    topics: frozenset[str] = frozenset()  # flow ids they know well
    windows: tuple[Window, ...] = ()  # empty: no fixed hours (any time counts as available)
    capacity: int = DEFAULT_CAPACITY  # open conversations at most
    paused: bool = False  # holiday: no new conversations
    interface_language: str = "en"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))

    def __post_init__(self) -> None:
        name = self.display_name.strip()
        if not 1 <= len(name) <= MAX_DISPLAY_NAME:
            raise ValueError(f"display name must be 1..{MAX_DISPLAY_NAME} characters")
        bad = [code for code in self.languages if not LANGUAGE_CODE.match(code)]
        if bad:
            raise ValueError(f"not ISO 639 language codes: {bad}")
        if self.capacity < 1:
            raise ValueError("capacity is at least 1")

    def available(self, now: datetime) -> bool:
        """In one of the weekly windows now (always, when there are none)."""
        if self.paused:
            return False
        if not self.windows:
            return True
        local = now.astimezone(self.zone)
        return any(w.contains(local) for w in self.windows)
