"""One-time invitations to a role: the code, its life and what opening it means.

A coordinator creates an invitation for one role in one of their municipalities. The link
carries a random code; only its SHA-256 digest is stored, so a copy of the database cannot
be used to invite anyone. The first person to open the link takes it (single use); the role
is granted when they finish the short onboarding for that role, before the link expires.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.person import Role

LIFETIME = timedelta(days=7)
CODE_BYTES = 18  # 24 characters of [A-Za-z0-9_-]: what Telegram allows in a start parameter
_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii", "replace")).hexdigest()


def well_formed(code: str) -> bool:
    """Could this be a code we made? (Anything else is not even looked up.)"""
    return bool(_CODE.match(code))


@dataclass(frozen=True)
class Invitation:
    id: int
    role: Role
    municipality: str
    created_by: int  # the coordinator's Telegram id
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None  # who took it (emptied when they /delete)
    used_at: datetime | None = None  # when it was taken: from then on nobody else can
    accepted_at: datetime | None = None  # the role was granted
    declined_at: datetime | None = None
    revoked: bool = False

    @property
    def pending(self) -> bool:
        """Still waiting to be accepted (taken or not)."""
        return not self.revoked and self.accepted_at is None and self.declined_at is None

    def open_at(self, now: datetime) -> bool:
        """Listed for coordinators: could still become a role."""
        return self.pending and now < self.expires_at


class Standing(StrEnum):
    """What opening an invitation means for one person at one moment."""

    OPEN = "open"  # nobody took it: it is yours now
    YOURS = "yours"  # you took it and have not finished: go on
    OWN = "own"  # you created it: send it to someone else
    TAKEN = "taken"  # someone (maybe you) used it up
    EXPIRED = "expired"
    REVOKED = "revoked"


def standing(invitation: Invitation, telegram_id: int, now: datetime) -> Standing:
    if invitation.revoked:
        return Standing.REVOKED
    if invitation.used_at is not None:
        mine = invitation.used_by == telegram_id and invitation.pending
        if not mine:
            return Standing.TAKEN
        return Standing.YOURS if now < invitation.expires_at else Standing.EXPIRED
    if now >= invitation.expires_at:
        return Standing.EXPIRED
    if invitation.created_by == telegram_id:
        return Standing.OWN
    return Standing.OPEN
