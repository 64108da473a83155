"""Routing a newcomer's question to a sleutelpersoon, and escalating it when nobody takes it.

Pure rules (issue 8, "Routing and claiming"): who may be asked (eligibility), who is asked
first (ranking), when the question goes to everyone and to the coordinators (escalation),
and when to look again. The handoff service passes profiles, loads and what it already did;
it stores what `decide` returns and writes the outbox rows.

Times are timezone-aware; results are in UTC. Availability in real time (weekly windows
across clock changes) is bot.domain.availability_time.

The past is judged by today's profiles: there is no history of windows, pauses or loads, so
the availability time of a question counts the windows of those who could take it now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.domain.availability_time import Span, next_window_start, union_spans, utc
from bot.domain.sleutelpersoon import LANGUAGE_CODE, Profile

TOP = 3  # asked first, before escalation
AVAILABILITY_LIMIT = timedelta(hours=4)  # of time in which someone eligible was available
OVERALL_LIMIT = timedelta(hours=24)
_NEVER = datetime.min.replace(tzinfo=UTC)


# -- the question and the people -----------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A newcomer's question waiting for a person to claim it."""

    language: str  # ISO 639 code the newcomer wants an answer in
    municipality: str
    topic: str | None  # flow id the question was asked from; None: asked outside a flow
    created_at: datetime
    # Languages the bot can machine-translate to and from `language`: a sleutelpersoon who
    # speaks one of them may take the question too, after those who speak `language`.
    translated: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not LANGUAGE_CODE.match(self.language):
            raise ValueError(f"not an ISO 639 language code: {self.language!r}")
        if not self.municipality.strip():
            raise ValueError("a request belongs to a municipality")
        utc(self.created_at, "created_at")


@dataclass(frozen=True)
class Load:
    """How busy a sleutelpersoon is right now."""

    open_conversations: int = 0
    last_assigned_at: datetime | None = None  # None: never assigned one

    def __post_init__(self) -> None:
        if self.open_conversations < 0:
            raise ValueError("open conversations cannot be negative")
        if self.last_assigned_at is not None:
            utc(self.last_assigned_at, "last_assigned_at")


@dataclass(frozen=True)
class Candidate:
    """A sleutelpersoon as routing sees them: their profile and their current load."""

    profile: Profile
    load: Load = Load()

    @property
    def telegram_id(self) -> int:
        return self.profile.telegram_id


# -- eligibility ---------------------------------------------------------------------------


class Reason(StrEnum):
    """Why someone is not asked to take a question."""

    LANGUAGE = "language"  # does not speak the newcomer's language
    MUNICIPALITY = "municipality"  # does not serve the newcomer's municipality
    PAUSED = "paused"  # on holiday: no new conversations
    FULL = "full"  # open conversations at capacity
    OUTSIDE_WINDOWS = "outside_windows"  # not in one of their weekly windows now


def speaks(profile: Profile, language: str) -> bool:
    return language in profile.languages


def understands(profile: Profile, request: Request) -> bool:
    """Speaks the newcomer's language, or one the bot machine-translates it to and from."""
    return speaks(profile, request.language) or not request.translated.isdisjoint(
        profile.languages)


def serves(profile: Profile, municipality: str) -> bool:
    return municipality in profile.municipalities


def under_capacity(candidate: Candidate) -> bool:
    return candidate.load.open_conversations < candidate.profile.capacity


def why_not(candidate: Candidate, request: Request, now: datetime | None) -> frozenset[Reason]:
    """Every reason not to ask this person now (empty: eligible). `now=None` leaves out
    availability, which is only judged when someone is not paused."""
    profile = candidate.profile
    reasons: set[Reason] = set()
    if not understands(profile, request):
        reasons.add(Reason.LANGUAGE)
    if not serves(profile, request.municipality):
        reasons.add(Reason.MUNICIPALITY)
    if profile.paused:
        reasons.add(Reason.PAUSED)
    elif now is not None and not profile.available(utc(now, "now")):
        reasons.add(Reason.OUTSIDE_WINDOWS)
    if not under_capacity(candidate):
        reasons.add(Reason.FULL)
    return frozenset(reasons)


