"""The outbox: every message to someone other than the person whose update is handled, and
every message the bot sends on its own initiative, is first a row, written in the same
transaction as the change that causes it (the transactional-outbox pattern). A drainer
sends the due rows. These are the rules it follows; storage and sending live elsewhere.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.delivery import RATE_LIMITED, Delivery, SendResult
from bot.domain.quiet_hours import QuietHours
from bot.domain.replies import Button, Document, Keyboard, Reply

MAX_ATTEMPTS = 8  # then the row ends as failed, visible to coordinators
# A claimed row whose sender died is sent again after this; long enough for any one send
# (the Sender never waits for Telegram: the drainer passes max_wait=0).
CLAIM_LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(hours=1)


class Kind(StrEnum):
    """Why a row exists; decides whether quiet hours and /stop apply (see `proactive`)."""

    RELAY = "relay"  # a message between a newcomer and a sleutelpersoon
    NOTIFICATION = "notification"  # e.g. a question to claim, a status change
    CHECKIN = "checkin"
    BROADCAST = "broadcast"
    REMINDER = "reminder"


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused by Telegram, or kept failing: shown to coordinators
    UNREACHABLE = "unreachable"  # the recipient blocked the bot or the chat is gone
    SKIPPED = "skipped"  # proactive, and the recipient paused with /stop


ENDED = frozenset(Status) - {Status.PENDING}
# Sent at most once: a process that stops while sending one leaves it unsent rather than
# sending it twice ("how are you?" twice reads like a broken bot; a lost one is followed up).
AT_MOST_ONCE = frozenset({Kind.CHECKIN, Kind.REMINDER})
STOPPED_WHILE_SENDING = "stopped while sending: not sent again"


@dataclass(frozen=True)
class Copy:
    """A message someone wrote, to copy into another chat as it is (text, photo, voice
    note, document, sticker): Telegram's copyMessage, which shows no "forwarded from"."""

    from_chat_id: int
    message_id: int
    reply_to: int | None = None  # a message in the recipient's chat this one answers
    caption: str | None = None  # Telegram HTML instead of the original's caption (a broadcast)
    # A text the reader does not speak: shown with its machine translation at delivery
    # (bot.services.relay_translation), instead of a plain copy.
    translate: Translate | None = None


@dataclass(frozen=True)
class Translate:
    """A text to machine-translate when the row is delivered: a relayed message, or the
    coordinators' text under a request to write a version (a draft to start from). It
    lives in the row's body, which is emptied once the row has ended."""

    text: str
    source: str
    target: str
    reader: str = ""  # the language the recipient reads the bot in, when not `target`


@dataclass(frozen=True)
class Message:
    """What to send: a rendered message (Telegram HTML, optional buttons), or a copy."""

    text: str
    keyboard: Keyboard = ()
    copy: Copy | None = None
    document: Document | None = None  # e.g. a monthly report (kept small: it is in the row)
    edit_of: int | None = None  # replace this earlier message of the bot instead of sending
    paid: bool = False  # a broadcast sent with allow_paid_broadcast (WEGWIJS_PAID_BROADCAST)
    reply_to: int | None = None  # a message in the recipient's chat this one answers
    # Shown under the text as a machine draft (bot.services.relay_translation), when a
    # model serves the pair; without one the message goes as it is.
    draft: Translate | None = None

    def reply(self) -> Reply:
        return Reply(self.text, self.keyboard, self.document)

    def dumps(self) -> str:
        raw: dict[str, object] = {"text": self.text, "keyboard": [
            [{"label": b.label, "data": b.data, "url": b.url} for b in row]
            for row in self.keyboard]}
        if self.copy is not None:
            translate = self.copy.translate
            raw["copy"] = [self.copy.from_chat_id, self.copy.message_id, self.copy.reply_to,
                           self.copy.caption] + ([_translate(translate)] if translate else [])
        if self.draft is not None:
            raw["draft"] = _translate(self.draft)
        if self.reply_to is not None:
            raw["reply_to"] = self.reply_to
        if self.edit_of is not None:
            raw["edit_of"] = self.edit_of
        if self.paid:
            raw["paid"] = True
        if self.document is not None:
            raw["document"] = [self.document.filename,
                               base64.b64encode(self.document.content).decode("ascii"),
                               self.document.mime_type]
        return json.dumps(raw, ensure_ascii=False)

    @classmethod
    def loads(cls, body: str) -> Message:
        raw = json.loads(body)
        copied, attached = raw.get("copy"), raw.get("document")
        return cls(raw["text"], tuple(tuple(Button(b["label"], b["data"], b.get("url"))
                                            for b in row) for row in raw["keyboard"]),
                   _copy(copied) if copied else None,
                   Document(attached[0], base64.b64decode(attached[1]), attached[2])
                   if attached else None, raw.get("edit_of"), bool(raw.get("paid")),
                   raw.get("reply_to"), Translate(*raw["draft"]) if raw.get("draft") else None)


