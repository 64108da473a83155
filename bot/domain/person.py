"""The person on the other side of the chat, and the few facts Wegwijs keeps about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.domain.language_switch import SwitchWatch


class Begeleiding(StrEnum):
    """Is the formal guidance (maatschappelijke begeleiding) still running?"""

    RUNNING = "running"
    ENDED = "ended"
    UNKNOWN = "unknown"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    SLEUTELPERSOON = "sleutelpersoon"


@dataclass
class Person:
    id: int
    telegram_id: int
    chat_id: int
    created_at: datetime
    last_seen_at: datetime
    language: str | None = None
    municipality: str | None = None
    begeleiding: Begeleiding | None = None
    # First day of the month the guidance is expected to end; None when unknown.
    begeleiding_end: date | None = None
    consented_at: datetime | None = None  # agreed to the newcomer privacy notice
    # Agreed to what is stored about a sleutelpersoon or coordinator (an invitation):
    # not consent to the newcomer notice, but it keeps the person from being forgotten.
    staff_consented_at: datetime | None = None
    paused: bool = False
    reminders: bool = True  # seasonal reminders (a switch in /settings)
    announcements: bool = True  # coordinators' broadcasts (the switch in /settings)
    unreachable_since: datetime | None = None
    # Messages in another language, counted to ask once whether to switch.
    language_watch: SwitchWatch = field(default_factory=SwitchWatch)
    version: int = 0  # the stored row's version when this was read

    @property
    def onboarded(self) -> bool:
        return (
            self.consented_at is not None
            and self.municipality is not None
            and self.begeleiding is not None
        )


@dataclass(frozen=True)
class RoleGrant:
    telegram_id: int
    role: Role
    municipality: str
    granted_at: datetime
    # The stored row's id (0 before it is stored); not part of what the grant is.
    id: int = field(default=0, compare=False)