def eligible(candidate: Candidate, request: Request, now: datetime) -> bool:
    """Speaks the language, serves the municipality, available now, under capacity, not paused."""
    return not why_not(candidate, request, now)


def eligible_except_availability(candidate: Candidate, request: Request) -> bool:
    """Eligible, or will be when one of their windows opens (for queueing and waking)."""
    return not why_not(candidate, request, None)


def may_claim(candidate: Candidate, request: Request) -> bool:
    """Whether pressing Claim may succeed: as eligibility, but outside one's own windows too
    (someone who was asked may answer late in the evening)."""
    return eligible_except_availability(candidate, request)


# -- ranking -------------------------------------------------------------------------------


def knows_topic(profile: Profile, topic: str | None) -> bool:
    return topic is not None and topic in profile.topics


def rank_key(candidate: Candidate, request: Request
             ) -> tuple[bool, bool, int, datetime, int]:
    """Sorts best first: speaks the language (before machine translation), knows the topic,
    fewest open conversations, longest since the last assignment (never assigned first),
    then the lowest Telegram id (deterministic)."""
    load = candidate.load
    last = _NEVER if load.last_assigned_at is None else utc(load.last_assigned_at)
    return (not speaks(candidate.profile, request.language),
            not knows_topic(candidate.profile, request.topic), load.open_conversations, last,
            candidate.telegram_id)


def rank(candidates: Iterable[Candidate], request: Request) -> tuple[Candidate, ...]:
    """The given candidates, best first (eligibility is not checked here)."""
    return tuple(sorted(candidates, key=lambda c: rank_key(c, request)))


def pick(candidates: Iterable[Candidate], request: Request, now: datetime,
         n: int = TOP) -> tuple[Candidate, ...]:
    """The best `n` eligible candidates: the people to ask to claim the question now."""
    if n < 1:
        raise ValueError("pick at least one")
    return rank((c for c in candidates if eligible(c, request, now)), request)[:n]


@dataclass(frozen=True)
class Opening:
    """Nobody of these is available now; at `at` their windows open (ranked, best first)."""

    at: datetime
    candidates: tuple[Candidate, ...]


def next_opening(request: Request, candidates: Iterable[Candidate], now: datetime,
                 skip: frozenset[int] = frozenset()) -> Opening | None:
    """The earliest window that opens for someone eligible except for availability (and not
    in `skip`, e.g. already asked), with everyone whose window opens then. None: nobody."""
    now = utc(now, "now")
    starts: list[tuple[datetime, Candidate]] = []
    for candidate in candidates:
        if (candidate.telegram_id in skip or candidate.profile.available(now)
                or not eligible_except_availability(candidate, request)):
            continue
        start = next_window_start(candidate.profile, now)
        if start is not None:
            starts.append((start, candidate))
    if not starts:
        return None
    at = min(start for start, _ in starts)
    return Opening(at, rank((c for start, c in starts if start == at), request))


# -- escalation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingPolicy:
    """How many are asked first, and when an unclaimed question escalates."""

    top: int = TOP
    availability_limit: timedelta = AVAILABILITY_LIMIT
    overall_limit: timedelta = OVERALL_LIMIT
    # Nobody could take it now or when a window opens (no speaker, all paused or full):
    # escalate at once rather than let it wait unseen until the overall limit.
    escalate_when_nobody_fits: bool = True

    def __post_init__(self) -> None:
        if self.top < 1:
            raise ValueError("ask at least one person first")
        if self.availability_limit <= timedelta() or self.overall_limit <= timedelta():
            raise ValueError("escalation limits are positive")


DEFAULT_POLICY = RoutingPolicy()


def _when_reached(spans: Sequence[Span], amount: timedelta) -> datetime | None:
    for span in spans:
        if span.duration >= amount:
            return span.start + amount
        amount -= span.duration
    return None


