"""The pure rules of coordinator broadcasts (bot.domain.broadcast): the audience, the
version each language gets, the lifecycle, when a broadcast may go (quiet hours across
midnight and the clock changes), progress and its estimate, and the outbox key."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import broadcast as b
from bot.domain import broadcast_timing as t
from bot.domain.outbox import Status
from bot.domain.person import Begeleiding
from bot.domain.quiet_hours import QuietHours

ZONE = ZoneInfo("Europe/Amsterdam")
QUIET = QuietHours(time(21, 0), time(9, 0))
ANY, RUNNING, ENDED = b.BegeleidingFilter
A = b.VersionState.APPROVED


def person(language: str | None = "ar", municipality: str | None = "Utrecht",
           begeleiding: Begeleiding | None = Begeleiding.RUNNING, **flags: bool) -> b.Recipient:
    return b.Recipient(1, language, municipality, begeleiding, **flags)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local Amsterdam moment, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def utrecht(languages: frozenset[str] = frozenset(), begeleiding: b.BegeleidingFilter = ANY,
            sleutelpersonen_only: bool = False) -> b.Audience:
    return b.Audience("Utrecht", languages, begeleiding, sleutelpersonen_only)


# -- audience ------------------------------------------------------------------------------


def test_no_languages_chosen_means_all_four_in_picker_order() -> None:
    assert utrecht().codes == ("ar", "ti", "en", "nl")
    assert utrecht(languages=frozenset({"nl", "ti"})).codes == ("ti", "nl")


@pytest.mark.parametrize("kwargs", [
    {"municipality": ""},
    {"municipality": "Utrecht", "languages": frozenset({"fr"})},
    {"municipality": "Utrecht", "sleutelpersonen_only": True, "begeleiding": RUNNING},
])
def test_an_audience_that_makes_no_sense_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        b.Audience(**kwargs)  # type: ignore[arg-type]


def test_only_the_municipality_and_the_chosen_languages_are_reached() -> None:
    audience = utrecht(languages=frozenset({"ar", "ti"}))
    assert b.in_audience(person("ar"), audience)
    assert b.in_audience(person("ti"), audience)
    assert not b.in_audience(person("nl"), audience)
    assert not b.in_audience(person("ar", municipality="Zeist"), audience)
    assert not b.in_audience(person("ar", municipality=None), audience)


def test_someone_without_a_language_counts_as_reading_the_default() -> None:
    assert b.reading_language(person(None)) == "en"
    assert b.reading_language(person("xx")) == "en"
    assert b.in_audience(person(None), utrecht(languages=frozenset({"en"})))
    assert not b.in_audience(person(None), utrecht(languages=frozenset({"ar"})))


@pytest.mark.parametrize("flags", [
    {"paused": True}, {"unreachable": True}, {"announcements": False},
    {"paused": True, "is_sleutelpersoon": True},
])
def test_paused_unreachable_or_announcements_off_are_never_in_it(flags: dict[str, bool]) -> None:
    for audience in (utrecht(), utrecht(sleutelpersonen_only=True)):
        assert not b.in_audience(person("ar", "Utrecht", Begeleiding.RUNNING, **flags), audience)


@pytest.mark.parametrize(("chosen", "running", "ended", "unknown", "unanswered"), [
    (ANY, True, True, True, True),
    (RUNNING, True, False, False, False),
    (ENDED, False, True, False, False),
])
def test_begeleiding_filter_and_unknown_counts_only_for_any(
        chosen: b.BegeleidingFilter, running: bool, ended: bool, unknown: bool,
        unanswered: bool) -> None:
    audience = utrecht(begeleiding=chosen)
    found = [b.in_audience(person(begeleiding=value), audience) for value in (
        Begeleiding.RUNNING, Begeleiding.ENDED, Begeleiding.UNKNOWN, None)]
    assert found == [running, ended, unknown, unanswered]


def test_sleutelpersonen_only() -> None:
    audience = utrecht(sleutelpersonen_only=True, languages=frozenset({"ti"}))
    assert b.in_audience(person("ti", begeleiding=None, is_sleutelpersoon=True), audience)
    assert not b.in_audience(person("ti"), audience)
    assert not b.in_audience(person("ar", is_sleutelpersoon=True), audience)
    # A sleutelpersoon who matches a newcomers' audience gets it like anyone else.
    assert b.in_audience(person("ar", is_sleutelpersoon=True), utrecht())


def test_counts_per_language_include_zeros_for_the_preview() -> None:
    people = [person("ar"), person("ar"), person("ti"), person("nl", paused=True),
              person("en", municipality="Zeist"), person(None)]
    assert b.count_by_language(people, utrecht()) == {"ar": 2, "ti": 1, "en": 1, "nl": 0}
    assert list(b.count_by_language(people, utrecht())) == ["ar", "ti", "en", "nl"]


def test_an_empty_audience_counts_zero_everywhere() -> None:
    assert b.count_by_language([], utrecht(languages=frozenset({"ti"}))) == {"ti": 0}
    nobody = b.count_by_language([person("ar", municipality="Zeist")], utrecht())
    assert sum(nobody.values()) == 0


# -- versions per language -----------------------------------------------------------------


COUNTS = {"ar": 200, "ti": 120, "en": 50, "nl": 30}


def sends(plan: b.VersionPlan) -> dict[str, b.Send]:
    return {p.language: p.send for p in plan.languages}


def test_every_approved_version_goes_as_it_is() -> None:
    plan = b.plan_versions(COUNTS, {"ar": A, "ti": A, "en": A}, {}, "nl")
    assert set(sends(plan).values()) == {b.Send.OWN} and plan.may_start
    assert [p.text_language("nl") for p in plan.languages] == ["ar", "ti", "en", "nl"]
    assert [p.recipients for p in plan.languages] == [200, 120, 50, 30]


def test_a_missing_version_with_wait_holds_the_whole_broadcast() -> None:
    plan = b.plan_versions(COUNTS, {"ar": A, "en": A}, {"ti": b.Fallback.WAIT}, "nl")
    assert sends(plan)["ti"] is b.Send.HOLD
    assert plan.languages[1].state is b.VersionState.MISSING
    assert plan.languages[1].text_language("nl") is None
    assert not plan.may_start and plan.holding == ("ti",)


def test_without_a_choice_a_language_waits() -> None:
    plan = b.plan_versions(COUNTS, {"ar": A, "en": A}, {}, "nl")
    assert plan.holding == ("ti",)


def test_source_fallback_sends_the_coordinators_text() -> None:
    plan = b.plan_versions(COUNTS, {"ar": A, "en": A}, {"ti": b.Fallback.SOURCE}, "nl")
    ti = plan.languages[1]
    assert ti.send is b.Send.SOURCE and ti.text_language("nl") == "nl"
    assert plan.may_start and plan.holding == ()


def test_an_approved_version_wins_over_the_source_fallback() -> None:
    plan = b.plan_versions(COUNTS, {"ar": A, "ti": A, "en": A},
                           dict.fromkeys(COUNTS, b.Fallback.SOURCE), "nl")
    assert set(sends(plan).values()) == {b.Send.OWN}


@pytest.mark.parametrize("state", [b.VersionState.MISSING, b.VersionState.MACHINE,
                                   b.VersionState.WRITTEN, b.VersionState.REVIEW_REQUESTED])
def test_nothing_unapproved_goes_out_as_its_own_version(state: b.VersionState) -> None:
    waiting = b.plan_versions({"ar": 5, "en": 5}, {"ar": state}, {"ar": b.Fallback.WAIT}, "en")
    assert sends(waiting) == {"ar": b.Send.HOLD, "en": b.Send.OWN}
    assert waiting.languages[0].state is state
    fallback = b.plan_versions({"ar": 5}, {"ar": state}, {"ar": b.Fallback.SOURCE}, "en")
    assert sends(fallback) == {"ar": b.Send.SOURCE}


def test_the_source_languages_own_version_counts_as_approved() -> None:
    plan = b.plan_versions({"nl": 3, "en": 3}, {"nl": b.VersionState.WRITTEN}, {}, "nl")
    assert plan.languages[0] == b.LanguagePlan("nl", 3, A, b.Send.OWN)
    # The other source language is a translation like any other: it waits.
    assert plan.holding == ("en",)


def test_a_language_nobody_reads_cannot_hold_the_broadcast() -> None:
    plan = b.plan_versions({"ar": 10, "ti": 0, "nl": 4}, {"ar": A}, {}, "nl")
    assert [p.language for p in plan.languages] == ["ar", "nl"] and plan.may_start


def test_an_empty_audience_plans_nothing() -> None:
    plan = b.plan_versions({}, {}, {}, "en")
    assert plan.languages == () and plan.may_start  # but it cannot be confirmed (below)


def test_a_broadcast_is_written_in_dutch_or_english() -> None:
    with pytest.raises(ValueError):
        b.plan_versions(COUNTS, {}, {}, "ar")


# -- lifecycle -----------------------------------------------------------------------------


READY = b.plan_versions({"ar": 3, "nl": 1}, {"ar": A}, {}, "nl")
WAITING = b.plan_versions({"ar": 3, "nl": 1}, {}, {}, "nl")
S = b.State


def test_draft_to_done() -> None:
    state = b.transition(S.DRAFT, S.CONFIRMED, recipients=4, confirmations=1)
    state = b.transition(state, S.SENDING, plan=READY)
    state = b.transition(state, S.DONE, progress=b.Progress(sent=3, unreachable=1))
    assert state is S.DONE


@pytest.mark.parametrize("state", [S.DRAFT, S.CONFIRMED, S.SENDING])
def test_cancel_at_any_point_before_done(state: b.State) -> None:
    assert b.transition(state, S.CANCELLED) is S.CANCELLED


@pytest.mark.parametrize(("state", "to"), [
    (S.DONE, S.CANCELLED), (S.CANCELLED, S.CANCELLED), (S.CANCELLED, S.SENDING),
    (S.DONE, S.SENDING), (S.DRAFT, S.SENDING), (S.DRAFT, S.DONE), (S.SENDING, S.CONFIRMED),
    (S.SENDING, S.DRAFT), (S.CONFIRMED, S.DONE),
])
def test_steps_that_do_not_exist_are_refused(state: b.State, to: b.State) -> None:
    with pytest.raises(b.Refused) as refused:
        b.transition(state, to, recipients=5, confirmations=2, plan=READY,
                     progress=b.Progress(sent=5))
    assert refused.value.reason is b.Refusal.NOT_ALLOWED
    assert isinstance(refused.value, ValueError)


def test_cancel_after_done_is_refused() -> None:
    assert b.refusal(S.DONE, S.CANCELLED) is b.Refusal.NOT_ALLOWED


def test_a_confirmed_broadcast_can_go_back_to_draft_for_a_change() -> None:
    assert b.transition(S.CONFIRMED, S.DRAFT) is S.DRAFT


def test_confirming_without_a_recipient_is_refused() -> None:
    assert b.refusal(S.DRAFT, S.CONFIRMED, recipients=0, confirmations=2) \
        is b.Refusal.NO_RECIPIENTS


def test_above_a_thousand_recipients_a_second_confirmation() -> None:
    assert b.confirmations_needed(1) == 1
    assert b.confirmations_needed(b.SECOND_CONFIRMATION_ABOVE) == 1
    assert b.confirmations_needed(b.SECOND_CONFIRMATION_ABOVE + 1) == 2
    assert b.refusal(S.DRAFT, S.CONFIRMED, recipients=1000, confirmations=1) is None
    assert b.refusal(S.DRAFT, S.CONFIRMED, recipients=1001, confirmations=1) \
        is b.Refusal.SECOND_CONFIRMATION
    assert b.transition(S.DRAFT, S.CONFIRMED, recipients=1001, confirmations=2) \
        is S.CONFIRMED


def test_sending_before_the_versions_allow_is_refused() -> None:
    assert b.refusal(S.CONFIRMED, S.SENDING, plan=WAITING) is b.Refusal.VERSIONS_NOT_READY
    assert b.refusal(S.CONFIRMED, S.SENDING) is b.Refusal.VERSIONS_NOT_READY  # no plan
    # Confirming while a language waits is fine: it waits confirmed.
    assert b.refusal(S.DRAFT, S.CONFIRMED, recipients=4, confirmations=1) is None


def test_done_only_when_nothing_remains() -> None:
    assert b.refusal(S.SENDING, S.DONE, progress=b.Progress(sent=3, remaining=1)) \
        is b.Refusal.STILL_SENDING
    assert b.refusal(S.SENDING, S.DONE) is b.Refusal.STILL_SENDING


# -- when it may go ------------------------------------------------------------------------


NOW = at(2027, 1, 12, 10, 0)


def test_a_chosen_local_time_in_winter_and_in_summer() -> None:
    assert t.scheduled_utc(datetime(2027, 1, 13, 18, 0), ZONE, NOW) \
        == datetime(2027, 1, 13, 17, 0, tzinfo=UTC)
    assert t.scheduled_utc(datetime(2027, 7, 1, 18, 0), ZONE, NOW) \
        == datetime(2027, 7, 1, 16, 0, tzinfo=UTC)


def test_a_chosen_time_the_clocks_skip_or_repeat() -> None:
    skipped = t.scheduled_utc(datetime(2027, 3, 28, 2, 30), ZONE, NOW)
    assert skipped == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(ZONE).hour == 3  # 03:30 summer time
    twice = t.scheduled_utc(datetime(2027, 10, 31, 2, 30), ZONE, NOW)
    assert twice == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # the first 02:30


def test_a_chosen_time_in_the_past_or_with_a_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        t.scheduled_utc(datetime(2027, 1, 12, 9, 0), ZONE, NOW)
    with pytest.raises(ValueError):
        t.scheduled_utc(datetime(2027, 1, 13, 9, 0, tzinfo=UTC), ZONE, NOW)


def test_not_before_its_time() -> None:
    later = at(2027, 1, 12, 15, 0)
    assert t.start_at(NOW, later, QUIET, ZONE) == later
    assert t.start_at(later + timedelta(minutes=5), later, QUIET, ZONE) \
        == later + timedelta(minutes=5)
    assert t.start_at(NOW, None, QUIET, ZONE) == NOW


@pytest.mark.parametrize(("now", "allowed"), [
    (at(2027, 1, 12, 23, 30), at(2027, 1, 13, 9, 0)),  # before midnight: the next morning
    (at(2027, 1, 13, 1, 0), at(2027, 1, 13, 9, 0)),  # after midnight: the same morning
    (at(2027, 1, 12, 21, 0), at(2027, 1, 13, 9, 0)),  # quiet hours begin
    (at(2027, 1, 12, 20, 59), at(2027, 1, 12, 20, 59)),
    (at(2027, 1, 13, 9, 0), at(2027, 1, 13, 9, 0)),  # they have ended
])
def test_quiet_hours_hold_a_non_urgent_broadcast_until_the_morning(
        now: datetime, allowed: datetime) -> None:
    assert t.start_at(now, None, QUIET, ZONE) == allowed
    assert t.start_at(now, None, QUIET, ZONE, urgent=True) == now
    assert t.start_at(now, None, None, ZONE) == now


def test_a_broadcast_scheduled_inside_quiet_hours() -> None:
    evening = at(2027, 1, 12, 22, 0)
    assert t.start_at(NOW, evening, QUIET, ZONE) == at(2027, 1, 13, 9, 0)
    assert t.start_at(NOW, evening, QUIET, ZONE, urgent=True) == evening


@pytest.mark.parametrize(("evening", "morning_utc"), [
    (at(2027, 3, 27, 23, 0), datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # clocks go forward
    (at(2027, 10, 30, 23, 0), datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),  # and back
])
def test_quiet_hours_end_at_nine_local_over_a_clock_change(
        evening: datetime, morning_utc: datetime) -> None:
    allowed = t.start_at(evening, None, QUIET, ZONE)
    assert allowed == morning_utc
    assert allowed.astimezone(ZONE).time() == time(9, 0)
    assert allowed.tzinfo is UTC


# -- progress ------------------------------------------------------------------------------


def test_progress_from_the_rows_statuses() -> None:
    progress = b.Progress.of({Status.SENT: 380, Status.UNREACHABLE: 8, Status.FAILED: 2,
                              Status.SKIPPED: 3, Status.PENDING: 7})
    assert progress == b.Progress(sent=380, unreachable=8, failed=2, skipped=3, remaining=7)
    assert progress.total == 400
    assert b.Progress.of({}) == b.Progress() and b.Progress().total == 0
    with pytest.raises(ValueError):
        b.Progress(sent=-1)


def test_the_pace() -> None:
    assert t.send_rate() == t.DEFAULT_RATE == 25.0
    assert t.send_rate(20.0) == 20.0
    assert t.send_rate(20.0, paid=True) == t.PAID_RATE == 1000.0
    with pytest.raises(ValueError):
        t.send_rate(0)


def test_estimated_end_at_the_pace() -> None:
    assert t.estimated_end(10_000, 25.0, NOW, QUIET, ZONE) == NOW + timedelta(seconds=400)
    assert t.estimated_end(100_000, t.PAID_RATE, NOW, QUIET, ZONE) \
        == NOW + timedelta(seconds=100)
    with pytest.raises(ValueError):
        t.estimated_end(1, 0.0, NOW, QUIET, ZONE)


def test_nothing_remaining_ends_now_even_in_quiet_hours() -> None:
    night = at(2027, 1, 12, 23, 0)
    assert t.estimated_end(0, 25.0, night, QUIET, ZONE) == night
    assert t.estimated_end(0, 25.0, NOW, None, ZONE, urgent=True) == NOW


def test_a_non_urgent_broadcast_rests_through_quiet_hours() -> None:
    hour = 25 * 3600
    # Ten minutes before quiet hours, fifty after them.
    assert t.estimated_end(hour, 25.0, at(2027, 1, 12, 20, 50), QUIET, ZONE) \
        == at(2027, 1, 13, 9, 50)
    assert t.estimated_end(hour, 25.0, at(2027, 1, 12, 20, 50), QUIET, ZONE, urgent=True) \
        == at(2027, 1, 12, 21, 50)
    # Started in quiet hours: it begins in the morning.
    assert t.estimated_end(hour, 25.0, at(2027, 1, 12, 23, 0), QUIET, ZONE) \
        == at(2027, 1, 13, 10, 0)
    # Twenty hours of work: twelve on the first day, eight on the next.
    assert t.estimated_end(72_000, 1.0, at(2027, 1, 12, 9, 0), QUIET, ZONE) \
        == at(2027, 1, 13, 17, 0)


def test_an_estimate_over_the_night_the_clocks_go_back() -> None:
    end = t.estimated_end(25 * 3600, 25.0, at(2027, 10, 30, 20, 30), QUIET, ZONE)
    assert end == datetime(2027, 10, 31, 8, 30, tzinfo=UTC)  # 09:30 winter time
    assert end.astimezone(ZONE).time() == time(9, 30)


def test_the_status_message_is_edited_at_most_every_few_seconds() -> None:
    assert timedelta(seconds=3) <= t.STATUS_EDIT_INTERVAL
    assert t.next_status_edit(None, NOW, changed=True) == NOW
    assert t.next_status_edit(NOW, NOW + timedelta(seconds=1), changed=True) \
        == NOW + t.STATUS_EDIT_INTERVAL
    assert t.next_status_edit(NOW, NOW + timedelta(seconds=10), changed=True) \
        == NOW + timedelta(seconds=10)
    # Figures that did not change: no edit (Telegram refuses an identical one).
    assert t.next_status_edit(NOW, NOW + timedelta(seconds=10), changed=False) is None
    assert t.next_status_edit(None, NOW, changed=False) is None


# -- the outbox key ------------------------------------------------------------------------


def test_one_outbox_row_per_broadcast_and_recipient() -> None:
    assert b.outbox_key(12, 345) == "broadcast:12:345"
    assert b.outbox_key(12, 345) == b.outbox_key(12, 345)
    assert len({b.outbox_key(1, 23), b.outbox_key(12, 3), b.outbox_key(2, 13)}) == 3
