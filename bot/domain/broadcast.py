"""Coordinator broadcasts (issue 10): who is in the audience, which text each language gets,
the lifecycle and the progress the coordinator sees; when it may go and at which pace is
bot.domain.broadcast_timing.

Pure rules, no clock but the `now` passed in; storage, the outbox rows and the screens live
elsewhere.

- The audience is one municipality; empty languages mean all four. Begeleiding UNKNOWN (and
  not answered) counts only when the filter is ANY: a message for people whose guidance
  ended must not reach someone who is still guided, and the reverse. People who paused
  (/stop), switched announcements off, or are unreachable are never in it, urgent or not.
- A broadcast goes out as a whole: a language that waits for its version holds every
  language, so no language group learns later than another (and there is one start and one
  status message). The coordinator unblocks it by choosing the source text for that
  language. A language nobody in the audience reads is not planned, so it cannot hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.languages import CODES, DEFAULT, LANGUAGES
from bot.domain.outbox import Status
from bot.domain.person import Begeleiding

ALL_LANGUAGES: tuple[str, ...] = tuple(lang.code for lang in LANGUAGES)  # picker order
SOURCE_LANGUAGES = frozenset({"nl", "en"})  # what a coordinator writes in
SECOND_CONFIRMATION_ABOVE = 1000  # recipients; more than this asks "are you sure?" again
# An ended broadcast (texts, audience, counts) is kept this long for the coordinators'
# records, then removed with its versions by the retention tick.
RETENTION = timedelta(days=365)
DRAFT_KEPT = timedelta(days=30)  # a draft nobody sent by then is cancelled


# -- audience ------------------------------------------------------------------------------


class BegeleidingFilter(StrEnum):
    ANY = "any"
    RUNNING = "running"
    ENDED = "ended"


@dataclass(frozen=True)
class Audience:
    municipality: str
    languages: frozenset[str] = frozenset()  # empty: all four
    begeleiding: BegeleidingFilter = BegeleidingFilter.ANY
    sleutelpersonen_only: bool = False

    def __post_init__(self) -> None:
        if not self.municipality:
            raise ValueError("a broadcast needs a municipality")
        if unknown := self.languages - CODES:
            raise ValueError(f"unknown languages: {sorted(unknown)}")
        if self.sleutelpersonen_only and self.begeleiding is not BegeleidingFilter.ANY:
            raise ValueError("begeleiding is a newcomer's: not a filter for sleutelpersonen")

    @property
    def codes(self) -> tuple[str, ...]:
        """The audience's languages in picker order."""
        return tuple(c for c in ALL_LANGUAGES if not self.languages or c in self.languages)


@dataclass(frozen=True)
class Recipient:
    """What the audience rules need to know about a person."""

    person_id: int
    language: str | None
    municipality: str | None
    begeleiding: Begeleiding | None
    paused: bool = False  # /stop
    announcements: bool = True  # the switch in /settings
    is_sleutelpersoon: bool = False
    unreachable: bool = False


def reading_language(recipient: Recipient) -> str:
    """The language the bot speaks to this person in (the default when they chose none)."""
    language = recipient.language
    return language if language is not None and language in CODES else DEFAULT


def in_audience(recipient: Recipient, audience: Audience) -> bool:
    if recipient.paused or not recipient.announcements or recipient.unreachable:
        return False
    if recipient.municipality != audience.municipality:
        return False
    if reading_language(recipient) not in audience.codes:
        return False
    if audience.sleutelpersonen_only and not recipient.is_sleutelpersoon:
        return False
    match audience.begeleiding:
        case BegeleidingFilter.RUNNING:
            return recipient.begeleiding is Begeleiding.RUNNING
        case BegeleidingFilter.ENDED:
            return recipient.begeleiding is Begeleiding.ENDED
    return True


def count_by_language(recipients: Iterable[Recipient], audience: Audience) -> dict[str, int]:
    """Recipients per audience language, zeros included, in picker order (the preview)."""
    counts = dict.fromkeys(audience.codes, 0)
    for recipient in recipients:
        if in_audience(recipient, audience):
            counts[reading_language(recipient)] += 1
    return counts


