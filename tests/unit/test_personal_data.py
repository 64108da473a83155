"""Every table is declared in bot/storage/personal_data.py, and the declarations are true:
on a real SQLite database, /delete leaves no row that names the person, /mydata exports every
personal table, and the retention purge removes what it says it removes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Table, func, select

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import broadcast, catalog_review, checkins, events, handoff, outbox
from bot.domain.incoming import Caller
from bot.domain.person import Role
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.privacy import UNCONSENTED_RETENTION, purge_unconsented
from bot.services.roles import RolesService
from bot.storage.database import Database
from bot.storage.models import Base
from bot.storage.personal_data import (
    DECLARATIONS,
    NotPersonal,
    Personal,
    PersonKey,
    Retention,
    by_table,
    personal,
)

ME = Caller(telegram_id=900_000_042, chat_id=900_000_042, language_code="en")
OTHER = Caller(telegram_id=900_000_043, chat_id=900_000_043, language_code="nl")
HOW_TO_DECLARE = (
    "Declare it in bot/storage/personal_data.py. If its rows are about a person: "
    "Personal(table, the column naming the person, PersonKey.PEOPLE_ID or "
    "PersonKey.TELEGRAM_ID or PersonKey.CHAT_ID, the /mydata key, the Retention rule); export "
    "its rows in privacy.export, erase them in /delete, and add them to seed() in "
    "tests/unit/test_personal_data.py. If not: NotPersonal(table, the reason).")
# Columns that name a person whatever the table; a table with one is personal.
PERSON_COLUMNS = {"telegram_id", "chat_id", "person_id"}


class Clock(Protocol):  # tests/unit/conftest.py's FixedClock
    now: datetime

    def __call__(self) -> datetime: ...


def table(name: str) -> Table:
    return Base.metadata.tables[name]


# -- the declarations match the tables ---------------------------------------------------


def test_every_table_is_declared() -> None:
    declared = by_table()
    for name in Base.metadata.tables:
        assert name in declared, f"Table {name!r} is not declared. {HOW_TO_DECLARE}"
    assert len(declared) == len(DECLARATIONS), "a table is declared twice"
    stale = set(declared) - set(Base.metadata.tables)
    assert not stale, f"declared, but no such table (any more): {stale}"


@pytest.mark.parametrize("declaration", personal(), ids=lambda d: d.table)
def test_the_link_column_names_a_person(declaration: Personal) -> None:
    column = table(declaration.table).c.get(declaration.column)
    assert column is not None, f"{declaration.table} has no column {declaration.column!r}"
    if declaration.key is PersonKey.PEOPLE_ID and declaration.table != "people":
        targets = {fk.target_fullname for fk in column.foreign_keys}
        assert targets == {"people.id"}, f"{declaration.table}.{column.name} must reference " \
                                         "people.id (ON DELETE CASCADE)"
    if declaration.table == "people":
        assert column.primary_key
    for other in declaration.other_columns:
        assert table(declaration.table).c.get(other) is not None, \
            f"{declaration.table} has no column {other!r}"


def test_a_table_declared_not_personal_has_no_link_to_a_person() -> None:
    for declaration in DECLARATIONS:
        if not isinstance(declaration, NotPersonal):
            continue
        assert declaration.reason.strip(), f"{declaration.table}: give the reason"
        t = table(declaration.table)
        links = {c.name for c in t.columns if c.name in PERSON_COLUMNS}
        links |= {fk.parent.name for fk in t.foreign_keys if fk.column.table.name == "people"}
        assert not links, f"{declaration.table} is declared NotPersonal but {links} name a " \
                          f"person. {HOW_TO_DECLARE}"


def test_mydata_keys_are_distinct() -> None:
    keys = [d.mydata for d in personal()]
    assert len(keys) == len(set(keys))


def test_keeping_data_after_delete_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="kept_because"):
        Personal("x", "person_id", PersonKey.PEOPLE_ID, "x", Retention.WITH_PERSON,
                 erased_by_delete=False)


# -- the declarations are true, on a real database --------------------------------------


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'wegwijs.db'}")
    await db.migrate()
    yield db
    await db.dispose()


@pytest.fixture
def sql_chat(database: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
             flows: dict[str, Flow], search: SearchIndex, clock: Clock) -> ChatService:
    return ChatService(database.uow, catalogs, knowledge, flows, search, clock,
                       ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def sql_desk(sql_chat: ChatService, knowledge: Knowledge) -> Desk:
    return Desk(sql_chat, knowledge)


async def onboard(chat: Desk, caller: Caller) -> None:
    await chat.command(caller, "start")
    for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:ended"):
        await chat.button(caller, answer)


async def seed(desk: Desk, roles: RolesService, caller: Caller, database: Database, *,
               consent: bool = True) -> None:
    """Put data about `caller` in every personal table (extend it with each new table)."""
    await roles.grant(caller.telegram_id, Role.SLEUTELPERSOON, "leiden")  # roles
    # sleutelpersoon_profiles (and people): /profile asks the whole profile when there is none
    await desk.command(caller, "profile")
    await desk.text(caller, "Amal")
    for answer in ("p:spk:ti", "p:done:spk", "p:done:top", "p:hrs:evenings", "p:cap:2"):
        await desk.button(caller, answer)
    # invitations, audit_log: as a coordinator, they invite someone (and it is audited)
    await roles.grant(caller.telegram_id, Role.COORDINATOR, "leiden")
    await desk.button(caller, "c:isp:leiden")
    if consent:
        await onboard(desk, caller)
        await desk.button(caller, "t:digid")  # conversations: a topic left open
    else:
        await desk.command(caller, "start")
        await desk.button(caller, "o:lang:en")  # conversations: the consent question
    person_id = (await ids_of(database, caller))[PersonKey.PEOPLE_ID]
    async with database.uow() as uow:  # outbox: a message waiting for them
        await uow.outbox.add(outbox.Outgoing(person_id, outbox.Kind.NOTIFICATION,
                                             outbox.Message("A question is waiting."),
                                             f"seed-{caller.telegram_id}"), datetime.now(UTC))
        # handoffs, relay_messages, helper_state: a question of theirs, one message of it
        # relayed, and (as a sleutelpersoon) the conversation they write in
        question = await uow.handoffs.add(handoff.Handoff(
            0, person_id, "ti", "leiden", "AB12", handoff.Status.WAITING, datetime.now(UTC),
            summary="What does this letter mean?"))
        await uow.handoffs.relay(handoff.Relayed(question.id, handoff.Side.NEWCOMER,
                                                 caller.chat_id, 1), handoff.Media.TEXT,
                                 datetime.now(UTC))
        await uow.handoffs.set_focus(caller.telegram_id, focus=question.id, header=question.id)
        # checkin_plans: the messages planned after their begeleiding ends
        await uow.checkins.replace_plan(person_id, checkins.plan(
            date(2027, 6, 1), ZoneInfo("Europe/Amsterdam")))
        # broadcasts and broadcast_versions: one they wrote, with a version they wrote
        # and approved
        written = await uow.broadcasts.add(broadcast.Broadcast(
            0, broadcast.Audience("leiden"), "nl", broadcast.State.DRAFT, datetime.now(UTC),
            author_id=caller.telegram_id))
        await uow.broadcasts.put_version(written, broadcast.Version(
            "ar", "نص", broadcast.VersionState.APPROVED, author_id=caller.telegram_id,
            reviewer_id=caller.telegram_id), datetime.now(UTC))
        # event_rsvps: a date of an event they said they would go to
        start = datetime.now(UTC) + timedelta(days=3)
        event = events.Event(0, "leiden", events.Source.BOT, f"seed-{caller.telegram_id}",
                             events.Category.MEAL, events.EventAudience.EVERYONE,
                             {"en": events.Texts("Soup together")})
        await uow.events.add(event, [events.Dated("k1", start, start + timedelta(hours=2))],
                             datetime.now(UTC))
        [date_of] = [o for o in (await uow.events.listing(
            "leiden", start - timedelta(hours=1), start + timedelta(hours=1), None, 0, 5))[0]
            if o.event.uid == event.uid]
        await uow.events.put_rsvp(date_of.id, person_id, events.RsvpState.GOING,
                                  datetime.now(UTC), None, None)
        # event_subscriptions: the Monday digest of language cafés
        await uow.events.subscribe(person_id, events.Category.LANGUAGE_CAFE, datetime.now(UTC))
        # catalog_review_votes, catalog_language_leads: a vote on a catalog text, a skip,
        # and leading Tigrinya (appointed by themselves as a coordinator)
        for msgid, verdict in (("Hello", catalog_review.Verdict.IMPROVED),
                               ("Bye", catalog_review.Verdict.SKIPPED)):
            await uow.reviews.add(catalog_review.Vote(
                "ti", catalog_review.entry_key("", msgid), "", msgid, caller.telegram_id,
                verdict, "", datetime.now(UTC),
                proposed="ሰላም" if verdict is catalog_review.Verdict.IMPROVED else None))
        await uow.reviews.appoint(catalog_review.Lead(caller.telegram_id, "ti",
                                                      datetime.now(UTC), caller.telegram_id))
        await uow.commit()


async def ids_of(database: Database, caller: Caller) -> dict[PersonKey, int]:
    people = table("people")
    async with database.engine.connect() as connection:
        person_id = await connection.scalar(
            select(people.c.id).where(people.c.telegram_id == caller.telegram_id))
    assert person_id is not None
    return {PersonKey.PEOPLE_ID: person_id, PersonKey.TELEGRAM_ID: caller.telegram_id,
            PersonKey.CHAT_ID: caller.chat_id}


async def rows_about(database: Database, declaration: Personal,
                     ids: dict[PersonKey, int]) -> int:
    t = table(declaration.table)
    query = select(func.count()).select_from(t).where(
        t.c[declaration.column] == ids[declaration.key])
    async with database.engine.connect() as connection:
        return int(await connection.scalar(query) or 0)


async def tables_mentioning(database: Database, telegram_id: int) -> dict[str, list[Any]]:
    """Any column of any table holding the Telegram id, declared link or not."""
    found: dict[str, list[Any]] = {}
    async with database.engine.connect() as connection:
        for name, t in Base.metadata.tables.items():
            for row in await connection.execute(select(t)):
                if telegram_id in row or str(telegram_id) in map(str, row):
                    found.setdefault(name, []).append(tuple(row))
    return found


@pytest.fixture
def roles(database: Database, knowledge: Knowledge, clock: Clock) -> RolesService:
    return RolesService(database.uow, knowledge, clock)


async def test_every_personal_table_is_exported_by_mydata(
        sql_desk: Desk, roles: RolesService, database: Database) -> None:
    await seed(sql_desk, roles, ME, database)
    ids = await ids_of(database, ME)
    outcome = await sql_desk.command(ME, "mydata")
    [document] = [r.document for r in outcome.replies if r.document is not None]
    exported = json.loads(document.content)
    for declaration in personal():
        assert await rows_about(database, declaration, ids), \
            f"seed() put nothing in {declaration.table}: extend it"
        assert declaration.mydata in exported, \
            f"/mydata has no {declaration.mydata!r} key for table {declaration.table}"
        assert exported[declaration.mydata], \
            f"/mydata exports nothing of {declaration.table} under {declaration.mydata!r}"


async def test_delete_erases_every_personal_table_and_only_the_callers_rows(
        sql_desk: Desk, roles: RolesService, database: Database) -> None:
    await seed(sql_desk, roles, OTHER, database)
    await seed(sql_desk, roles, ME, database)
    mine, theirs = await ids_of(database, ME), await ids_of(database, OTHER)
    for declaration in personal():
        assert await rows_about(database, declaration, mine), \
            f"seed() put nothing in {declaration.table}: extend it"

    await sql_desk.command(ME, "delete")
    await sql_desk.button(ME, "d:yes")

    for declaration in personal():
        left = await rows_about(database, declaration, mine)
        if declaration.erased_by_delete:
            assert left == 0, f"/delete left {left} row(s) in {declaration.table}"
        assert await rows_about(database, declaration, theirs), \
            f"/delete of one person erased another's rows in {declaration.table}"
    # Nothing else names them: only tables that /delete keeps on purpose (kept_because).
    kept = {d.table for d in personal() if not d.erased_by_delete}
    left_behind = await tables_mentioning(database, ME.telegram_id)
    assert set(left_behind) <= kept, f"/delete left rows naming the person: {left_behind}"


async def test_the_retention_purge_removes_what_the_declarations_say(
        sql_desk: Desk, roles: RolesService, database: Database,
        clock: Clock) -> None:
    await seed(sql_desk, roles, ME, database, consent=False)
    await seed(sql_desk, roles, OTHER, database)  # agreed: kept however long they are quiet
    mine, theirs = await ids_of(database, ME), await ids_of(database, OTHER)

    clock.now += UNCONSENTED_RETENTION + timedelta(days=1)
    assert await purge_unconsented(database.uow, clock.now) == 1

    for declaration in personal():
        left = await rows_about(database, declaration, mine)
        if declaration.retention in (Retention.PERSON, Retention.WITH_PERSON):
            assert left == 0, f"the purge left {left} row(s) in {declaration.table}"
        else:
            assert left, f"the purge removed {declaration.table} ({declaration.retention})"
        assert await rows_about(database, declaration, theirs), declaration.table
