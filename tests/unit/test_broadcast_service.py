"""Coordinator broadcasts on a real database (SQLite and PostgreSQL), driven as people use
them (commands, buttons and messages through the Desk) with a clock the test moves:
composing, versions written and approved by sleutelpersonen, the fallback, the second
confirmation, the tick that writes rows just ahead of the drain, the status message, the
end, cancelling, quiet hours and urgency, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FixedClock

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import audit, outbox
from bot.domain import broadcast as b
from bot.domain import broadcast_timing as t
from bot.domain.delivery import SENT, SendResult
from bot.domain.incoming import Caller, Posted
from bot.domain.person import Role, RoleGrant
from bot.domain.quiet_hours import QuietHours
from bot.domain.sleutelpersoon import Profile
from bot.services.broadcasts import Broadcasts
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.outbox import Drainer
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
COORDINATOR = Caller(30, 30, "nl")
ELSEWHERE = Caller(31, 31, "en")  # a coordinator in Delft
ARABIC = Caller(21, 21, "ar")  # sleutelpersoon
TIGRINYA = Caller(22, 22, "ti")  # sleutelpersoon
NEWCOMERS = {"ar": Caller(101, 101, "ar"), "ti": Caller(102, 102, "ti"),
             "en": Caller(103, 103, "en"), "nl": Caller(104, 104, "nl")}
QUIET = QuietHours.parse("21:00-09:00")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    clock = FixedClock()
    clock.now = local(2027, 2, 3, 14)
    return clock


@pytest.fixture
def desk(both_databases: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
         flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> Desk:
    runner = Broadcasts(knowledge, catalogs, ZONE, QUIET, t.DEFAULT_RATE)
    return Desk(ChatService(both_databases.uow, catalogs, knowledge, flows, search, clock,
                            ZONE), knowledge, runner)


class Recorder:
    """The outbox's transport: what each chat got."""

    def __init__(self) -> None:
        self.got: dict[int, list[outbox.Message]] = {}
        self.background: list[int] = []

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        self.got.setdefault(chat_id, []).append(message)
        if background:
            self.background.append(chat_id)
        return SendResult(SENT.status, message_id=1000 + len(self.got[chat_id]))

    def texts(self, caller: Caller) -> list[str]:
        return [m.text or (m.copy.caption if m.copy else "") or ""
                for m in self.got.get(caller.chat_id, [])]


async def onboard(desk: Desk, caller: Caller, municipality: str = "leiden",
                  begeleiding: str = "ended") -> None:
    await desk.command(caller, "start")
    for data in ("o:lang:" + (caller.language_code or "en"), "o:consent:yes",
                 f"o:muni:{municipality}", f"o:beg:{begeleiding}"):
        last = await desk.button(caller, data)
    assert "m:topics" in str(last), text_of(last)


async def grant(db: Database, caller: Caller, role: Role, municipality: str = "leiden",
                languages: frozenset[str] = frozenset(), name: str = "Noor") -> None:
    async with db.uow() as uow:
        if await uow.people.by_telegram_id(caller.telegram_id) is None:  # as invited
            staff = await uow.people.add(caller.telegram_id, caller.chat_id, datetime.now(UTC))
            staff.language = caller.language_code
            await uow.people.save(staff)
        await uow.roles.grant(RoleGrant(caller.telegram_id, role, municipality,
                                        datetime(2026, 1, 1, tzinfo=UTC)))
        if role is Role.SLEUTELPERSOON:
            await uow.profiles.put(Profile(caller.telegram_id, name, languages,
                                           frozenset({municipality})), datetime.now(UTC))
        await uow.commit()


def data_of(outcome: Any, starts: str) -> str:
    found = [b.data for r in outcome.replies for row in r.keyboard for b in row
             if b.data and b.data.startswith(starts)]
    assert found, (starts, [r.text for r in outcome.replies])
    return found[0]


def text_of(outcome: Any) -> str:
    return "\n".join(r.text for r in outcome.replies)


async def people(desk: Desk, db: Database) -> None:
    for caller in NEWCOMERS.values():
        await onboard(desk, caller)
    await grant(db, COORDINATOR, Role.COORDINATOR)
    await grant(db, ELSEWHERE, Role.COORDINATOR, "delft")
    await grant(db, ARABIC, Role.SLEUTELPERSOON, languages=frozenset({"ar", "nl"}),
                name="Noor")
    await grant(db, TIGRINYA, Role.SLEUTELPERSOON, languages=frozenset({"ti"}),
                name="Selam")