def _translate(translate: Translate) -> list[str]:
    return [translate.text, translate.source, translate.target, translate.reader]


def _copy(raw: list[Any]) -> Copy:
    translate = Translate(*raw[4]) if len(raw) > 4 else None
    return Copy(raw[0], raw[1], raw[2], raw[3], translate)


@dataclass(frozen=True)
class Outgoing:
    """A row to write: to whom, why, what, from when, and the key that makes it unique."""

    recipient_id: int  # people.id
    kind: Kind
    message: Message
    key: str  # idempotency: writing the same key twice keeps the first row only
    not_before: datetime | None = None  # UTC; None: as soon as possible
    # Quiet hours and /stop apply to what the bot says on its own initiative, never to a
    # relay or to an answer someone is waiting for (e.g. their question was taken).
    awaited: bool = False
    not_after: datetime | None = None  # UTC: too late from then on (ends as skipped)
    broadcast_id: int | None = None  # the broadcast it is part of (counts its progress)
    urgent: bool = False  # proactive, yet not held in quiet hours (an urgent broadcast)

    @property
    def proactive(self) -> bool:
        return self.kind is not Kind.RELAY and not self.awaited


@dataclass(frozen=True)
class Due:
    """A claimed row with what the drainer needs to know about its recipient."""

    id: int
    chat_id: int
    kind: Kind
    proactive: bool
    message: Message
    attempts: int
    recipient_paused: bool
    recipient_unreachable: bool
    not_after: datetime | None = None
    sending: bool = False  # a drainer began sending it and never recorded how it ended
    urgent: bool = False
    broadcast_id: int | None = None


class Hold(StrEnum):
    SEND = "send"
    LATER = "later"  # quiet hours: try again at `until`
    SKIP = "skip"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Before:
    """What to do with a due row before sending it."""

    action: Hold
    until: datetime | None = None
    reason: str | None = None  # why a row is skipped, when it is not the usual


def before_sending(due: Due, now: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> Before:
    if due.recipient_unreachable:
        return Before(Hold.UNREACHABLE)
    if due.sending and due.kind in AT_MOST_ONCE:
        return Before(Hold.SKIP, reason=STOPPED_WHILE_SENDING)
    if due.proactive and due.recipient_paused:
        return Before(Hold.SKIP)
    if due.not_after is not None and now >= due.not_after:
        return Before(Hold.SKIP)  # e.g. a seasonal reminder after its season: never late
    if due.proactive and not due.urgent and quiet is not None:
        local = now.astimezone(zone)
        allowed = quiet.next_allowed(local)
        if allowed != local:
            if due.not_after is not None and allowed >= due.not_after:
                return Before(Hold.SKIP)
            return Before(Hold.LATER, allowed.astimezone(now.tzinfo))
    return Before(Hold.SEND)


@dataclass(frozen=True)
class After:
    """How a send ends for the row: its new status, or a retry at `retry_at`."""

    status: Status
    retry_at: datetime | None = None
    attempted: bool = True  # False: only waiting for the rate limiter, nothing failed


def after_sending(result: SendResult, attempts: int, now: datetime) -> After:
    """`attempts` counts this one. Telegram's own wait wins over our back-off."""
    match result.status:
        case Delivery.SENT:
            return After(Status.SENT)
        case Delivery.REFUSED:
            return After(Status.FAILED)
        case Delivery.UNREACHABLE:
            return After(Status.UNREACHABLE)
    if result.detail == RATE_LIMITED:  # our own limiter: try when it says, not a failure
        return After(Status.PENDING, result.retry_at or now, attempted=False)
    if attempts >= MAX_ATTEMPTS:
        return After(Status.FAILED)
    return After(Status.PENDING, max(result.retry_at or now, now + backoff(attempts)))


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, ... up to an hour: a network outage is not hammered."""
    doubled: timedelta = FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 16))
    return min(doubled, LAST_RETRY)


@dataclass(frozen=True)
class Ended:
    """A row as coordinators and /mydata see it: no content once it has ended."""

    id: int
    recipient_id: int
    kind: Kind
    attempts: int
    error: str | None
    ended_at: datetime | None
    status: Status = Status.FAILED
    text: str | None = None  # only while pending
