"""The areas a check-in asks about ("what is difficult?"), as people read them. Used where
a check-in is answered, on a sleutelpersoon's card and in the coordinators' figures."""

from __future__ import annotations

from bot.domain import checkins as c

AREA_ORDER = tuple(c.Area)
# A question opened from a check-in keeps its area in the handoff's path: "checkin:<area>".
PATH_PREFIX = "checkin:"


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is sent."""
    return message


AREA_LABELS: dict[c.Area, str] = {
    c.Area.MONEY: _("✉️ Letters and money"),
    c.Area.HEALTH: _("🩺 Health"),
    c.Area.WORK: _("💼 Work and study"),
    c.Area.HOUSING: _("🏠 Housing"),
    c.Area.FAMILY: _("👨‍👩‍👧 Family"),
    c.Area.LANGUAGE: _("🗣️ Language"),
    c.Area.ALONE: _("🫂 Feeling alone"),
}


def area_of_path(path: str) -> c.Area | None:
    if not path.startswith(PATH_PREFIX):
        return None
    try:
        return c.Area(path.removeprefix(PATH_PREFIX))
    except ValueError:
        return None
