"""Weekly availability of a sleutelpersoon, set with a few taps.

A week is seven days of three parts (morning, afternoon, evening), all inside the hours in
which the bot may send messages on its own. Presets cover the common cases; per day any
combination of parts can be chosen. The result is a tuple of sleutelpersoon.Window.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum

from bot.domain.sleutelpersoon import Window

DAYS = range(7)  # 0 = Monday


class Part(StrEnum):
    MORNING = "m"
    AFTERNOON = "a"
    EVENING = "e"


HOURS: dict[Part, tuple[time, time]] = {
    Part.MORNING: (time(9), time(12)),
    Part.AFTERNOON: (time(12), time(17)),
    Part.EVENING: (time(17), time(21)),
}

Slot = tuple[int, Part]  # (weekday, part of the day)


class Preset(StrEnum):
    ANY = "any"  # no fixed hours: any time counts as available
    OFFICE = "office"  # weekdays 9-17
    EVENINGS = "evenings"  # weekdays 17-21
    WEEKENDS = "weekends"  # Saturday and Sunday 9-21


PRESETS: dict[Preset, frozenset[Slot]] = {
    Preset.ANY: frozenset(),
    Preset.OFFICE: frozenset((d, p) for d in range(5) for p in (Part.MORNING, Part.AFTERNOON)),
    Preset.EVENINGS: frozenset((d, Part.EVENING) for d in range(5)),
    Preset.WEEKENDS: frozenset((d, p) for d in (5, 6) for p in Part),
}


def windows(slots: frozenset[Slot] | set[Slot]) -> tuple[Window, ...]:
    """The windows of the chosen slots, in week order."""
    return tuple(Window(day, *HOURS[part]) for day, part in sorted(
        slots, key=lambda s: (s[0], list(Part).index(s[1]))))


def slots(chosen: tuple[Window, ...]) -> frozenset[Slot]:
    """The slots that these windows are (windows that are no slot are left out)."""
    by_hours = {hours: part for part, hours in HOURS.items()}
    return frozenset((w.weekday, by_hours[(w.start, w.end)]) for w in chosen
                     if (w.start, w.end) in by_hours)


def preset_of(chosen: tuple[Window, ...]) -> Preset | None:
    found = slots(chosen)
    if len(found) != len(chosen):
        return None
    return next((p for p, s in PRESETS.items() if s == found), None)


def encode(chosen: frozenset[Slot] | set[Slot]) -> str:
    """'0m,0a,4e': for a conversation's answers so far."""
    return ",".join(f"{d}{p.value}" for d, p in sorted(
        chosen, key=lambda s: (s[0], list(Part).index(s[1]))))


def parse_slot(text: str) -> Slot | None:
    if len(text) != 2 or not text[0].isdigit() or int(text[0]) not in DAYS:
        return None
    try:
        return int(text[0]), Part(text[1])
    except ValueError:
        return None


def decode(text: str) -> frozenset[Slot]:
    return frozenset(s for part in text.split(",") if (s := parse_slot(part)) is not None)
