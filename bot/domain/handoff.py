"""A newcomer's question to a person: the handoff conversation and its rules.

A handoff waits until a sleutelpersoon claims it (bot.domain.routing decides whom to ask),
then the bot relays messages both ways without showing either side's Telegram identity:
the sleutelpersoon sees a pseudonym ("Newcomer A7F3"), the newcomer the display name the
sleutelpersoon chose. It ends closed by the sleutelpersoon (with an outcome) or cancelled
by the newcomer. Pure values and rules; storage and sending live elsewhere.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.routing import Progress, Request

# No 0/O, 1/I/L: a pseudonym is read aloud and typed back.
PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PSEUDONYM_LENGTH = 4
SUMMARY_LENGTH = 300  # of the first message, shown in the request to claim
COMMENT_LENGTH = 500
NAME_LENGTH = 32  # a first name the newcomer chooses to share
# Content of ended conversations (messages' summary, comment, relay mappings) goes then;
# the row stays as an anonymous count.
CONTENT_RETENTION = timedelta(days=90)


class Status(StrEnum):
    WAITING = "waiting"  # for a sleutelpersoon to claim it
    CLAIMED = "claimed"  # a sleutelpersoon answers; messages are relayed
    CLOSED = "closed"  # by the sleutelpersoon, with a Result
    CANCELLED = "cancelled"  # by the newcomer (or their /delete)


OPEN = frozenset({Status.WAITING, Status.CLAIMED})


class Result(StrEnum):
    """How a sleutelpersoon closes a conversation."""

    ANSWERED = "answered"
    REFERRED = "referred"  # to an organisation
    FOLLOW_UP = "follow_up"  # needs a follow-up later


class Source(StrEnum):
    """Where the newcomer asked from."""

    FLOW = "flow"  # "talk to a person" in an explainer step
    SEARCH = "search"  # nothing matched their question well
    DRAFT = "draft"  # the notice that the texts in their language are drafts
    COMMAND = "command"  # /person
    MENU = "menu"
    CHECKIN = "checkin"  # a check-in after begeleiding: "I need help", or a difficult area
    REACH_OUT = "reach_out"  # a coordinator asked someone to reach out: not reached
    ACCOMPANY = "accompany"  # "ask someone to go with me" to an event (the summary says which)


class Side(StrEnum):
    NEWCOMER = "newcomer"
    HELPER = "helper"  # the sleutelpersoon


class Media(StrEnum):
    """What kind of message was relayed; only the kind is kept, never the file."""

    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    STICKER = "sticker"
    OTHER = "other"


# Letters and scans: the newcomer is reminded once that they hold personal data.
PRIVATE_MEDIA = frozenset({Media.PHOTO, Media.DOCUMENT})


def new_pseudonym() -> str:
    return "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH))


def summary(text: str | None) -> str:
    """The first message as the request to claim shows it: the text (or caption), cut at a
    word. Voice notes and photos are not in it: the claimer receives them after claiming."""
    text = " ".join((text or "").split())
    if len(text) > SUMMARY_LENGTH:
        text = text[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + " …"
    return text


@dataclass
class Handoff:
    id: int
    newcomer_id: int | None  # people.id; None once the newcomer deleted their data
    language: str
    municipality: str
    pseudonym: str
    status: Status
    created_at: datetime
    source: Source = Source.COMMAND
    topic: str | None = None  # flow id
    path: str = ""  # flow/step ids the newcomer went through, last first
    summary: str = ""
    first_media: Media = Media.TEXT
    helper_id: int | None = None  # the claimer's Telegram id
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    result: Result | None = None
    rating: int | None = None  # 1 helped, -1 did not
    comment: str | None = None
    progress: Progress = field(default_factory=Progress)
    wake_at: datetime | None = None  # decide routing again then
    private_media_ok: bool = False  # the reminder about letters was shown and accepted
    shared_name: str | None = None  # the newcomer's first name, only if they chose to share

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def request(self) -> Request:
        return Request(self.language, self.municipality, self.topic, self.created_at)

    def label(self) -> str:
        """How the sleutelpersoon sees the newcomer: never a Telegram name."""
        return self.shared_name or self.pseudonym


@dataclass(frozen=True)
class Relayed:
    """One relayed message: where it was written and where its copy went, so a reply to
    either keeps pointing at the other (reply-to links both ways)."""

    handoff_id: int
    side: Side
    source_chat_id: int
    source_message_id: int
    copy_chat_id: int | None = None
    copy_message_id: int | None = None  # known once the copy was sent


def counterpart_of(relayed: Relayed, chat_id: int, message_id: int) -> int | None:
    """The id, in the other chat, of the message that `message_id` in `chat_id` is."""
    if (relayed.source_chat_id, relayed.source_message_id) == (chat_id, message_id):
        return relayed.copy_message_id
    if (relayed.copy_chat_id, relayed.copy_message_id) == (chat_id, message_id):
        return relayed.source_message_id
    return None


MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """A handoff id from callback data; None for anything else, also for numbers no row
    can have (a forged 24-digit id must not reach the database as an integer overflow)."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def media_of(kind: str) -> Media:
    """A transport's message kind as a Media; an unknown kind is OTHER (still relayed)."""
    try:
        return Media(kind)
    except ValueError:
        return Media.OTHER