def escalation_due(request: Request, candidates: Iterable[Candidate],
                   policy: RoutingPolicy = DEFAULT_POLICY) -> datetime:
    """When an unclaimed question escalates: once those eligible except for availability
    have together been available for the availability limit, or after the overall limit,
    whichever comes first; at creation when nobody fits (and the policy says so)."""
    created = utc(request.created_at)
    overall = created + policy.overall_limit
    fitting = [c.profile for c in candidates if eligible_except_availability(c, request)]
    if not fitting and policy.escalate_when_nobody_fits:
        return created
    by_availability = _when_reached(union_spans(fitting, created, overall),
                                    policy.availability_limit)
    return overall if by_availability is None else min(by_availability, overall)


def overdue(request: Request, candidates: Iterable[Candidate], now: datetime,
            policy: RoutingPolicy = DEFAULT_POLICY) -> bool:
    return utc(now, "now") >= escalation_due(request, candidates, policy)


# -- the decision a handoff service acts on ------------------------------------------------


class Action(StrEnum):
    """One-off steps of escalation; each is returned once, when it is not yet done."""

    WIDEN = "widen"  # from now on ask every eligible person, not only the top few
    NOTIFY_COORDINATORS = "notify_coordinators"  # of the newcomer's municipality
    TELL_NEWCOMER = "tell_newcomer"  # that it takes longer than usual


ESCALATION = frozenset(Action)
NO_ACTIONS: frozenset[Action] = frozenset()


@dataclass(frozen=True)
class Progress:
    """What was already done for a question: who was asked to claim it, which steps taken."""

    asked: frozenset[int] = frozenset()  # telegram ids
    actions: frozenset[Action] = frozenset()

    def after(self, decision: Decision) -> Progress:
        """This progress once the decision has been carried out."""
        return Progress(self.asked | {c.telegram_id for c in decision.notify},
                        self.actions | decision.actions)


NOTHING_DONE = Progress()


@dataclass(frozen=True)
class Decision:
    """What to do now for an unclaimed question, and when to decide again."""

    notify: tuple[Candidate, ...]  # ask to claim now, best first; nobody asked before
    actions: frozenset[Action]  # escalation steps to take now; none taken before
    widened: bool  # escalated: everyone eligible is asked, not only the top few
    eligible: tuple[Candidate, ...]  # eligible now (asked before or not), best first
    opening: Opening | None  # the next window to open for someone not asked yet
    wake_at: datetime | None  # decide again then (a window opens, or escalation is due)

    @property
    def nobody_available(self) -> bool:
        """The question waits: nobody eligible is available now."""
        return not self.eligible


def decide(request: Request, candidates: Iterable[Candidate], now: datetime,
           progress: Progress = NOTHING_DONE,
           policy: RoutingPolicy = DEFAULT_POLICY) -> Decision:
    """Who to ask and what to escalate now. Idempotent: deciding again with the progress
    after this decision returns nothing new until time or the candidates change."""
    now = utc(now, "now")
    candidates = tuple(candidates)
    ranked = rank((c for c in candidates if eligible(c, request, now)), request)
    due = escalation_due(request, candidates, policy)
    widened = Action.WIDEN in progress.actions or now >= due
    # Through machine translation only when nobody who speaks the language can take it now,
    # or once the question escalates.
    first = tuple(c for c in ranked if speaks(c.profile, request.language)) or ranked
    wanted = ranked if widened else first[: policy.top]
    notify = tuple(c for c in wanted if c.telegram_id not in progress.asked)
    actions = (ESCALATION if widened else NO_ACTIONS) - progress.actions
    opening = next_opening(request, candidates, now,
                           skip=progress.asked | {c.telegram_id for c in notify})
    wakes = ([opening.at] if opening else []) + ([] if widened else [due])
    return Decision(notify, actions, widened, ranked, opening, min(wakes, default=None))