# -- versions per language -----------------------------------------------------------------


class VersionState(StrEnum):
    MISSING = "missing"
    MACHINE = "machine"  # a machine draft, marked as such: never sent as it is
    WRITTEN = "written"  # by a person, not reviewed
    REVIEW_REQUESTED = "review_requested"  # asked of a sleutelpersoon (write or review)
    APPROVED = "approved"


class Fallback(StrEnum):
    """The coordinator's choice for a language whose version is not approved in time."""

    WAIT = "wait"
    SOURCE = "source"  # send those people the text as the coordinator wrote it


class Send(StrEnum):
    OWN = "own"  # the language's own approved version
    SOURCE = "source"
    HOLD = "hold"


@dataclass(frozen=True)
class LanguagePlan:
    language: str
    recipients: int
    state: VersionState
    send: Send

    def text_language(self, source: str) -> str | None:
        """Which version these people get; None while it holds."""
        return {Send.OWN: self.language, Send.SOURCE: source, Send.HOLD: None}[self.send]


@dataclass(frozen=True)
class VersionPlan:
    source: str
    languages: tuple[LanguagePlan, ...]

    @property
    def may_start(self) -> bool:
        """All or nothing: one waiting language holds the whole broadcast."""
        return all(p.send is not Send.HOLD for p in self.languages)

    @property
    def holding(self) -> tuple[str, ...]:
        return tuple(p.language for p in self.languages if p.send is Send.HOLD)


def plan_versions(counts: Mapping[str, int], versions: Mapping[str, VersionState],
                  fallbacks: Mapping[str, Fallback], source: str) -> VersionPlan:
    """Per language with recipients: its own version if approved, else the source if the
    coordinator chose it, else hold. A language without a choice waits: nothing goes out
    unapproved by default. The source language's own text is the coordinator's: confirming
    the broadcast approves it."""
    if source not in SOURCE_LANGUAGES:
        raise ValueError(f"a broadcast is written in Dutch or English, not {source!r}")
    plans = []
    for language, recipients in counts.items():
        if recipients <= 0:
            continue
        state = versions.get(language, VersionState.MISSING)
        if language == source or state is VersionState.APPROVED:
            send = Send.OWN
        elif fallbacks.get(language, Fallback.WAIT) is Fallback.SOURCE:
            send = Send.SOURCE
        else:
            send = Send.HOLD
        if language == source:
            state = VersionState.APPROVED
        plans.append(LanguagePlan(language, recipients, state, send))
    return VersionPlan(source, tuple(plans))


# -- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A broadcast's outbox rows, counted by how they ended (the coordinator's status)."""

    sent: int = 0
    unreachable: int = 0  # blocked the bot, or the chat is gone
    failed: int = 0
    skipped: int = 0  # paused since it was written, or cancelled
    remaining: int = 0  # pending

    def __post_init__(self) -> None:
        if min(self.sent, self.unreachable, self.failed, self.skipped, self.remaining) < 0:
            raise ValueError("counts are never negative")

    @classmethod
    def of(cls, counts: Mapping[Status, int]) -> Progress:
        """From the rows' statuses as storage counts them."""
        return cls(counts.get(Status.SENT, 0), counts.get(Status.UNREACHABLE, 0),
                   counts.get(Status.FAILED, 0), counts.get(Status.SKIPPED, 0),
                   counts.get(Status.PENDING, 0))

    @property
    def total(self) -> int:
        return self.sent + self.unreachable + self.failed + self.skipped + self.remaining


# -- lifecycle -----------------------------------------------------------------------------


