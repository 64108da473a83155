"""The audit log: who did what to which roles and invitations, and what was refused.

An entry names people by Telegram id and things by id ("invitation:12"); it never holds
message content. Coordinators read the entries of their municipality (/audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Entries are a security record: kept this long, also after /delete, then removed.
RETENTION = timedelta(days=180)


class Act(StrEnum):
    INVITATION_CREATE = "invitation.create"
    INVITATION_OPEN = "invitation.open"
    INVITATION_ACCEPT = "invitation.accept"
    INVITATION_DECLINE = "invitation.decline"
    INVITATION_REVOKE = "invitation.revoke"
    ROLE_GRANT = "role.grant"
    ROLE_REVOKE = "role.revoke"
    ROLES_LIST = "roles.list"
    AUDIT_READ = "audit.read"
    PROFILE = "profile"
    BUTTON = "button"  # a staff button that is not (or no longer) one of ours
    HANDOFF_CLAIM = "handoff.claim"
    HANDOFF_CLOSE = "handoff.close"
    HANDOFF_RELEASE = "handoff.release"
    HANDOFF_TRANSFER = "handoff.transfer"
    HANDOFF_MESSAGE = "handoff.message"  # writing in, or answering for, a conversation
    QUEUE_READ = "queue.read"
    REPORT = "report"
    CHECKINS_READ = "checkins.read"
    REACH_OUT = "checkins.reach-out"  # ask a sleutelpersoon to reach out to someone
    END_MONTH = "checkins.end-month"  # a sleutelpersoon noted when begeleiding ends
    BROADCAST = "broadcast"  # composing, sending or cancelling an announcement
    BROADCAST_VERSION = "broadcast.version"  # writing or approving a language's version
    EVENTS_READ = "events.read"  # /attendance: who goes, feedback, feeds
    EVENT_CANCEL = "events.cancel"  # cancelling one date of an event
    EVENT_CREATE = "events.create"  # a coordinator's event, made with /newevent
    EVENT_VERSION = "events.version"  # asking for, writing or approving a language's text
    CATALOG_REVIEW = "catalog.review"  # /review: judging the bot's own translations
    LANGUAGE_LEAD = "catalog.lead"  # appointing or ending a language lead (/leads)


class Reason(StrEnum):
    """Why something was refused."""

    NO_ROLE = "no-role"  # the caller lacks the role the action needs
    OTHER_MUNICIPALITY = "other-municipality"  # they have it, but not there
    FORGED = "forged"  # malformed or unknown callback data or code
    UNKNOWN_TARGET = "unknown-target"  # the role or invitation does not exist (any more)
    EXPIRED = "expired"
    TAKEN = "taken"
    REVOKED = "revoked"
    OWN = "own"
    STALE = "stale"  # a button from an older message
    NOT_ELIGIBLE = "not-eligible"  # e.g. does not speak the newcomer's language, or is full
    NOT_YOURS = "not-yours"  # a conversation someone else answers


@dataclass(frozen=True)
class Entry:
    at: datetime
    telegram_id: int | None  # who; None: the operator on the command line
    action: Act
    allowed: bool
    target: str = ""  # ids only, e.g. "invitation:12", "role:5 of 123"
    municipality: str | None = None  # whose coordinators may read it
    reason: Reason | None = None