async def compose(desk: Desk, text: str = "De taalcafé is vrijdag in de bibliotheek.") -> int:
    """/broadcast to the coordinator's one municipality, in Dutch, to everyone, now."""
    opened = await desk.command(COORDINATOR, "broadcast")
    if "x:src:" not in str(opened):  # others are open: the list, with "new"
        opened = await desk.button(COORDINATOR, data_of(opened, "x:new:"))
    await desk.button(COORDINATOR, data_of(opened, "x:src:").replace("-en", "-nl"))
    audience = await desk.post(COORDINATOR, Posted(500, text))
    number = int(data_of(audience, "x:when:").split(":")[2])
    when = await desk.button(COORDINATOR, f"x:when:{number}")
    await desk.button(COORDINATOR, data_of(when, "x:now:"))
    return number


async def send_own_text(desk: Desk, number: int) -> None:
    """Everyone gets the coordinator's Dutch text; confirmed."""
    for language in ("ar", "ti", "en"):
        await desk.button(COORDINATOR, f"x:source:{number}-{language}")
    await desk.button(COORDINATOR, f"x:send:{number}")


async def drain(db: Database, recorder: Recorder, clock: FixedClock) -> int:
    return await Drainer(db.uow, recorder, clock, ZONE, QUIET).drain()


