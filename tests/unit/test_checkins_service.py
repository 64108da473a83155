"""Check-ins after begeleiding on a real database (SQLite and PostgreSQL), driven as people
use them (buttons through the Desk) with a clock the test moves: a year of check-ins
across both daylight-saving changes with a crash in the middle of a tick, answers,
reminders and "not reached", a sleutelpersoon reaching out, and the seasonal reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FixedClock

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import checkins as c
from bot.domain import handoff as h
from bot.domain import outbox
from bot.domain.incoming import Caller, Posted
from bot.domain.person import Role, RoleGrant
from bot.domain.quiet_hours import QuietHours
from bot.domain.sleutelpersoon import Profile
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.storage.database import Database
from bot.storage.repositories import SqlOutbox

ZONE = ZoneInfo("Europe/Amsterdam")
NEWCOMER = Caller(10, 10, "ar")
OTHER = Caller(11, 11, "ti")
ENGLISH = Caller(12, 12, "en")
HELPER = Caller(21, 21, "en")
COORDINATOR = Caller(30, 30, "en")


def local(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    clock = FixedClock()
    clock.now = local(2027, 1, 10)
    return clock


@pytest.fixture
def desk(both_databases: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
         flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> Desk:
    return Desk(ChatService(both_databases.uow, catalogs, knowledge, flows, search, clock,
                            ZONE), knowledge)


async def onboard(desk: Desk, caller: Caller, *answers: str) -> None:
    await desk.command(caller, "start")
    for data in ("o:lang:" + (caller.language_code or "en"), "o:consent:yes",
                 "o:muni:leiden", *answers):
        await desk.button(caller, data)


async def tick(desk: Desk, db: Database, clock: FixedClock) -> int:
    return await desk.chat.checkins.tick(db.uow, clock.now)


async def plan_of(db: Database, caller: Caller) -> list[c.Entry]:
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(caller.telegram_id)
        assert person is not None
        return await uow.checkins.of(person.id)


async def sent_to(db: Database, caller: Caller, kind: outbox.Kind = outbox.Kind.CHECKIN
                  ) -> list[str]:
    """The texts written to someone's outbox (no drainer runs here: they wait, with text)."""
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(caller.telegram_id)
        assert person is not None
        return [m.text or "" for m in await uow.outbox.of(person.id) if m.kind is kind]


async def staff(db: Database, desk: Desk, caller: Caller, role: Role,
                languages: frozenset[str] = frozenset({"ar"})) -> None:
    await desk.command(caller, "whoami")
    async with db.uow() as uow:
        await uow.roles.grant(RoleGrant(caller.telegram_id, role, "leiden",
                                        datetime(2026, 1, 1, tzinfo=UTC)))
        if role is Role.SLEUTELPERSOON:
            await uow.profiles.put(Profile(caller.telegram_id, "Noor", languages,
                                           frozenset({"leiden"})), datetime.now(UTC))
        await uow.commit()


def buttons(outcome: Any) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row]


