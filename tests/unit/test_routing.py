"""Routing and escalation (bot.domain.routing): who is asked, in which order, and when an
unclaimed question goes to everyone and to the coordinators. Pure rules, fixed times."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain import availability_time as available
from bot.domain import routing
from bot.domain.availability_time import Span
from bot.domain.routing import (
    Action,
    Candidate,
    Load,
    Progress,
    Reason,
    Request,
    RoutingPolicy,
)
from bot.domain.sleutelpersoon import Profile, Window

AMS = ZoneInfo("Europe/Amsterdam")
NINE_TO_FIVE = tuple(Window(day, time(9), time(17)) for day in range(5))  # Mon-Fri
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=AMS)  # a Monday in winter (UTC+1)
SPRING_SUNDAY = datetime(2026, 3, 29, tzinfo=AMS)  # last Sunday of March: 02:00 → 03:00
AUTUMN_SUNDAY = datetime(2026, 10, 25, tzinfo=AMS)  # last Sunday of October: 03:00 → 02:00
SUNDAY = 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=AMS)


def person(telegram_id: int, *, languages: set[str] | None = None,
           municipalities: set[str] | None = None, topics: set[str] | None = None,
           windows: tuple[Window, ...] = NINE_TO_FIVE, capacity: int = 3,
           paused: bool = False) -> Profile:
    return Profile(telegram_id, f"Person {telegram_id}", frozenset(languages or {"ti"}),
                   frozenset(municipalities or {"leiden"}), frozenset(topics or set()),
                   windows, capacity, paused)


def candidate(telegram_id: int, open_conversations: int = 0,
              last_assigned_at: datetime | None = None, **profile: Any) -> Candidate:
    return Candidate(person(telegram_id, **profile), Load(open_conversations, last_assigned_at))


def request(created_at: datetime = MONDAY_10, *, language: str = "ti",
            municipality: str = "leiden", topic: str | None = None) -> Request:
    return Request(language, municipality, topic, created_at)


def ids(candidates: tuple[Candidate, ...]) -> list[int]:
    return [c.telegram_id for c in candidates]


# -- eligibility ---------------------------------------------------------------------------


def test_an_eligible_person_speaks_serves_is_available_has_room_and_is_not_paused() -> None:
    assert routing.eligible(candidate(1), request(), MONDAY_10)
    assert routing.why_not(candidate(1), request(), MONDAY_10) == frozenset()


@pytest.mark.parametrize(("who", "reasons"), [
    (candidate(1, languages={"ar"}), {Reason.LANGUAGE}),
    (candidate(1, municipalities={"zoeterwoude"}), {Reason.MUNICIPALITY}),
    (candidate(1, paused=True), {Reason.PAUSED}),
    (candidate(1, open_conversations=3, capacity=3), {Reason.FULL}),
    (candidate(1, windows=(Window(0, time(14), time(16)),)), {Reason.OUTSIDE_WINDOWS}),
    (candidate(1, languages={"ar"}, open_conversations=5, paused=True),
     {Reason.LANGUAGE, Reason.PAUSED, Reason.FULL}),
])
def test_every_reason_not_to_ask_someone_is_named(who: Candidate, reasons: set[Reason]) -> None:
    assert routing.why_not(who, request(), MONDAY_10) == reasons
    assert not routing.eligible(who, request(), MONDAY_10)


def test_capacity_counts_open_conversations_up_to_the_profile_maximum() -> None:
    assert routing.eligible(candidate(1, open_conversations=1, capacity=2), request(), MONDAY_10)
    assert not routing.eligible(candidate(1, open_conversations=2, capacity=2), request(),
                                MONDAY_10)


def test_paused_is_not_eligible_even_when_in_a_window_or_without_windows() -> None:
    for windows in (NINE_TO_FIVE, ()):
        paused = candidate(1, paused=True, windows=windows)
        assert not routing.eligible(paused, request(), MONDAY_10)
        assert not routing.eligible_except_availability(paused, request())


def test_several_languages_any_iso_639_code_matches_exactly() -> None:
    polyglot = candidate(1, languages={"ar", "ti", "prs"})
    for code in ("ar", "ti", "prs"):
        assert routing.eligible(polyglot, request(language=code), MONDAY_10)
    for code in ("fa", "am", "so", "nl"):  # no folding of related languages
        assert routing.why_not(polyglot, request(language=code), MONDAY_10) == {Reason.LANGUAGE}


def test_several_municipalities() -> None:
    both = candidate(1, municipalities={"leiden", "leiderdorp"})
    assert routing.eligible(both, request(municipality="leiderdorp"), MONDAY_10)
    assert not routing.eligible(both, request(municipality="katwijk"), MONDAY_10)


def test_no_windows_means_always_available() -> None:
    anytime = candidate(1, windows=())
    for moment in (local(2026, 11, 22, 3, 0), utc(2026, 3, 29, 1, 0),
                   local(2026, 12, 25, 23, 59)):
        assert routing.eligible(anytime, request(), moment)
        assert available.next_window_start(anytime.profile, moment) == moment


def test_window_start_counts_and_end_does_not() -> None:
    who = candidate(1)
    assert routing.eligible(who, request(), local(2026, 11, 23, 9, 0))
    assert not routing.eligible(who, request(), local(2026, 11, 23, 8, 59, 59))
    assert not routing.eligible(who, request(), local(2026, 11, 23, 17, 0))
    assert not routing.eligible(who, request(), local(2026, 11, 22, 12, 0))  # Sunday


def test_eligible_except_availability_is_outside_windows_only() -> None:
    evening = local(2026, 11, 23, 20, 0)
    assert not routing.eligible(candidate(1), request(), evening)
    assert routing.eligible_except_availability(candidate(1), request())
    assert routing.may_claim(candidate(1), request())
    assert not routing.eligible_except_availability(candidate(1, open_conversations=3),
                                                    request())
    assert not routing.may_claim(candidate(1, municipalities={"katwijk"}), request())


def test_requests_and_loads_are_validated() -> None:
    with pytest.raises(ValueError, match="ISO 639"):
        request(language="Tigrinya")
    with pytest.raises(ValueError, match="timezone-aware"):
        request(datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValueError, match="municipality"):
        request(municipality=" ")
    with pytest.raises(ValueError):
        Load(-1)
    with pytest.raises(ValueError):
        RoutingPolicy(top=0)
    with pytest.raises(ValueError):
        RoutingPolicy(availability_limit=timedelta())
    with pytest.raises(ValueError, match="timezone-aware"):
        routing.eligible(candidate(1), request(), datetime(2026, 11, 23, 10, 0))


# -- ranking -------------------------------------------------------------------------------


def test_topic_knowledge_ranks_first_even_above_a_lighter_load() -> None:
    busy_expert = candidate(1, open_conversations=2, topics={"toeslagen"})
    idle = candidate(2)
    ask = request(topic="toeslagen")
    assert ids(routing.rank([idle, busy_expert], ask)) == [1, 2]
    assert ids(routing.rank([idle, busy_expert], request(topic="huur"))) == [2, 1]


def test_without_a_topic_nobody_is_preferred_for_topics() -> None:
    expert = candidate(1, open_conversations=1, topics={"toeslagen"})
    assert ids(routing.rank([expert, candidate(2)], request(topic=None))) == [2, 1]


def test_then_fewest_open_conversations_then_longest_since_last_assignment() -> None:
    ask = request()
    never = candidate(5, 1, None)
    long_ago = candidate(3, 1, local(2026, 11, 1, 12, 0))
    recent = candidate(2, 1, local(2026, 11, 23, 9, 0))
    lighter = candidate(9, 0, local(2026, 11, 23, 9, 55))
    assert ids(routing.rank([recent, long_ago, lighter, never], ask)) == [9, 5, 3, 2]


def test_ties_are_broken_by_telegram_id_whatever_the_input_order() -> None:
    same = [candidate(i, 1, local(2026, 11, 20, 9, 0)) for i in (42, 7, 19, 3)]
    for seed in range(5):
        shuffled = same[:]
        random.Random(seed).shuffle(shuffled)
        assert ids(routing.rank(shuffled, request())) == [3, 7, 19, 42]


def test_last_assignment_in_another_zone_compares_as_the_same_instant() -> None:
    earlier = candidate(2, 0, datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    later = candidate(1, 0, utc(2026, 11, 23, 1, 0))  # Tokyo 09:00 is 00:00 UTC
    assert ids(routing.rank([later, earlier], request())) == [2, 1]


def test_pick_returns_the_top_eligible_three_or_n() -> None:
    people = [candidate(i, open_conversations=i % 3) for i in range(1, 8)]
    people.append(candidate(50, languages={"ar"}))  # ineligible: would rank first
    people.append(candidate(51, paused=True))
    assert ids(routing.pick(people, request(), MONDAY_10)) == [3, 6, 1]
    assert ids(routing.pick(people, request(), MONDAY_10, n=5)) == [3, 6, 1, 4, 7]
    assert routing.pick(people, request(), local(2026, 11, 23, 20, 0)) == ()
    with pytest.raises(ValueError):
        routing.pick(people, request(), MONDAY_10, n=0)


# -- availability in real time, across DST ------------------------------------------------


def test_weekday_windows_in_utc_follow_the_clock_change() -> None:
    monday_before = available.availability_spans(person(1), local(2026, 3, 23), local(2026, 3, 24))
    monday_after = available.availability_spans(person(1), local(2026, 3, 30), local(2026, 3, 31))
    assert monday_before == (Span(utc(2026, 3, 23, 8, 0), utc(2026, 3, 23, 16, 0)),)
    assert monday_after == (Span(utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 15, 0)),)


def test_a_night_window_across_the_spring_change_is_an_hour_shorter() -> None:
    night = person(1, windows=(Window(SUNDAY, time(1), time(4)),))
    spans = available.availability_spans(night, SPRING_SUNDAY, SPRING_SUNDAY + timedelta(days=1))
    assert spans == (Span(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0)),)  # 01:00 CET-04:00 CEST
    assert available.availability_time([night], SPRING_SUNDAY,
                                     SPRING_SUNDAY + timedelta(days=1)) == timedelta(hours=2)


def test_a_night_window_across_the_autumn_change_is_an_hour_longer() -> None:
    night = person(1, windows=(Window(SUNDAY, time(1), time(4)),))
    spans = available.availability_spans(night, AUTUMN_SUNDAY, AUTUMN_SUNDAY + timedelta(days=1))
    assert spans == (Span(utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0)),)
    assert available.availability_time([night], AUTUMN_SUNDAY,
                                     AUTUMN_SUNDAY + timedelta(days=1)) == timedelta(hours=4)


def test_a_window_inside_the_skipped_hour_does_not_happen_that_day() -> None:
    skipped = person(1, windows=(Window(SUNDAY, time(2, 15), time(2, 45)),))
    assert available.availability_spans(skipped, SPRING_SUNDAY,
                                      SPRING_SUNDAY + timedelta(days=1)) == ()
    after = available.next_window_start(skipped, SPRING_SUNDAY)
    assert after == local(2026, 4, 5, 2, 15)  # a week later


def test_a_window_inside_the_repeated_hour_counts_both_times() -> None:
    repeated = person(1, windows=(Window(SUNDAY, time(2, 30), time(3, 30)),))
    spans = available.availability_spans(repeated, AUTUMN_SUNDAY,
                                       AUTUMN_SUNDAY + timedelta(days=1))
    assert spans == (Span(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)),  # 02:30-03:00 CEST
                     Span(utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 30)))  # 02:30-03:30 CET


@pytest.mark.parametrize("sunday", [SPRING_SUNDAY, AUTUMN_SUNDAY], ids=["march", "october"])
def test_spans_agree_with_profile_available_minute_by_minute(sunday: datetime) -> None:
    windows = (Window(5, time(22), time(23, 59)), Window(SUNDAY, time(0), time(2, 15)),
               Window(SUNDAY, time(2, 45), time(3, 15)), Window(SUNDAY, time(3), time(5)),
               Window(0, time(0), time(1)))
    profile = person(1, windows=windows)
    start, end = sunday - timedelta(days=1), sunday + timedelta(days=2)
    spans = available.availability_spans(profile, start, end)
    moment = start.astimezone(UTC)
    while moment < end:
        assert profile.available(moment) == any(moment in span for span in spans), moment
        moment += timedelta(minutes=1)


def test_overlapping_people_are_not_counted_twice() -> None:
    morning = person(1, windows=(Window(0, time(9), time(13)),))
    afternoon = person(2, windows=(Window(0, time(11), time(15)),))
    day = local(2026, 11, 23), local(2026, 11, 24)
    assert available.availability_time([morning, afternoon], *day) == timedelta(hours=6)
    assert available.availability_time([morning], *day) == timedelta(hours=4)
    assert available.availability_time([person(3, paused=True)], *day) == timedelta()


def test_next_window_start() -> None:
    saturday = local(2026, 3, 28, 12, 0)
    assert available.next_window_start(person(1), saturday) == utc(2026, 3, 30, 7, 0)  # CEST
    assert available.next_window_start(person(1), MONDAY_10) == MONDAY_10  # in a window now
    assert available.next_window_start(person(1, paused=True), saturday) is None


# -- escalation ----------------------------------------------------------------------------


def test_escalation_after_four_hours_of_availability_time() -> None:
    early = request(local(2026, 11, 23, 7, 0))  # Monday, before anyone's window
    people = [candidate(1)]
    assert routing.escalation_due(early, people) == local(2026, 11, 23, 13, 0)  # 09:00 + 4 h
    assert not routing.overdue(early, people, local(2026, 11, 23, 12, 59))
    assert routing.overdue(early, people, local(2026, 11, 23, 13, 0))


def test_availability_time_spans_days_and_only_counts_eligible_people() -> None:
    late = request(local(2026, 11, 23, 15, 0))  # 2 hours left today, 2 more tomorrow
    people = [candidate(1), candidate(2, languages={"ar"}, windows=()),
              candidate(3, paused=True, windows=())]
    assert routing.escalation_due(late, people) == local(2026, 11, 24, 11, 0)


def test_escalation_after_24_hours_overall_even_without_availability() -> None:
    friday = request(local(2026, 11, 27, 16, 30))  # half an hour before the weekend
    people = [candidate(1)]
    assert routing.escalation_due(friday, people) == local(2026, 11, 28, 16, 30)
    assert not routing.overdue(friday, people, local(2026, 11, 28, 16, 29))
    assert routing.overdue(friday, people, local(2026, 11, 28, 16, 30))


def test_availability_time_is_real_time_across_the_clock_change() -> None:
    nights = (Window(SUNDAY, time(0), time(6)),)
    spring = request(local(2026, 3, 28, 23, 0))
    assert routing.escalation_due(spring, [candidate(1, windows=nights)]) == utc(2026, 3, 29, 3, 0)
    autumn = request(local(2026, 10, 24, 23, 0))
    assert routing.escalation_due(autumn, [candidate(1, windows=nights)]) == utc(2026, 10, 25, 2, 0)
    # A wall-clock reading would have said 04:00 local both times.
    assert utc(2026, 3, 29, 3, 0) == local(2026, 3, 29, 5, 0)
    assert utc(2026, 10, 25, 2, 0) == local(2026, 10, 25, 3, 0)


def test_limits_are_configurable() -> None:
    policy = RoutingPolicy(availability_limit=timedelta(hours=1),
                           overall_limit=timedelta(minutes=90))
    ask = request(local(2026, 11, 23, 8, 0))
    assert routing.escalation_due(ask, [candidate(1)], policy) == local(2026, 11, 23, 9, 30)
    always = [candidate(1, windows=())]
    assert routing.escalation_due(ask, always, policy) == local(2026, 11, 23, 9, 0)


def test_nobody_who_could_ever_take_it_escalates_at_once_unless_configured_otherwise() -> None:
    ask = request(language="am")
    people = [candidate(1), candidate(2, languages={"am"}, paused=True)]
    assert routing.escalation_due(ask, people) == ask.created_at
    patient = RoutingPolicy(escalate_when_nobody_fits=False)
    assert routing.escalation_due(ask, people, patient) == ask.created_at + timedelta(hours=24)


# -- the decision --------------------------------------------------------------------------


def five_people() -> list[Candidate]:
    return [candidate(i, open_conversations=i % 2) for i in (10, 11, 12, 13, 14)]


def test_first_decision_asks_the_top_three_and_sleeps_until_escalation() -> None:
    ask = request(local(2026, 11, 23, 9, 30))
    decision = routing.decide(ask, five_people(), ask.created_at)
    assert ids(decision.notify) == [10, 12, 14]
    assert decision.actions == frozenset() and not decision.widened
    assert not decision.nobody_available and len(decision.eligible) == 5
    assert decision.opening is None
    assert decision.wake_at == local(2026, 11, 23, 13, 30)


def test_deciding_again_with_the_progress_repeats_nothing() -> None:
    ask = request(local(2026, 11, 23, 9, 30))
    first = routing.decide(ask, five_people(), ask.created_at)
    again = routing.decide(ask, five_people(), local(2026, 11, 23, 11, 0),
                           Progress().after(first))
    assert again.notify == () and again.actions == frozenset()


def test_escalation_widens_to_all_eligible_notifies_coordinators_and_tells_once() -> None:
    ask = request(local(2026, 11, 23, 9, 30))
    progress = Progress().after(routing.decide(ask, five_people(), ask.created_at))
    escalated = routing.decide(ask, five_people(), local(2026, 11, 23, 13, 30), progress)
    assert escalated.widened
    assert ids(escalated.notify) == [11, 13]  # the rest; the first three were asked already
    assert escalated.actions == {Action.WIDEN, Action.NOTIFY_COORDINATORS, Action.TELL_NEWCOMER}
    assert escalated.wake_at is None  # nothing left to wait for today

    progress = progress.after(escalated)
    for hours in (1, 5, 30):
        later = routing.decide(ask, five_people(), local(2026, 11, 23, 13, 30) +
                               timedelta(hours=hours), progress)
        assert later.widened and later.notify == () and later.actions == frozenset()


def test_a_step_not_recorded_yet_is_returned_again_and_widening_sticks() -> None:
    ask = request(local(2026, 11, 23, 9, 30))
    done = Progress(frozenset({10, 12, 14}), frozenset({Action.WIDEN, Action.TELL_NEWCOMER}))
    # Everyone moved their hours to Wednesday since: by today's windows the question is not
    # due yet, but what was widened stays widened.
    wednesday = (Window(2, time(9), time(10)),)
    moved = [replace(c, profile=replace(c.profile, windows=wednesday)) for c in five_people()]
    assert not routing.overdue(ask, moved, local(2026, 11, 23, 14, 0))
    decision = routing.decide(ask, moved, local(2026, 11, 23, 14, 0), done)
    assert decision.widened and decision.actions == {Action.NOTIFY_COORDINATORS}


def test_escalation_by_overall_time_when_people_were_not_available() -> None:
    friday = request(local(2026, 11, 27, 18, 0))  # nobody until Monday 09:00
    before = routing.decide(friday, five_people(), friday.created_at)
    assert before.nobody_available and before.notify == ()
    saturday = routing.decide(friday, five_people(), local(2026, 11, 28, 18, 0),
                              Progress().after(before))
    assert saturday.widened and saturday.notify == ()  # still nobody available
    assert Action.TELL_NEWCOMER in saturday.actions
    assert saturday.opening is not None and saturday.opening.at == local(2026, 11, 30, 9, 0)
    assert saturday.wake_at == local(2026, 11, 30, 9, 0)
    monday = routing.decide(friday, five_people(), local(2026, 11, 30, 9, 0),
                            Progress().after(before).after(saturday))
    assert ids(monday.notify) == [10, 12, 14, 11, 13]  # widened: everyone, best first
    assert monday.actions == frozenset()


def test_nobody_available_waits_for_the_next_window_and_says_who_opens_it() -> None:
    people = [candidate(1, windows=(Window(1, time(10), time(12)),)),  # Tuesday 10:00
              candidate(2, windows=(Window(1, time(10), time(12)),), topics={"huur"}),
              candidate(3, windows=(Window(2, time(9), time(12)),)),  # Wednesday
              candidate(4, windows=(), languages={"ar"})]  # always there, other language
    ask = request(local(2026, 11, 23, 20, 0), topic="huur")
    decision = routing.decide(ask, people, ask.created_at)
    assert decision.nobody_available and decision.notify == ()
    assert decision.opening is not None
    assert decision.opening.at == local(2026, 11, 24, 10, 0)
    assert ids(decision.opening.candidates) == [2, 1]  # topic first
    assert decision.wake_at == local(2026, 11, 24, 10, 0)
    at_ten = routing.decide(ask, people, decision.wake_at, Progress().after(decision))
    assert ids(at_ten.notify) == [2, 1]
    assert at_ten.opening is not None and ids(at_ten.opening.candidates) == [3]


def test_a_window_opening_for_someone_already_asked_does_not_wake_anyone() -> None:
    ask = request(local(2026, 11, 23, 16, 0))
    people = [candidate(1)]
    asked = Progress().after(routing.decide(ask, people, ask.created_at))
    evening = routing.decide(ask, people, local(2026, 11, 23, 18, 0), asked)
    assert evening.opening is None
    assert evening.wake_at == routing.escalation_due(ask, people)  # Tuesday 12:00


def test_nobody_who_speaks_the_language_escalates_at_once() -> None:
    ask = request(language="so")
    decision = routing.decide(ask, five_people(), ask.created_at)
    assert decision.widened and decision.notify == () and decision.opening is None
    assert decision.actions == routing.ESCALATION
    assert decision.wake_at is None


def test_the_top_is_configurable() -> None:
    ask = request()
    decision = routing.decide(ask, five_people(), ask.created_at, policy=RoutingPolicy(top=1))
    assert ids(decision.notify) == [10]


# -- machine translation (issue 12) ----------------------------------------------------------


def test_machine_translation_bridges_a_language_only_when_the_request_says_so() -> None:
    dutch = candidate(7, languages={"nl"})
    plain = request(language="ar")
    assert Reason.LANGUAGE in routing.why_not(dutch, plain, MONDAY_10)
    bridged = replace(plain, translated=frozenset({"en", "nl"}))
    assert routing.why_not(dutch, bridged, MONDAY_10) == frozenset()
    assert Reason.LANGUAGE in routing.why_not(candidate(8, languages={"so"}), bridged,
                                              MONDAY_10)


def test_speakers_are_asked_first_and_the_translated_only_when_none_can_or_at_escalation(
        ) -> None:
    ask = replace(request(language="ar"), translated=frozenset({"nl"}))
    arabic = candidate(1, languages={"ar"}, open_conversations=2)
    dutch = [candidate(n, languages={"nl"}) for n in (2, 3, 4)]
    # The speaker has more open conversations, yet comes first; the others wait.
    assert ids(routing.rank([*dutch, arabic], ask)) == [1, 2, 3, 4]
    first = routing.decide(ask, [arabic, *dutch], ask.created_at)
    assert ids(first.notify) == [1]
    # Nobody who speaks Arabic: those who read it translated are asked.
    alone = routing.decide(ask, dutch, ask.created_at)
    assert ids(alone.notify) == [2, 3, 4]
    # Once it escalates, everyone eligible is asked, the translated too.
    later = routing.decide(ask, [arabic, *dutch], local(2026, 11, 24, 12),
                           first_progress := routing.NOTHING_DONE.after(first))
    assert later.widened and ids(later.notify) == [2, 3, 4]
    assert first_progress.asked == {1}
