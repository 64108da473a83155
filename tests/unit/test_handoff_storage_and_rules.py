"""The handoff on a real database (SQLite and PostgreSQL): a newcomer's question is routed
to the sleutelpersonen who fit, the first claim wins even when two press at the same
moment through two processes, messages are relayed as copies through the outbox, nothing
waits unseen (escalation with a fake clock), and every refusal is audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FixedClock
from sqlalchemy import text as sql_text

from bot.content import contexts
from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import audit, outbox
from bot.domain import handoff as h
from bot.domain.incoming import Caller, Posted
from bot.domain.person import Role, RoleGrant
from bot.domain.replies import Outcome
from bot.domain.sleutelpersoon import Profile, Window
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.handoff import purge_content
from bot.services.handoff_routing import RECHECK
from bot.services.roles import end_role
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
NEWCOMER = Caller(10, 10, "ti")
AMAL, BERHE, FAR = Caller(21, 21, "en"), Caller(22, 22, "en"), Caller(23, 23, "en")
COORDINATOR = Caller(30, 30, "en")


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two engines on one database: two processes, as far as the database can tell."""
    first, second = Database(database_url), Database(database_url)
    await first.migrate()
    yield first, second
    await first.dispose()
    await second.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def desk_on(db: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
            flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> Desk:
    return Desk(ChatService(db.uow, catalogs, knowledge, flows, search, clock, ZONE), knowledge)


@pytest.fixture
def desks(two: tuple[Database, Database], catalogs: BabelCatalogs, knowledge: Knowledge,
          flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> tuple[Desk, Desk]:
    first, second = (desk_on(db, catalogs, knowledge, flows, search, clock) for db in two)
    return first, second


async def staff(db: Database, desk: Desk, caller: Caller, *, municipality: str = "leiden",
                languages: frozenset[str] = frozenset({"ti"}), name: str = "Amal",
                role: Role = Role.SLEUTELPERSOON, windows: tuple[Window, ...] = ()) -> None:
    await desk.command(caller, "whoami")  # they use the bot: a people row
    async with db.uow() as uow:
        await uow.roles.grant(RoleGrant(caller.telegram_id, role, municipality,
                                        datetime(2026, 1, 1, tzinfo=UTC)))
        if role is Role.SLEUTELPERSOON:
            await uow.profiles.put(Profile(caller.telegram_id, name, languages,
                                           frozenset({municipality}), windows=windows),
                                   datetime.now(UTC))
        await uow.commit()


async def onboard(desk: Desk, caller: Caller, language: str = "ti") -> None:
    await desk.command(caller, "start")
    for answer in (f"o:lang:{language}", "o:consent:yes", "o:muni:leiden", "o:beg:ended"):
        await desk.button(caller, answer)


async def ask(desk: Desk, text: str = "Mi dzeyb meKtab?") -> None:
    await desk.button(NEWCOMER, "h:flow:toeslagen")
    await desk.post(NEWCOMER, Posted(100, text))


async def rows(db: Database) -> list[outbox.Due]:
    """What was written to the outbox since the last look (sent, as a drainer would)."""
    async with db.uow() as uow:
        due = await uow.outbox.claim_due(datetime.now(UTC) + timedelta(days=30), 500)
        for row in due:
            await uow.outbox.end(row.id, outbox.Status.SENT, datetime.now(UTC))
        await uow.commit()
    return due


async def handoff_of(db: Database) -> h.Handoff:
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(NEWCOMER.telegram_id)
        assert person is not None
        [found] = await uow.handoffs.of_newcomer(person.id)
    return found


async def amal_takes_a_question(db: Database, desk: Desk) -> h.Handoff:
    """The common start: Amal helps in Leiden, the newcomer asks, Amal takes it."""
    await staff(db, desk, AMAL)
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    await desk.button(AMAL, f"r:claim:{question.id}")
    return question


def buttons(due: list[outbox.Due], chat_id: int) -> list[str]:
    return [b.data for d in due if d.chat_id == chat_id
            for row in d.message.keyboard for b in row]


async def test_two_claims_at_the_same_moment_one_wins(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    first, second = desks
    await staff(db, first, AMAL, name="Amal")
    await staff(db, first, BERHE, name="Berhe")
    await onboard(first, NEWCOMER)
    await ask(first)
    question = await handoff_of(db)
    assert question.status is h.Status.WAITING and question.topic == "toeslagen"
    waiting = await rows(db)
    claim = f"r:claim:{question.id}"
    assert claim in buttons(waiting, AMAL.chat_id) and claim in buttons(waiting, BERHE.chat_id)

    outcomes = await asyncio.gather(first.button(AMAL, claim), second.button(BERHE, claim))
    won = [o.notice is not None and "yours" in o.notice for o in outcomes]
    assert sorted(won) == [False, True], outcomes
    loser = outcomes[won.index(False)]
    assert "Someone else already took this question" in loser.replies[0].text
    stored = await handoff_of(db)
    winner = (AMAL, BERHE)[won.index(True)]
    assert stored.status is h.Status.CLAIMED and stored.helper_id == winner.telegram_id
    sent = await rows(db)
    copies = [d for d in sent if d.message.copy is not None]
    assert [(d.chat_id, d.message.copy.message_id) for d in copies if d.message.copy] == [
        (winner.chat_id, 100)], "the question is copied once, to the winner only"


async def test_relay_both_ways_keeps_reply_links(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await amal_takes_a_question(db, desk)
    async with db.uow() as uow:  # the drainer sent the copy of 100 as message 500
        [copy] = [d for d in await uow.outbox.claim_due(datetime.now(UTC), 50)
                  if d.message.copy is not None]
        await uow.outbox.end(copy.id, outbox.Status.SENT, datetime.now(UTC), message_id=500)
        await uow.commit()
    # The sleutelpersoon answers with a voice note, replying to the copy (500).
    assert (await desk.post(AMAL, Posted(7, None, "voice", reply_to=500))).replies == []
    [voice] = [d for d in await rows(db) if d.message.copy and d.message.copy.message_id == 7]
    assert voice.chat_id == NEWCOMER.chat_id and voice.kind is outbox.Kind.RELAY
    assert voice.message.copy is not None and voice.message.copy.reply_to == 100


async def test_nobody_takes_it_escalates_once_to_all_and_the_coordinators(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    for caller, name in ((AMAL, "Amal"), (BERHE, "Berhe"), (FAR, "Far"),
                         (Caller(24, 24, "en"), "Dawit")):
        await staff(db, desk, caller, name=name)
    await staff(db, desk, COORDINATOR, role=Role.COORDINATOR)
    await onboard(desk, NEWCOMER)
    await ask(desk)
    first = await rows(db)
    asked = {d.chat_id for d in first if any("r:claim" in b for b in buttons([d], d.chat_id))}
    assert len(asked) == 3, "the top three are asked first"
    question = await handoff_of(db)
    assert question.wake_at is not None

    clock.now += timedelta(hours=5)  # any time counts: 4 hours of availability passed
    decided = await desk.chat.router.tick(db.uow, clock.now)
    assert decided == 1
    later = await rows(db)
    newly = {d.chat_id for d in later if buttons([d], d.chat_id)} - asked
    assert newly == {24}, "escalation asks everyone eligible who was not asked"
    texts = {d.chat_id: d.message.text for d in later}
    assert "waiting for a sleutelpersoon" in texts[COORDINATOR.chat_id]
    assert NEWCOMER.chat_id in texts  # told once that it takes longer
    clock.now += timedelta(hours=30)
    await desk.chat.router.tick(db.uow, clock.now)
    assert not [d for d in await rows(db) if d.chat_id == NEWCOMER.chat_id], \
        "never told twice"


async def test_nobody_speaks_the_language_is_said_honestly_at_once(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, languages=frozenset({"ar"}))
    await staff(db, desk, COORDINATOR, role=Role.COORDINATOR)
    await onboard(desk, NEWCOMER)
    await desk.button(NEWCOMER, "h:menu")
    outcome = await desk.post(NEWCOMER, Posted(100, "ሕቶ ኣለኒ"))
    assert "Right now nobody who speaks" in outcome.replies[-1].text or \
        "{language}" not in outcome.replies[-1].text
    waiting = await rows(db)
    assert [d.chat_id for d in waiting] == [COORDINATOR.chat_id]


async def test_refusals_change_nothing_and_are_audited(
        two: tuple[Database, Database], desks: tuple[Desk, Desk],
        catalogs: BabelCatalogs) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL)
    await staff(db, desk, FAR, municipality="delft")
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    claim = f"r:claim:{question.id}"
    as_newcomer = await desk.button(NEWCOMER, claim)
    other_place = await desk.button(FAR, claim)
    forged = await desk.button(AMAL, "r:claim:abc")
    # Numbers no row can have never reach the database (PostgreSQL would overflow).
    huge = await desk.button(AMAL, "r:claim:999999999999999999999999")
    assert huge.notice and "Nothing was changed" in huge.notice
    unknown = await desk.button(NEWCOMER, "h:cancel:999999999999999999999999")
    assert unknown.notice == catalogs.translator("ti").gettext("I do not recognise this button.")
    not_yours = await desk.button(AMAL, f"r:close:{question.id}")  # not claimed yet
    assert as_newcomer.notice == catalogs.translator("ti").gettext(
        "Only sleutelpersonen can do this. Nothing was changed.")  # in their language
    for outcome in (other_place, forged, not_yours):
        assert outcome.notice and "Nothing was changed" in outcome.notice
    assert (await handoff_of(db)).status is h.Status.WAITING
    async with db.uow() as uow:
        entries = await uow.audit.latest(20)
    refused = [(e.telegram_id, e.reason) for e in entries if not e.allowed]
    assert (NEWCOMER.telegram_id, audit.Reason.NO_ROLE) in refused
    assert (FAR.telegram_id, audit.Reason.OTHER_MUNICIPALITY) in refused
    assert (AMAL.telegram_id, audit.Reason.FORGED) in refused
    assert (AMAL.telegram_id, audit.Reason.NOT_YOURS) in refused


async def test_close_asks_the_newcomer_and_a_replayed_close_changes_nothing(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    question = await amal_takes_a_question(db, desk)
    await desk.button(AMAL, f"r:close:{question.id}")
    await desk.button(AMAL, f"r:done:{question.id}-referred")
    again = await desk.button(AMAL, f"r:done:{question.id}-answered")
    assert again.notice and "Nothing was changed" in again.notice
    stored = await handoff_of(db)
    assert stored.status is h.Status.CLOSED and stored.result is h.Result.REFERRED
    rate = f"h:rate:{question.id}-up"
    assert rate in buttons(await rows(db), NEWCOMER.chat_id)
    await desk.button(NEWCOMER, rate)
    await desk.post(NEWCOMER, Posted(101, "ቀሊል ነይሩ"))
    stored = await handoff_of(db)
    assert stored.rating == 1 and stored.comment == "ቀሊል ነይሩ"


async def test_an_emergency_is_answered_with_112_first(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL)
    await onboard(desk, NEWCOMER)
    await desk.button(NEWCOMER, "h:menu")
    outcome = await desk.post(NEWCOMER, Posted(100, "My child is unconscious and not "
                                                    "breathing"))
    assert "112" in outcome.replies[0].text
    assert (await handoff_of(db)).status is h.Status.WAITING  # still passed on


async def test_delete_during_a_conversation_ends_it_and_leaves_no_trace(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    question = await amal_takes_a_question(db, desk)
    await desk.command(NEWCOMER, "delete")
    await desk.button(NEWCOMER, "d:yes")
    async with db.uow() as uow:
        stored = await uow.handoffs.get(question.id)
        mapped = await uow.handoffs.relayed_in(NEWCOMER.chat_id)
    assert stored is not None and stored.status is h.Status.CANCELLED
    assert stored.newcomer_id is None and stored.summary == "" and stored.path == ""
    assert mapped == []
    due = await rows(db)
    assert not [d for d in due if d.message.copy is not None], \
        "copies of their messages that were not sent yet are withdrawn"
    told = [d.message.text for d in due if d.chat_id == AMAL.chat_id]
    assert any("ended the conversation" in t for t in told)


async def test_coordinators_see_the_queue_and_workload_and_nobody_else_does(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, name="Amal")
    await staff(db, desk, COORDINATOR, role=Role.COORDINATOR)
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    clock.now += timedelta(hours=3)
    [queue] = (await desk.command(COORDINATOR, "queue")).replies
    assert "⏳ Waiting: 1 · 💬 Being answered: 0" in queue.text
    assert f"{question.pseudonym} · " in queue.text and "waiting for 3 h" in queue.text
    assert "Amal (ti): 0 of 3 open" in queue.text
    refused = await desk.command(AMAL, "queue")
    assert refused.notice == "Only coordinators can do this. Nothing was changed."


async def test_activity_reports_and_one_to_one_reminders(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, name="Amal")
    await staff(db, desk, BERHE, name="Berhe")
    await staff(db, desk, COORDINATOR, role=Role.COORDINATOR)
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    clock.now += timedelta(minutes=40)
    await desk.button(AMAL, f"r:claim:{question.id}")
    await desk.button(AMAL, f"r:done:{question.id}-answered")
    await desk.button(NEWCOMER, f"h:rate:{question.id}-up")
    month = f"{clock.now:%Y-%m}"

    [report] = (await desk.command(COORDINATOR, "report", month)).replies
    assert report.document is not None and report.document.filename.endswith(f"{month}.csv")
    lines = report.document.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name,conversations taken,answered")
    assert "Amal,1,1,0,0,0,1,0,any time,40" in lines and "Berhe,0,0,0,0,0,0,0,any time," in lines
    [own] = (await desk.command(AMAL, "report", month)).replies
    assert own.document is not None
    assert own.document.content.decode("utf-8-sig").splitlines()[1:] == [
        "Amal,1,1,0,0,0,1,0,any time,40"]
    refused = await desk.command(NEWCOMER, "report")
    assert refused.notice is not None and not any(r.document for r in refused.replies)
    assert (await desk.command(COORDINATOR, "report", "November")).replies[0].text.endswith(
        "/report 2026-11")

    await rows(db)  # what the day wrote so far
    first_of_next = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert await desk.reports.monthly_tick(db.uow, first_of_next) == 1
    assert await desk.reports.monthly_tick(db.uow, first_of_next + timedelta(hours=1)) == 0
    assert await desk.reports.monthly_tick(db.uow, datetime(2026, 12, 9, tzinfo=UTC)) == 0
    assert await desk.reports.one_to_one_tick(db.uow, first_of_next, 3) == 1
    assert await desk.reports.one_to_one_tick(db.uow, first_of_next + timedelta(days=1), 3) == 0
    sent = await rows(db)
    [monthly] = [d for d in sent if d.message.document is not None]
    assert monthly.chat_id == COORDINATOR.chat_id and "2026-11" in monthly.message.text
    [talk] = [d for d in sent if "one-to-one" in d.message.text]
    assert "Amal, Berhe" in talk.message.text
    # A coordinator appointed days ago is not reminded yet: not twice within days when the
    # next period starts soon after the appointment.
    await desk.command(Caller(31, 31, "en"), "whoami")
    async with db.uow() as uow:
        await uow.roles.grant(RoleGrant(31, Role.COORDINATOR, "leiden", first_of_next))
        await uow.commit()
    for days in (6, 13, 20):
        assert await desk.reports.one_to_one_tick(
            db.uow, first_of_next + timedelta(days=days), 3) <= 1  # only the old coordinator
    assert not [d for d in await rows(db) if d.chat_id == 31]


async def test_the_newcomer_may_share_a_first_name_and_nothing_else_is_shown(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    question = await amal_takes_a_question(db, desk)
    told = [d for d in await rows(db) if d.chat_id == NEWCOMER.chat_id]
    assert f"h:name:{question.id}" in buttons(told, NEWCOMER.chat_id)
    await desk.button(NEWCOMER, f"h:name:{question.id}")
    too_long = await desk.post(NEWCOMER, Posted(101, "x" * 40))
    assert "32" in too_long.replies[0].text
    done = await desk.post(NEWCOMER, Posted(102, "  Sara "))
    assert "Sara" in done.replies[0].text
    [note] = [d for d in await rows(db) if d.chat_id == AMAL.chat_id]
    assert f"Newcomer {question.pseudonym} shared their first name: Sara." in note.message.text
    assert (await handoff_of(db)).label() == "Sara"
    # The name is not relayed as a message, and the next message is.
    assert await desk.post(NEWCOMER, Posted(103, "Thank you")) == Outcome([])
    [copy] = [d for d in await rows(db) if d.message.copy is not None]
    assert copy.message.copy is not None and copy.message.copy.message_id == 103


async def test_requests_not_sent_yet_are_withdrawn_once_someone_takes_the_question(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, name="Amal")
    await staff(db, desk, BERHE, name="Berhe")
    await onboard(desk, NEWCOMER)
    await ask(desk)  # both are asked; the requests wait (say, for the morning)
    question = await handoff_of(db)
    await desk.button(AMAL, f"r:claim:{question.id}")
    sent = await rows(db)
    assert f"r:claim:{question.id}" not in buttons(sent, BERHE.chat_id)
    assert not [d for d in sent if d.chat_id == BERHE.chat_id]


async def test_a_question_nobody_can_take_now_is_asked_when_a_window_opens(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    """10:00 on a Tuesday; Amal helps on weekday evenings: the question waits, and she is
    asked at 17:00, not before, and not again."""
    db, _other = two
    desk, _second = desks
    evenings = tuple(Window(day, time(17), time(21)) for day in range(5))
    await staff(db, desk, AMAL, windows=evenings)
    await onboard(desk, NEWCOMER)
    status = (await desk.button(NEWCOMER, "h:menu"), await desk.post(NEWCOMER, Posted(100, "?")))
    someone = catalogs.translator("ti").gettext(
        "⏳ Your question is waiting. A person who speaks {language} will answer; usually "
        "within a day. You will get a message here. You can add more messages.")
    assert someone.split("{language}")[0] in status[1].replies[-1].text  # someone will come
    assert not [d for d in await rows(db) if d.chat_id == AMAL.chat_id]
    question = await handoff_of(db)
    opens = datetime(2026, 11, 24, 17, 0, tzinfo=ZONE).astimezone(UTC)
    assert question.wake_at == opens
    clock.now = opens - timedelta(minutes=1)
    assert await desk.chat.router.tick(db.uow, clock.now) == 0
    clock.now = opens
    assert await desk.chat.router.tick(db.uow, clock.now) == 1
    assert f"r:claim:{question.id}" in buttons(await rows(db), AMAL.chat_id)
    clock.now += timedelta(minutes=30)
    await desk.chat.router.tick(db.uow, clock.now)
    assert not [d for d in await rows(db) if d.chat_id == AMAL.chat_id]


async def test_release_and_transfer_hand_the_question_on(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, name="Amal")
    await staff(db, desk, BERHE, name="Berhe")
    await staff(db, desk, FAR, name="Far")
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    await rows(db)
    await desk.button(AMAL, f"r:claim:{question.id}")
    await rows(db)
    # Transfer to Berhe: only Berhe is asked, with Amal's name; the newcomer is told.
    choose = await desk.button(AMAL, f"r:transfer:{question.id}")
    assert f"r:to:{question.id}-{BERHE.telegram_id}" in [
        b.data for r in choose.replies for row in r.keyboard for b in row]
    await desk.button(AMAL, f"r:to:{question.id}-{BERHE.telegram_id}")
    handed = await rows(db)
    [card] = [d for d in handed if d.chat_id == BERHE.chat_id]
    assert "Amal asks you to take over this conversation." in card.message.text
    assert not [d for d in handed if d.chat_id == FAR.chat_id]
    assert any(d.chat_id == NEWCOMER.chat_id for d in handed)
    assert (await handoff_of(db)).status is h.Status.WAITING
    # Berhe takes it, then releases it: the others are asked again, not Berhe or Amal.
    await desk.button(BERHE, f"r:claim:{question.id}")
    await rows(db)
    await desk.button(BERHE, f"r:release:{question.id}")
    again = await rows(db)
    asked = {d.chat_id for d in again if f"r:claim:{question.id}" in buttons([d], d.chat_id)}
    assert asked == {AMAL.chat_id, FAR.chat_id}  # everyone but the one who released it
    replayed = await desk.button(BERHE, f"r:close:{question.id}")
    assert replayed.notice and "Nothing was changed" in replayed.notice


async def test_a_quick_answer_reaches_the_newcomer_in_their_language(
        two: tuple[Database, Database], desks: tuple[Desk, Desk],
        catalogs: BabelCatalogs) -> None:
    db, _other = two
    desk, _second = desks
    await amal_takes_a_question(db, desk)
    await rows(db)
    found = await desk.command(AMAL, "answer", "huurtoeslag")
    choices = [b.data for r in found.replies for row in r.keyboard for b in row]
    assert "r:qf:toeslagen" in choices
    await desk.button(AMAL, "r:qf:toeslagen")
    [sent] = [d for d in await rows(db) if d.chat_id == NEWCOMER.chat_id]
    title = catalogs.translator("ti").pgettext(
        contexts.flow_title("toeslagen"), "Toeslagen: money for rent, care and children")
    assert title in sent.message.text and title != "Toeslagen: money for rent, care and children"
    assert sent.message.text.startswith(
        catalogs.translator("ti").gettext("From {name}:").format(name="Amal"))
    assert "t:toeslagen" in buttons([sent], NEWCOMER.chat_id)
    assert sent.kind is outbox.Kind.RELAY


async def test_the_content_of_ended_conversations_goes_after_the_retention(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    question = await amal_takes_a_question(db, desk)
    await desk.button(AMAL, f"r:done:{question.id}-answered")
    await desk.button(NEWCOMER, f"h:rate:{question.id}-down")
    await desk.post(NEWCOMER, Posted(101, "Too slow"))
    assert await purge_content(db.uow, clock.now + h.CONTENT_RETENTION - timedelta(hours=1)) == 0
    assert await purge_content(db.uow, clock.now + h.CONTENT_RETENTION + timedelta(hours=1)) == 1
    kept = await handoff_of(db)
    assert (kept.summary, kept.path, kept.comment) == ("", "", None)
    assert (kept.status, kept.result, kept.rating) == (h.Status.CLOSED, h.Result.ANSWERED, -1)
    async with db.uow() as uow:
        assert await uow.handoffs.relayed_in(NEWCOMER.chat_id) == []


async def test_requests_already_received_are_edited_once_it_is_taken_or_cancelled(
        two: tuple[Database, Database], desks: tuple[Desk, Desk]) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, name="Amal")
    await staff(db, desk, BERHE, name="Berhe")
    await onboard(desk, NEWCOMER)
    await ask(desk)
    question = await handoff_of(db)
    async with db.uow() as uow:  # both requests were sent: as Telegram messages 70 and 80
        for row in await uow.outbox.claim_due(datetime.now(UTC), 10):
            await uow.outbox.end(row.id, outbox.Status.SENT, datetime.now(UTC),
                                 message_id=70 if row.chat_id == AMAL.chat_id else 80)
        await uow.commit()
    await desk.button(AMAL, f"r:claim:{question.id}")
    edits = [d for d in await rows(db) if d.message.edit_of is not None]
    assert [(d.chat_id, d.message.edit_of) for d in edits] == [(BERHE.chat_id, 80)]
    assert "Another sleutelpersoon has taken this question" in edits[0].message.text
    assert not edits[0].message.keyboard


async def test_ending_a_sleutelpersoons_role_hands_their_conversations_back(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, BERHE, name="Berhe")
    question = await amal_takes_a_question(db, desk)
    await rows(db)
    async with db.uow() as uow:
        [grant] = [g for g in await uow.roles.of(AMAL.telegram_id)]
        assert await end_role(uow, grant, clock.now)
        await uow.commit()
    waiting = await handoff_of(db)
    assert waiting.status is h.Status.WAITING and waiting.wake_at == clock.now
    assert await desk.chat.router.tick(db.uow, clock.now) == 1
    assert f"r:claim:{question.id}" in buttons(await rows(db), BERHE.chat_id)


async def test_nobody_to_reach_is_said_before_anyone_writes_a_question(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], catalogs: BabelCatalogs
        ) -> None:
    db, _other = two
    desk, _second = desks
    await staff(db, desk, AMAL, languages=frozenset({"ar"}))  # speaks Arabic only
    await onboard(desk, NEWCOMER)  # Tigrinya, and no coordinator in Leiden
    answer = await desk.command(NEWCOMER, "person")
    assert answer.replies[0].text == catalogs.translator("ti").gettext(
        "Asking a person works in the municipalities that take part in Wegwijs. In your "
        "municipality, ask the municipality (gemeente) or your begeleider; the topics list "
        "free help that works everywhere.")
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(NEWCOMER.telegram_id)
        assert person is not None and await uow.handoffs.of_newcomer(person.id) == []


async def test_a_question_waiting_for_a_full_sleutelpersoon_is_looked_at_again(
        two: tuple[Database, Database], desks: tuple[Desk, Desk], clock: FixedClock) -> None:
    db, _other = two
    desk, _second = desks
    first = await amal_takes_a_question(db, desk)
    async with db.uow() as uow:  # Amal takes one conversation at a time, and has one
        profile = await uow.profiles.get(AMAL.telegram_id)
        assert profile is not None
        await uow.profiles.put(replace(profile, capacity=1), clock.now)
        await uow.commit()
    other = Caller(11, 11, "ti")
    await onboard(desk, other)
    await desk.command(other, "person")
    await desk.post(other, Posted(200, "ሕቶ"))
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(other.telegram_id)
        assert person is not None
        [waiting] = await uow.handoffs.of_newcomer(person.id)
    assert waiting.wake_at == clock.now + RECHECK  # nobody free, nothing planned: look again
    await rows(db)
    await desk.button(AMAL, f"r:done:{first.id}-answered")  # a place frees
    clock.now += RECHECK
    assert await desk.chat.router.tick(db.uow, clock.now) == 1
    assert f"r:claim:{waiting.id}" in buttons(await rows(db), AMAL.chat_id)


async def test_a_waiting_text_is_kept_only_until_it_is_copied_or_the_question_ends(
        two: tuple[Database, Database]) -> None:
    """For machine translation a newcomer's text written before anyone took the question is
    kept with its mapping (issue 12), and goes once copied, or at once when they cancel."""
    db, _other = two
    now = datetime(2027, 3, 1, 9, tzinfo=UTC)
    async with db.uow() as uow:
        person = await uow.people.add(501, 501, now)
        asked = [await uow.handoffs.add(h.Handoff(
            id=0, newcomer_id=person.id, language="ar", municipality="leiden",
            pseudonym=f"A{n}B2", status=h.Status.WAITING, created_at=now)) for n in (1, 2)]
        for question, message_id in zip(asked, (7, 8), strict=True):
            await uow.handoffs.relay(h.Relayed(question.id, h.Side.NEWCOMER, 501, message_id),
                                     h.Media.TEXT, now, text="عندي رسالة")
        await uow.commit()
    async with db.uow() as uow:
        [(relay_id, _relayed, _media, text)] = await uow.handoffs.not_copied(asked[0].id)
        assert text == "عندي رسالة"
        await uow.handoffs.copying(relay_id, 900, outbox_id=1)
        assert await uow.handoffs.cancel(asked[1].id, person.id, now)
        await uow.commit()
    async with db.engine.connect() as connection:
        kept = (await connection.execute(sql_text(
            "SELECT count(*) FROM relay_messages WHERE waiting_text IS NOT NULL"))).scalar()
    assert kept == 0