class State(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"  # waits for its time, its versions, or the end of quiet hours
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


# Back from confirmed to draft: the coordinator changes the text before it starts.
STEPS: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.CONFIRMED, State.CANCELLED}),
    State.CONFIRMED: frozenset({State.DRAFT, State.SENDING, State.CANCELLED}),
    State.SENDING: frozenset({State.DONE, State.CANCELLED}),
    State.DONE: frozenset(),
    State.CANCELLED: frozenset(),
}


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # no such step from this state (e.g. cancel after done)
    NO_RECIPIENTS = "no_recipients"
    SECOND_CONFIRMATION = "second_confirmation"  # above the threshold: confirm once more
    VERSIONS_NOT_READY = "versions_not_ready"  # a language holds
    STILL_SENDING = "still_sending"  # done while rows remain


class Refused(ValueError):
    def __init__(self, reason: Refusal, state: State, to: State) -> None:
        super().__init__(f"{state} -> {to}: {reason}")
        self.reason = reason


def confirmations_needed(recipients: int) -> int:
    return 2 if recipients > SECOND_CONFIRMATION_ABOVE else 1


def refusal(state: State, to: State, *, recipients: int = 0, confirmations: int = 0,
            plan: VersionPlan | None = None, progress: Progress | None = None
            ) -> Refusal | None:
    """Why `state` may not become `to`, or None. Confirming needs a recipient and enough
    confirmations; starting needs a plan that may start; done needs nothing remaining."""
    if to not in STEPS[state]:
        return Refusal.NOT_ALLOWED
    if to is State.CONFIRMED:
        if recipients <= 0:
            return Refusal.NO_RECIPIENTS
        if confirmations < confirmations_needed(recipients):
            return Refusal.SECOND_CONFIRMATION
    if to is State.SENDING and (plan is None or not plan.may_start):
        return Refusal.VERSIONS_NOT_READY
    if to is State.DONE and (progress is None or progress.remaining > 0):
        return Refusal.STILL_SENDING
    return None


def transition(state: State, to: State, *, recipients: int = 0, confirmations: int = 0,
               plan: VersionPlan | None = None, progress: Progress | None = None) -> State:
    """`to`, or raises Refused with the reason (see `refusal`)."""
    reason = refusal(state, to, recipients=recipients, confirmations=confirmations,
                     plan=plan, progress=progress)
    if reason is not None:
        raise Refused(reason, state, to)
    return to


def outbox_key(broadcast_id: int, person_id: int) -> str:
    """One outbox row per broadcast and recipient: writing it twice keeps the first."""
    return f"broadcast:{broadcast_id}:{person_id}"


# -- stored ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One language's text of a broadcast, and who wrote and approved it (Telegram ids;
    emptied when they delete their data)."""

    language: str
    text: str
    state: VersionState
    fallback: Fallback = Fallback.WAIT
    author_id: int | None = None
    reviewer_id: int | None = None


@dataclass(frozen=True)
class Broadcast:
    """A stored broadcast: to whom, in which source language, and how far it got."""

    id: int
    audience: Audience
    source: str  # nl or en: what the coordinator wrote in
    state: State
    created_at: datetime  # UTC
    author_id: int | None = None  # the coordinator's Telegram id
    urgent: bool = False
    paid: bool = False
    scheduled_at: datetime | None = None  # UTC; None: as soon as confirmed
    recipients: int = 0  # counted when confirmed
    ended_at: datetime | None = None
    counts: Mapping[str, int] = field(default_factory=dict)  # per language, when confirmed
    media: Media | None = None
    next_person_id: int = 0  # outbox rows are written for people up to this id
    written_all: bool = False
    started_at: datetime | None = None
    status_message_id: int | None = None  # the coordinator's status message, once sent
    status_edited_at: datetime | None = None
    status_shown: str = ""  # the figures it shows (an identical edit is not sent)
    status_edits: int = 0


@dataclass(frozen=True)
class Media:
    """A photo or document the coordinator sent with the text: copied to each recipient
    with their language's version as its caption."""

    kind: str  # bot.domain.handoff.Media value: photo or document
    chat_id: int
    message_id: int


def dumps_counts(counts: Mapping[str, int]) -> str:
    return ",".join(f"{code}={n}" for code, n in counts.items())


def loads_counts(text: str) -> dict[str, int]:
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {code: int(n) for code, n in pairs if code in CODES and n.isdigit()}