async def test_four_languages_with_versions_from_sleutelpersonen(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    summary = await desk.button(COORDINATOR, f"x:open:{number}")
    shown = text_of(summary)
    assert "Arabisch: 1" in shown and "Tigrinya: 1" in shown, shown

    # Ask for the Arabic and Tigrinya versions; English readers get the Dutch text.
    asked = await desk.button(COORDINATOR, f"x:ask:{number}-ar")
    assert "Noor" in text_of(asked) and "Selam" not in text_of(asked)
    await desk.button(COORDINATOR, f"x:ask:{number}-ti")
    await desk.button(COORDINATOR, f"x:source:{number}-en")
    confirmed = await desk.button(COORDINATOR, f"x:send:{number}")
    assert "4" in text_of(confirmed) and "Arabisch" in text_of(confirmed)  # it waits

    # Nothing starts while a language waits for its version.
    assert await desk.broadcasts.tick(db.uow, clock.now) == 0
    recorder = Recorder()
    await drain(db, recorder, clock)
    request = recorder.got[ARABIC.chat_id][-1]
    assert "De taalcafé is vrijdag" in request.text
    write = request.keyboard[0][0].data
    assert write == f"v:write:{number}-ar"

    # Noor writes, sees it as readers will, approves; the coordinator is told.
    await desk.button(ARABIC, write)
    preview = await desk.post(ARABIC, Posted(600, "مقهى اللغة يوم الجمعة في المكتبة."))
    assert "مقهى اللغة" in text_of(preview)
    approved = await desk.button(ARABIC, data_of(preview, "v:ok:"))
    assert approved.notice
    # Selam writes Tigrinya.
    await desk.button(TIGRINYA, f"v:write:{number}-ti")
    preview = await desk.post(TIGRINYA, Posted(601, "ቋንቋ ካፈ ዓርቢ ኣብ ቤተ-መጻሕፍቲ።"))
    await desk.button(TIGRINYA, data_of(preview, "v:ok:"))
    await drain(db, recorder, clock)
    assert any("Noor" in t for t in recorder.texts(COORDINATOR))

    # Now it starts: one row per recipient, each in their language, and a status message.
    assert await desk.broadcasts.tick(db.uow, clock.now) == 4
    await drain(db, recorder, clock)
    assert "مقهى اللغة" in recorder.texts(NEWCOMERS["ar"])[-1]
    assert "ቋንቋ ካፈ" in recorder.texts(NEWCOMERS["ti"])[-1]
    assert "De taalcafé" in recorder.texts(NEWCOMERS["en"])[-1]  # the fallback
    assert "De taalcafé" in recorder.texts(NEWCOMERS["nl"])[-1]
    assert "Announcement from the coordinators in Leiden" in recorder.texts(NEWCOMERS["en"])[-1]
    assert sorted(recorder.background) == sorted(c.chat_id for c in NEWCOMERS.values())
    status = recorder.texts(COORDINATOR)[-1]
    assert "#" + str(number) in status

    # The next tick ends it: the status is edited to its final figures, a report follows.
    clock.now = clock.now.replace(second=10)
    await desk.broadcasts.tick(db.uow, clock.now)
    await drain(db, recorder, clock)
    last = recorder.got[COORDINATOR.chat_id][-2:]
    assert last[0].edit_of is not None and "4" in last[0].text
    assert "4" in last[1].text and last[1].edit_of is None
    async with db.uow() as uow:
        found = await uow.broadcasts.get(number)
        assert found is not None and found.state is b.State.DONE
        assert (await uow.broadcasts.progress(number)).sent == 4

    # A second run writes nothing twice.
    assert await desk.broadcasts.tick(db.uow, clock.now) == 0


async def test_nobody_gets_it_twice_when_a_batch_is_written_again(
        both_databases: Database, desk: Desk, clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    await send_own_text(desk, number)
    # The process dies after writing the rows, before the cursor: the rows are rolled
    # back with it, and the next tick writes them once.
    from bot.storage.broadcast_repositories import SqlBroadcasts
    real = SqlBroadcasts.written_up_to

    async def dies(self: SqlBroadcasts, *args: Any) -> None:
        raise ConnectionError("the process dies here")

    monkeypatch.setattr(SqlBroadcasts, "written_up_to", dies)
    with pytest.raises(ConnectionError):
        await desk.broadcasts.tick(db.uow, clock.now)
    monkeypatch.setattr(SqlBroadcasts, "written_up_to", real)
    assert await desk.broadcasts.tick(db.uow, clock.now) == 4
    async with db.uow() as uow:
        progress = await uow.broadcasts.progress(number)
    assert progress.remaining == 4


async def test_people_who_paused_or_turned_announcements_off_get_nothing(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    await desk.command(NEWCOMERS["ar"], "stop")
    await desk.button(NEWCOMERS["ti"], "s:open:news-off")
    settings = await desk.command(NEWCOMERS["ti"], "settings")
    assert "s:open:news-on" in [b.data for r in settings.replies for row in r.keyboard
                                for b in row]
    number = await compose(desk)
    await desk.button(COORDINATOR, f"x:source:{number}-en")
    summary = await desk.button(COORDINATOR, f"x:open:{number}")
    assert "Arabisch" not in text_of(summary) and "Tigrinya" not in text_of(summary)
    await desk.button(COORDINATOR, f"x:send:{number}")
    assert await desk.broadcasts.tick(db.uow, clock.now) == 2


async def test_a_second_confirmation_above_the_threshold(
        both_databases: Database, desk: Desk, clock: FixedClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db = both_databases
    await people(desk, db)
    monkeypatch.setattr(b, "SECOND_CONFIRMATION_ABOVE", 3)
    number = await compose(desk)
    for language in ("ar", "ti", "en"):
        await desk.button(COORDINATOR, f"x:source:{number}-{language}")
    asked = await desk.button(COORDINATOR, f"x:send:{number}")
    assert "4" in text_of(asked)
    sure = data_of(asked, "x:send:")
    assert sure == f"x:send:{number}-sure"
    async with db.uow() as uow:
        found = await uow.broadcasts.get(number)
        assert found is not None and found.state is b.State.DRAFT
    await desk.button(COORDINATOR, sure)
    async with db.uow() as uow:
        found = await uow.broadcasts.get(number)
        assert found is not None and found.state is b.State.CONFIRMED


async def test_quiet_hours_hold_it_until_morning_unless_urgent(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    clock.now = local(2027, 2, 3, 22)
    number = await compose(desk)
    await send_own_text(desk, number)
    assert await desk.broadcasts.tick(db.uow, clock.now) == 0
    clock.now = local(2027, 2, 4, 9)
    assert await desk.broadcasts.tick(db.uow, clock.now) == 4

    clock.now = local(2027, 2, 4, 23)
    urgent = await compose(desk, "Storm: blijf binnen.")
    when = await desk.button(COORDINATOR, f"x:when:{urgent}")
    await desk.button(COORDINATOR, data_of(when, "x:urgent:"))
    await send_own_text(desk, urgent)
    assert await desk.broadcasts.tick(db.uow, clock.now) == 4
    recorder = Recorder()
    await drain(db, recorder, clock)
    got = recorder.texts(NEWCOMERS["en"])
    assert any("Storm" in t and "🚨" in t for t in got)


async def test_cancel_while_sending_withdraws_what_is_not_sent(
        both_databases: Database, desk: Desk, clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    await send_own_text(desk, number)
    await desk.broadcasts.tick(db.uow, clock.now)
    cancelled = await desk.button(COORDINATOR, f"x:cancel:{number}")
    assert cancelled.notice and f"#{number}" in cancelled.notice
    recorder = Recorder()
    await drain(db, recorder, clock)
    assert not any(recorder.got.get(c.chat_id) for c in NEWCOMERS.values())
    async with db.uow() as uow:
        progress = await uow.broadcasts.progress(number)
        found = await uow.broadcasts.get(number)
    assert progress.skipped == 4 and found is not None and found.state is b.State.CANCELLED
    again = await desk.button(COORDINATOR, f"x:cancel:{number}")
    assert again.notice == catalogs.translator("nl").gettext(
        "This announcement has already ended. Nothing was changed.")


async def test_who_may_broadcast_and_approve(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    refused = await desk.command(NEWCOMERS["en"], "broadcast")
    assert "Only coordinators" in text_of(refused)
    for caller, data in ((ELSEWHERE, f"x:send:{number}"), (ELSEWHERE, f"x:cancel:{number}"),
                         (NEWCOMERS["en"], f"x:send:{number}"),
                         (COORDINATOR, "x:send:99999999"), (COORDINATOR, "x:send:abc"),
                         (ARABIC, f"v:write:{number}-ti"),  # not their language
                         (ELSEWHERE, f"v:write:{number}-ar"),
                         (ARABIC, f"v:ok:{number}-xx")):
        await desk.button(caller, data)
    async with db.uow() as uow:
        found = await uow.broadcasts.get(number)
        entries = await uow.audit.of(ELSEWHERE.telegram_id)
        versions = await uow.broadcasts.versions(number)
    assert found is not None and found.state is b.State.DRAFT
    assert set(versions) == {"nl"}
    assert [e.reason for e in entries if not e.allowed] == [
        audit.Reason.OTHER_MUNICIPALITY, audit.Reason.OTHER_MUNICIPALITY,
        audit.Reason.NO_ROLE]


async def test_only_sleutelpersonen_reaches_them_wherever_they_live(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    audience = await desk.button(COORDINATOR, f"x:staff:{number}")
    assert "x:beg:" not in str(audience)  # begeleiding is a newcomer's
    await desk.button(COORDINATOR, f"x:source:{number}-ar")
    await desk.button(COORDINATOR, f"x:source:{number}-ti")
    await desk.button(COORDINATOR, f"x:send:{number}")
    assert await desk.broadcasts.tick(db.uow, clock.now) == 2
    recorder = Recorder()
    await drain(db, recorder, clock)
    assert recorder.got.get(ARABIC.chat_id) and recorder.got.get(TIGRINYA.chat_id)
    assert not any(recorder.got.get(c.chat_id) for c in NEWCOMERS.values())


async def test_a_new_text_sets_back_the_versions_of_the_old_one(
        both_databases: Database, desk: Desk, clock: FixedClock) -> None:
    db = both_databases
    await people(desk, db)
    number = await compose(desk)
    await desk.button(COORDINATOR, f"x:ask:{number}-ar")
    await desk.button(ARABIC, f"v:write:{number}-ar")
    preview = await desk.post(ARABIC, Posted(600, "مقهى اللغة يوم الجمعة."))
    await desk.button(ARABIC, data_of(preview, "v:ok:"))
    await desk.button(COORDINATOR, f"x:text:{number}")
    changed = await desk.post(COORDINATOR, Posted(700, "Het taalcafé is zaterdag."))
    assert "Arabisch" in changed.replies[0].text
    async with db.uow() as uow:
        versions = await uow.broadcasts.versions(number)
    assert versions["ar"].state is b.VersionState.MISSING and versions["ar"].text == ""
    assert versions["nl"].text == "Het taalcafé is zaterdag."