async def test_a_year_of_check_ins_across_both_clock_changes_with_a_crash_in_a_tick(
        both_databases: Database, desk: Desk, clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = both_databases
    # Ends in March 2027: the heads-up in winter time, the check-ins after the clocks went
    # forward (28 March) and back (31 October).
    await onboard(desk, NEWCOMER, "o:beg:running", "o:year:2027", "o:month:3")
    plan = await plan_of(db, NEWCOMER)
    assert [e.step for e in plan] == ["heads-up-14", "day-7", "day-30", "day-90", "day-180",
                                      "day-365"]
    assert {e.due.astimezone(ZONE).hour for e in plan} == {10}

    # The tick dies after claiming the first due row and writing its message: the
    # transaction is rolled back, the row is still planned, the next tick sends it once.
    clock.now = local(2027, 3, 17, 10)
    real_add = SqlOutbox.add

    async def dies_after_writing(self: SqlOutbox, *args: Any, **kwargs: Any) -> Any:
        await real_add(self, *args, **kwargs)
        raise ConnectionError("the process dies here")

    monkeypatch.setattr(SqlOutbox, "add", dies_after_writing)
    with pytest.raises(ConnectionError):
        await tick(desk, db, clock)
    monkeypatch.undo()
    assert await sent_to(db, NEWCOMER) == []
    assert next(e.status for e in await plan_of(db, NEWCOMER)) is c.Status.PLANNED
    await tick(desk, db, clock)
    await tick(desk, db, clock)
    assert len(await sent_to(db, NEWCOMER)) == 1  # once

    # The rest of the year, a tick every six hours, every hour on both clock-change days;
    # each check-in is answered "good", each went out on its day.
    changes = {date(2027, 3, 28), date(2027, 10, 31)}
    end = local(2028, 4, 30)
    while clock.now < end:
        clock.now += timedelta(hours=1 if clock.now.astimezone(ZONE).date() in changes
                               else 6)
        await tick(desk, db, clock)
        for entry in await plan_of(db, NEWCOMER):
            if entry.status is c.Status.SENT and entry.kind is c.Kind.CHECKIN \
                    and entry.answered_at is None:
                await desk.button(NEWCOMER, f"u:good:{entry.id}")
    plan = await plan_of(db, NEWCOMER)
    assert [e.status for e in plan] == [c.Status.SENT] * 6
    assert {e.sent_at.astimezone(ZONE).date() - e.due.astimezone(ZONE).date()  # type: ignore[union-attr]
            for e in plan} == {timedelta()}  # each on its own day
    assert all(e.answer == "good" and e.reminded_at is None for e in plan[1:])
    texts = await sent_to(db, NEWCOMER)
    assert len(texts) == 6  # the heads-up and five check-ins, none twice, no reminders
    assert "begeleiding" in texts[0] and "2027" in texts[0]


async def test_changing_the_end_month_replans_what_was_not_sent(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await onboard(desk, NEWCOMER, "o:beg:running", "o:year:2027", "o:month:2")
    clock.now = local(2027, 2, 14, 11)
    await tick(desk, db, clock)
    assert len(await sent_to(db, NEWCOMER)) == 1  # the heads-up
    # Then it turns out to run until May: the heads-up is not sent again, the rest moves.
    for data in ("s:open:beg", "s:beg:running", "s:year:2027", "s:month:5"):
        await desk.button(NEWCOMER, data)
    plan = await plan_of(db, NEWCOMER)
    assert next((e.step, e.status) for e in plan) == ("heads-up-14", c.Status.SENT)
    assert plan[1].step == "day-7" and plan[1].due.astimezone(ZONE).date() == date(2027, 6, 7)
    clock.now = local(2027, 5, 17, 11)
    await tick(desk, db, clock)
    assert len(await sent_to(db, NEWCOMER)) == 1  # no second heads-up
    # It ended already after all: the check-ins count from today, the heads-up is done.
    for data in ("s:open:beg", "s:beg:ended"):
        await desk.button(NEWCOMER, data)
    plan = await plan_of(db, NEWCOMER)
    assert next(e.step for e in plan if e.status is c.Status.PLANNED) == "day-7"
    assert [e.due.astimezone(ZONE).date() for e in plan if e.step == "day-7"] == [
        date(2027, 5, 24)]


async def test_i_dont_know_is_asked_again_after_three_months(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await onboard(desk, NEWCOMER, "o:beg:running", "o:year:unknown")
    [again] = await plan_of(db, NEWCOMER)
    assert again.kind is c.Kind.ASK_AGAIN
    assert again.due.astimezone(ZONE).date() == date(2027, 4, 10)
    clock.now = local(2027, 4, 10)
    await tick(desk, db, clock)
    [text] = await sent_to(db, NEWCOMER)
    assert "begeleiding" in text
    # Still not known: asked again three months later.
    outcome = await desk.button(NEWCOMER, f"u:unknown:{again.id}")
    assert "m:menu" in buttons(outcome)
    plan = await plan_of(db, NEWCOMER)
    assert [(e.kind, e.status) for e in plan] == [(c.Kind.ASK_AGAIN, c.Status.SENT),
                                                  (c.Kind.ASK_AGAIN, c.Status.PLANNED)]
    assert plan[1].due.astimezone(ZONE).date() == date(2027, 7, 10)


async def test_difficult_asks_the_area_and_i_need_help_opens_a_question_at_once(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await staff(db, desk, HELPER, Role.SLEUTELPERSOON)
    await onboard(desk, NEWCOMER, "o:beg:ended")
    clock.now = local(2027, 1, 17, 11)
    await tick(desk, db, clock)
    [entry] = [e for e in await plan_of(db, NEWCOMER) if e.status is c.Status.SENT]
    areas = buttons(await desk.button(NEWCOMER, f"u:hard:{entry.id}"))
    assert f"u:area:{entry.id}-money" in areas and len(areas) == len(c.Area)
    offer = buttons(await desk.button(NEWCOMER, f"u:area:{entry.id}-money"))
    assert "t:official-letter" in offer and f"u:person:{entry.id}-money" in offer
    [answered] = [e for e in await plan_of(db, NEWCOMER) if e.id == entry.id]
    assert (answered.answer, answered.area) == ("difficult", "money")
    # "I need help": a question is open at once, from the check-in; the sleutelpersoon
    # who speaks Arabic is asked to take it.
    await desk.button(NEWCOMER, f"u:help:{entry.id}")
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(NEWCOMER.telegram_id)
        assert person is not None
        question = await uow.handoffs.open_of(person.id)
        helper = await uow.people.by_telegram_id(HELPER.telegram_id)
        assert helper is not None
        cards = [m.text or "" for m in await uow.outbox.of(helper.id)]
    assert question is not None and question.source is h.Source.CHECKIN
    assert any("check-in" in card for card in cards)


async def test_no_answer_reminds_once_then_not_reached_and_someone_reaches_out(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await staff(db, desk, HELPER, Role.SLEUTELPERSOON)
    await staff(db, desk, COORDINATOR, Role.COORDINATOR)
    await onboard(desk, NEWCOMER, "o:beg:ended")
    await onboard(desk, OTHER, "o:beg:ended")
    clock.now = local(2027, 1, 17, 11)
    await tick(desk, db, clock)
    async with db.uow() as uow:  # the other one blocked the bot: unreachable
        other = await uow.people.by_telegram_id(OTHER.telegram_id)
        assert other is not None
        await uow.people.mark_unreachable(other.chat_id, clock.now)
        await uow.commit()
    clock.now += timedelta(days=3)
    await tick(desk, db, clock)  # one gentle reminder, to the reachable one
    assert len(await sent_to(db, NEWCOMER)) == 2 and len(await sent_to(db, OTHER)) == 1
    clock.now += timedelta(days=3)
    await tick(desk, db, clock)
    clock.now += timedelta(days=1)
    await tick(desk, db, clock)
    assert len(await sent_to(db, NEWCOMER)) == 2  # never a second reminder

    overview = await desk.command(COORDINATOR, "checkins")
    text = "\n".join(r.text for r in overview.replies)
    [entry] = [e for e in await plan_of(db, NEWCOMER) if e.status is c.Status.SENT]
    assert entry.pseudonym and entry.pseudonym in text and "Arabic" in text
    assert "Not reached" in text and "&lt;5" in text  # counts under 5 are not shown
    assert buttons(overview) == [f"n:reach:{entry.id}"]
    # A newcomer cannot press it; a coordinator can, once.
    refused = await desk.button(NEWCOMER, f"n:reach:{entry.id}")
    assert refused.notice
    await desk.button(COORDINATOR, f"n:reach:{entry.id}")
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(NEWCOMER.telegram_id)
        assert person is not None
        question = await uow.handoffs.open_of(person.id)
    assert question is not None and question.source is h.Source.REACH_OUT
    assert question.pseudonym == entry.pseudonym
    assert buttons(await desk.command(COORDINATOR, "checkins")) == []  # off the list
    # The sleutelpersoon takes it: the newcomer hears from them, and a reply is relayed.
    await desk.button(HELPER, f"r:claim:{question.id}")
    said = await sent_to(db, NEWCOMER, outbox.Kind.RELAY)
    assert any("Noor" in s for s in said)
    await desk.post(NEWCOMER, Posted(500, "شكرا، أنا بخير", "text", None))
    async with db.uow() as uow:
        helper = await uow.people.by_telegram_id(HELPER.telegram_id)
        assert helper is not None
        copies = [m for m in await uow.outbox.of(helper.id) if m.kind is outbox.Kind.RELAY]
    assert copies  # the reply went to Noor


async def test_seasonal_reminders_once_per_season_and_never_late(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    clock.now = local(2027, 3, 20)
    await onboard(desk, ENGLISH, "o:beg:ended")
    await onboard(desk, OTHER, "o:beg:ended")
    await desk.button(OTHER, "s:open:remind-off")  # the switch in /settings
    # The tax return reminder is due on 15 April; the tick runs late, on the 20th.
    clock.now = local(2027, 4, 20)
    await tick(desk, db, clock)
    await tick(desk, db, clock)
    reminders = await sent_to(db, ENGLISH, outbox.Kind.REMINDER)
    assert sum("1 May" in r for r in reminders) == 1  # once, though two ticks ran
    assert await sent_to(db, OTHER, outbox.Kind.REMINDER) == []
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(ENGLISH.telegram_id)
        assert person is not None
        rows = await uow.outbox.claim_due(clock.now, 100)
    tax = [r for r in rows if "1 May" in r.message.text]
    assert tax and tax[0].not_after == local(2027, 5, 1, 0)  # expires with its window
    before = outbox.before_sending(tax[0], local(2027, 5, 2), None, ZONE)
    assert before.action is outbox.Hold.SKIP  # after the window: never sent late
    # Which seasons went out is kept until none of them can open again.
    checkins = desk.chat.checkins
    assert await checkins.forget_seasons(db.uow, local(2028, 6, 1)) == 0
    assert await checkins.forget_seasons(db.uow, local(2029, 1, 2)) >= 1


async def test_forged_and_foreign_check_in_buttons_change_nothing(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await onboard(desk, NEWCOMER, "o:beg:ended")
    await onboard(desk, OTHER, "o:beg:ended")
    clock.now = local(2027, 1, 17, 11)
    await tick(desk, db, clock)
    [mine] = [e for e in await plan_of(db, NEWCOMER) if e.status is c.Status.SENT]
    for data in (f"u:good:{mine.id}", f"u:area:{mine.id}-money", f"u:help:{mine.id}"):
        outcome = await desk.button(OTHER, data)  # someone else's check-in
        assert outcome.notice  # "I do not recognise this button", in their language
    for data in ("u:good:999999999999999999999999", f"u:area:{mine.id}-moon", "u:good:x"):
        assert (await desk.button(NEWCOMER, data)).notice
    [still] = [e for e in await plan_of(db, NEWCOMER) if e.id == mine.id]
    assert still.answered_at is None


async def test_a_sleutelpersoon_notes_the_end_month_inside_the_conversation(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await staff(db, desk, HELPER, Role.SLEUTELPERSOON)
    await onboard(desk, NEWCOMER, "o:beg:unknown")
    assert [e.kind for e in await plan_of(db, NEWCOMER)] == [c.Kind.ASK_AGAIN]
    await desk.command(NEWCOMER, "person")
    await desk.post(NEWCOMER, Posted(300, "متى ينتهي الإرشاد؟", "text", None))
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(NEWCOMER.telegram_id)
        assert person is not None
        question = await uow.handoffs.open_of(person.id)
    assert question is not None
    # A newcomer cannot use the command; the sleutelpersoon who answers can.
    assert (await desk.command(NEWCOMER, "begeleiding", "2027-06")).replies
    assert [e.kind for e in await plan_of(db, NEWCOMER)] == [c.Kind.ASK_AGAIN]
    await desk.button(HELPER, f"r:claim:{question.id}")
    refused = await desk.command(HELPER, "begeleiding", "2026-01")  # in the past
    assert "not a month still to come" in refused.replies[0].text
    await desk.command(HELPER, "begeleiding", "2027-06")
    plan = await plan_of(db, NEWCOMER)
    assert [e.step for e in plan if e.status is c.Status.PLANNED][:2] == ["heads-up-14",
                                                                          "day-7"]
    assert [e.due.astimezone(ZONE).date() for e in plan if e.step == "heads-up-14"] == [
        date(2027, 6, 16)]
    told = await sent_to(db, NEWCOMER, outbox.Kind.RELAY)
    assert any("Noor" in t and "2027" in t for t in told)
    async with db.uow() as uow:
        entries = await uow.audit.recent(["leiden"], 5)
    assert any(e.action.value == "checkins.end-month" for e in entries)


async def test_people_who_onboarded_before_check_ins_existed_get_a_plan_once(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await onboard(desk, NEWCOMER, "o:beg:running", "o:year:2027", "o:month:6")
    await onboard(desk, OTHER, "o:beg:ended")
    async with db.uow() as uow:  # as it was before the upgrade: no plans at all
        for caller in (NEWCOMER, OTHER):
            person = await uow.people.by_telegram_id(caller.telegram_id)
            assert person is not None
            await uow.checkins.replace_plan(person.id, ())
        await uow.commit()
    assert await desk.chat.checkins.plan_missing(db.uow, clock.now) == 2
    assert next(e.step for e in await plan_of(db, NEWCOMER)) == "heads-up-14"
    assert next(e.step for e in await plan_of(db, OTHER)) == "day-7"
    assert await desk.chat.checkins.plan_missing(db.uow, clock.now) == 0


async def test_a_check_in_found_at_night_after_downtime_waits_for_the_morning(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    """The bot was down on the day; it comes back at 03:00 on the night the clocks go
    forward: the check-in is written then, and the outbox holds it until quiet hours end."""
    db = both_databases
    await onboard(desk, NEWCOMER, "o:beg:ended")
    clock.now = datetime(2027, 3, 28, 3, tzinfo=ZONE).astimezone(UTC)  # after downtime
    await tick(desk, db, clock)
    async with db.uow() as uow:
        [row] = [r for r in await uow.outbox.claim_due(clock.now, 10)
                 if r.kind is outbox.Kind.CHECKIN]
    held = outbox.before_sending(row, clock.now, QuietHours.parse("21:00-09:00"), ZONE)
    assert held.action is outbox.Hold.LATER
    assert held.until is not None and held.until.astimezone(ZONE).hour == 9
    assert held.until.astimezone(ZONE).date() == date(2027, 3, 28)


async def test_not_reached_twice_is_one_line_under_one_code_name(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await staff(db, desk, COORDINATOR, Role.COORDINATOR)
    await onboard(desk, NEWCOMER, "o:beg:ended")
    for day in (17, 20, 24):  # day 7: the check-in, its reminder, then not reached
        clock.now = local(2027, 1, day, 13)
        await tick(desk, db, clock)
    for day in ((2, 9), (2, 12), (2, 16)):  # day 30 too
        clock.now = local(2027, *day, 13)
        await tick(desk, db, clock)
    missed = [e for e in await plan_of(db, NEWCOMER) if e.not_reached_at is not None]
    assert len(missed) == 2 and len({e.pseudonym for e in missed}) == 1
    overview = await desk.command(COORDINATOR, "checkins")
    assert buttons(overview) == [f"n:reach:{max(e.id for e in missed)}"]


async def test_the_area_travels_to_the_sleutelpersoons_card(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await staff(db, desk, HELPER, Role.SLEUTELPERSOON)
    await onboard(desk, NEWCOMER, "o:beg:ended")
    clock.now = local(2027, 1, 17, 11)
    await tick(desk, db, clock)
    [entry] = [e for e in await plan_of(db, NEWCOMER) if e.status is c.Status.SENT]
    await desk.button(NEWCOMER, f"u:hard:{entry.id}")
    await desk.button(NEWCOMER, f"u:area:{entry.id}-alone")
    await desk.button(NEWCOMER, f"u:person:{entry.id}-alone")
    async with db.uow() as uow:
        helper = await uow.people.by_telegram_id(HELPER.telegram_id)
        assert helper is not None
        [card] = [m.text or "" for m in await uow.outbox.of(helper.id)]
    assert "check-in" in card and "🫂 Feeling alone" in card
    # Coordinators see how such questions end, per area, counted (small counts hidden).
    await staff(db, desk, COORDINATOR, Role.COORDINATOR)
    overview = "\n".join(r.text for r in (await desk.command(COORDINATOR, "checkins")).replies)
    assert "🫂 Feeling alone: ✅ 0 · 🤝 0 · 📌 0 · ⏳ &lt;5" in overview
