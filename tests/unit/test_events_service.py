"""Local events on a real database (SQLite and PostgreSQL), driven as people use them
(commands and buttons through the Desk) with a clock the test moves: an Arabic-speaking
newcomer in Delft finds this week's language café from the demo file, says they will go,
adds it to their calendar, sees the map pin, gets the reminder the evening before and the
follow-up the morning after; the waiting list; a coordinator cancelling a date; forged and
foreign buttons; an iCalendar feed with a weekly event across the clock change and an
all-day event; a malformed feed that keeps its last good events and is told once."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fakes.clock import FixedClock

from bot.content.catalogs import BabelCatalogs
from bot.content.event_feeds import FeedError
from bot.content.event_files import EventsFile, FeedEntry
from bot.content.knowledge import Knowledge, load_demo_events
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import audit, outbox
from bot.domain import events as ev
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller
from bot.domain.person import Role
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.event_sources import EventSources
from bot.services.roles import RolesService
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
ARABIC = Caller(101, 101, "ar")
ENGLISH = Caller(102, 102, "en")
COORDINATOR = Caller(30, 30, "en")  # Delft
DUTCH_COORDINATOR = Caller(31, 31, "nl")  # Delft
LEIDEN_COORDINATOR = Caller(32, 32, "en")
CAFE = "dft-demo-taalcafe"
WEDNESDAY = datetime(2027, 2, 3, 14, tzinfo=ZONE)  # the café this week, 14:00–16:00


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> FixedClock:
    clock = FixedClock()
    clock.now = local(2027, 2, 1, 9)  # Monday 1 February 2027, 09:00 in Delft
    return clock


@pytest.fixture
def db(both_databases: Database) -> Database:
    return both_databases


@pytest.fixture
def desk(db: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
         flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> Desk:
    return Desk(ChatService(db.uow, catalogs, knowledge, flows, search, clock, ZONE),
                knowledge)


@pytest.fixture
def demo(desk: Desk, knowledge: Knowledge, catalogs: BabelCatalogs) -> EventSources:
    """The demo events (console and demos only), read from knowledge/demo/events.yaml."""
    return EventSources(knowledge, catalogs, ZONE, desk.chat.event_notices, KNOWLEDGE_DIR,
                        demo=load_demo_events(KNOWLEDGE_DIR))


@pytest.fixture
def roles(db: Database, knowledge: Knowledge, clock: FixedClock) -> RolesService:
    return RolesService(db.uow, knowledge, clock)


# -- helpers ---------------------------------------------------------------------------------


def tr(catalogs: BabelCatalogs, language: str, message: str) -> str:
    return catalogs.translator(language).gettext(message)


def plain(text: str | None) -> str:
    return strip_controls(text or "")


def buttons(outcome: Any) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row if b.data]


def label(outcome: Any, data: str) -> str:
    found = [b.label for r in outcome.replies for row in r.keyboard for b in row
             if b.data == data]
    assert found, (data, buttons(outcome))
    return plain(found[0])


def text_of(outcome: Any) -> str:
    return plain("\n".join(r.text for r in outcome.replies))


def ethiopic(text: str) -> bool:
    """Written in Ge'ez script (Tigrinya)."""
    return any("\u1200" <= ch <= "\u137f" for ch in text)


def before_value(template: str) -> str:
    """A translated template's words before its first {placeholder}."""
    return template.split("{", 1)[0].strip()


async def onboard(desk: Desk, caller: Caller, municipality: str = "delft") -> None:
    await desk.command(caller, "start")
    for data in ("o:lang:" + (caller.language_code or "en"), "o:consent:yes",
                 f"o:muni:{municipality}", "o:beg:ended"):
        last = await desk.button(caller, data)
    assert "m:topics" in str(last), text_of(last)


async def coordinator(desk: Desk, roles: RolesService, caller: Caller,
                      municipality: str = "delft") -> None:
    """Invited: they opened the bot and chose their language (as accepting an invitation
    asks), never answered the newcomer questions."""
    await desk.command(caller, "whoami")
    async with desk.turns.uow() as uow:
        person = await uow.people.by_telegram_id(caller.telegram_id)
        assert person is not None
        person.language = caller.language_code
        await uow.people.save(person)
        await uow.commit()
    assert await roles.grant(caller.telegram_id, Role.COORDINATOR, municipality)


async def date_of(db: Database, uid: str, start: datetime,
                  municipality: str = "delft") -> int:
    async with db.uow() as uow:
        found, _total = await uow.events.listing(
            municipality, start.astimezone(UTC), start.astimezone(UTC) + timedelta(minutes=1),
            None, 0, 50)
    ids = [o.id for o in found if o.event.uid == uid and o.start == start]
    assert len(ids) == 1, [(o.event.uid, o.start) for o in found]
    return ids[0]


async def stored(db: Database, occurrence_id: int) -> ev.Occurrence:
    async with db.uow() as uow:
        found = await uow.events.occurrence(occurrence_id)
    assert found is not None
    return found


async def person_id(db: Database, caller: Caller) -> int:
    async with db.uow() as uow:
        person = await uow.people.by_telegram_id(caller.telegram_id)
    assert person is not None
    return person.id


async def rsvp_of(db: Database, occurrence_id: int, caller: Caller) -> ev.Rsvp | None:
    who = await person_id(db, caller)
    async with db.uow() as uow:
        return await uow.events.rsvp_of(occurrence_id, who)


async def written(db: Database, caller: Caller) -> list[outbox.Due]:
    """The rows waiting in someone's outbox, with their buttons (read, then rolled back:
    no drainer runs here)."""
    async with db.uow() as uow:
        due = await uow.outbox.claim_due(datetime(2030, 1, 1, tzinfo=UTC), 5000)
    return [d for d in due if d.chat_id == caller.chat_id]


def row_buttons(row: outbox.Due) -> list[str]:
    return [b.data for line in row.message.keyboard for b in line if b.data]


async def audited(db: Database, caller: Caller) -> list[audit.Entry]:
    async with db.uow() as uow:
        return [e for e in await uow.audit.of(caller.telegram_id)
                if e.action is audit.Act.EVENT_CANCEL]


async def remind(desk: Desk, db: Database, at: datetime) -> int:
    return await desk.chat.event_notices.tick(db.uow, at)


# -- the newcomer's story --------------------------------------------------------------------


async def test_an_arabic_newcomer_in_delft_goes_to_the_language_cafe(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    refreshed = await demo.tick(db.uow, clock.now)
    assert refreshed.sources == 4 and refreshed.dates > 0 and refreshed.failed == 0
    await onboard(desk, ARABIC)

    # /events and the menu entry: this week in Delft, soonest first, nothing of Leiden.
    listed = await desk.command(ARABIC, "events")
    assert buttons(listed) == buttons(await desk.button(ARABIC, "m:events"))
    assert "Delft" in text_of(listed)
    cafe = await date_of(db, CAFE, WEDNESDAY)
    shown = [b for b in buttons(listed) if b.startswith("e:o:")]
    assert f"e:o:{cafe}" in shown and len(shown) == 4  # sport, café, CV help, dinner
    starts = [(await stored(db, int(b.split(":")[2]))).start for b in shown]
    assert starts == sorted(starts)
    assert {(await stored(db, int(b.split(":")[2]))).event.municipality for b in shown} == \
        {"delft"}
    assert "مقهى اللغة" in label(listed, f"e:o:{cafe}") and \
        "14:00" in label(listed, f"e:o:{cafe}")
    assert "e:wk:1a0" in buttons(listed) and "e:kinds:0" in buttons(listed)

    # The card, in Arabic: what, when, where, places; I'll go, calendar, map.
    card = await desk.button(ARABIC, f"e:o:{cafe}")
    text = text_of(card)
    assert "مقهى اللغة" in text and "14:00" in text and "16:00" in text
    assert "Demo: community room near the Markt" in text
    assert "12" in text  # 12 of 12 places free
    assert {f"e:go:{cafe}", f"e:ics:{cafe}", f"e:map:{cafe}"} <= set(buttons(card))
    assert not any(b.startswith("a:") for b in buttons(card))  # no coordinator's button

    going = await desk.button(ARABIC, f"e:go:{cafe}")
    assert going.notice == tr(catalogs, "ar", "Good! I will remind you the evening before.")
    assert f"e:no:{cafe}" in buttons(going) and f"e:go:{cafe}" not in buttons(going)
    assert (await stored(db, cafe)).going == 1
    said = await rsvp_of(db, cafe, ARABIC)
    assert said is not None and said.state is ev.RsvpState.GOING
    assert said.reminder_at == local(2027, 2, 2, 18)
    assert said.follow_up_at == local(2027, 2, 4, 11)
    again = await desk.button(ARABIC, f"e:go:{cafe}")  # a second tap changes nothing
    assert (await stored(db, cafe)).going == 1 and f"e:no:{cafe}" in buttons(again)
    assert label(await desk.command(ARABIC, "events"), f"e:o:{cafe}").startswith("✅")

    # Add to my calendar: an .ics file phones open at 14:00 in Delft.
    ics = await desk.button(ARABIC, f"e:ics:{cafe}")
    document = next(r.document for r in ics.replies if r.document is not None)
    assert document.filename.endswith(".ics") and document.mime_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(document.content)
    [item] = calendar.walk("VEVENT")
    start, end = item.decoded("DTSTART"), item.decoded("DTEND")
    assert (start.date(), start.hour, start.minute, end.hour) == (date(2027, 2, 3), 14, 0, 16)
    assert start.utcoffset() == timedelta(hours=1) and start == WEDNESDAY
    assert "Europe/Amsterdam" in str(item["DTSTART"].params.get("TZID", start.tzinfo))
    assert "مقهى اللغة" in str(item["SUMMARY"])

    # The map pin.
    pin = await desk.button(ARABIC, f"e:map:{cafe}")
    place = next(r.place for r in pin.replies if r.place is not None)
    assert (place.latitude, place.longitude) == (52.012, 4.359)
    assert place.title == "Demo: community room near the Markt"

    # The reminder: the evening before at 18:00, once.
    assert await remind(desk, db, local(2027, 2, 2, 17, 59)) == 0
    assert await remind(desk, db, local(2027, 2, 2, 18)) == 1
    assert await remind(desk, db, local(2027, 2, 2, 18, 5)) == 0
    [reminder] = [r for r in await written(db, ARABIC) if r.kind is outbox.Kind.REMINDER]
    text = plain(reminder.message.text)
    assert plain(tr(catalogs, "ar", "⏰ <b>Reminder:</b> you said you would go to this.")) \
        in text
    assert "مقهى اللغة" in text and "14:00" in text
    assert {f"e:no:{cafe}", f"e:ics:{cafe}", f"e:o:{cafe}"} <= set(row_buttons(reminder))
    assert reminder.not_after == WEDNESDAY.astimezone(UTC)

    # The follow-up: the morning after at 11:00, with 👍/👎 and the next café.
    assert await remind(desk, db, local(2027, 2, 4, 10, 59)) == 0
    assert await remind(desk, db, local(2027, 2, 4, 11)) == 1
    assert await remind(desk, db, local(2027, 2, 4, 12)) == 0
    rows = [r for r in await written(db, ARABIC) if r.kind is outbox.Kind.REMINDER]
    assert len(rows) == 2
    follow_up = rows[-1]
    assert before_value(plain(tr(catalogs, "ar", "How was {title}? Tell us with one tap: it "
                                                 "helps the organisers."))) \
        in plain(follow_up.message.text)
    assert "مقهى اللغة" in plain(follow_up.message.text)
    assert said is not None
    assert [f"e:fb:{said.id}-1", f"e:fb:{said.id}-0"] == row_buttons(follow_up)[:2]
    next_cafe = await date_of(db, CAFE, WEDNESDAY + timedelta(weeks=1))
    assert f"e:o:{next_cafe}" in row_buttons(follow_up)

    clock.now = local(2027, 2, 4, 11, 20)
    liked = await desk.button(ARABIC, f"e:fb:{said.id}-1")
    assert liked.notice == tr(catalogs, "ar", "Thank you! The organisers will hear what "
                                             "people thought, never who said it.")
    after = await rsvp_of(db, cafe, ARABIC)
    assert after is not None and after.feedback == 1
    changed = await desk.button(ARABIC, f"e:fb:{said.id}-0")  # a change of mind counts
    assert changed.notice == liked.notice
    after = await rsvp_of(db, cafe, ARABIC)
    assert after is not None and after.feedback == -1


# -- capacity and the waiting list; a coordinator cancels ------------------------------------

LANGUAGES = ["ar", "en", "nl", "ti"]


def crowd(count: int) -> list[Caller]:
    """People 201.. in four languages; the thirteenth reads Tigrinya."""
    return [Caller(201 + i, 201 + i, LANGUAGES[i % 4] if i != 12 else "ti")
            for i in range(count)]


async def test_the_thirteenth_waits_moves_up_and_the_coordinator_cancels(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs, roles: RolesService) -> None:
    await demo.tick(db.uow, clock.now)
    people = crowd(14)
    for caller in people:
        await onboard(desk, caller)
    await coordinator(desk, roles, COORDINATOR)
    cafe = await date_of(db, CAFE, WEDNESDAY)

    for caller in people[:12]:
        going = await desk.button(caller, f"e:go:{cafe}")
        assert going.notice == tr(catalogs, caller.language_code or "en",
                                  "Good! I will remind you the evening before.")
    thirteenth = people[12]
    full = await desk.button(thirteenth, f"e:go:{cafe}")
    assert full.notice and ethiopic(full.notice)  # told in Tigrinya that it is full
    assert full.notice != tr(catalogs, "ti", "Good! I will remind you the evening before.")
    assert f"e:no:{cafe}" in buttons(full)
    waiting = await rsvp_of(db, cafe, thirteenth)
    assert waiting is not None and waiting.state is ev.RsvpState.WAITING
    assert waiting.reminder_at is None
    occurrence = await stored(db, cafe)
    assert (occurrence.going, occurrence.waiting, occurrence.full) == (12, 1, True)
    seen = await desk.button(people[13], f"e:o:{cafe}")  # the next one sees it is full
    assert label(seen, f"e:go:{cafe}") == plain(tr(
        catalogs, people[13].language_code or "en", "⏳ Put me on the waiting list"))

    overview = text_of(await desk.command(COORDINATOR, "attendance"))
    [line] = [x for x in overview.splitlines() if "3 February" in x]
    assert re.search(r"\b12\b", line) and re.search(r"\b1\b", line), line  # going, waiting

    # The third (Dutch) cannot come after all: the thirteenth moves up and is told, in
    # Tigrinya, with the Tigrinya title (a draft, marked ✎).
    third = people[2]
    cannot = await desk.button(third, f"e:no:{cafe}")
    assert tr(catalogs, "nl", "Thank you for letting us know. Your place goes to someone "
                              "else.") in text_of(cannot)
    up = await rsvp_of(db, cafe, thirteenth)
    assert up is not None and up.state is ev.RsvpState.GOING
    assert up.reminder_at == local(2027, 2, 2, 18)
    notices = [r for r in await written(db, thirteenth)
               if r.kind is outbox.Kind.NOTIFICATION]
    assert len(notices) == 1
    told = plain(notices[0].message.text)
    assert plain(tr(catalogs, "ti", "🎉 A place became available: you can go!")) in told
    assert "taalcafé፡ ሆላንድኛ ምልማድ" in told and "✎" in told
    assert {f"e:o:{cafe}", f"e:no:{cafe}"} <= set(row_buttons(notices[0]))
    assert (await stored(db, cafe)).going == 12
    assert not [r for r in await written(db, third) if r.kind is outbox.Kind.NOTIFICATION]

    # The fourteenth waits now; then the coordinator cancels the date.
    await desk.button(people[13], f"e:go:{cafe}")
    confirm = await desk.button(COORDINATOR, f"a:cancel:{cafe}")
    assert f"a:sure:{cafe}" in buttons(confirm) and "13" in text_of(confirm)
    assert not (await stored(db, cafe)).cancelled  # asking is not doing
    done = await desk.button(COORDINATOR, f"a:sure:{cafe}")
    assert "13" in text_of(done) and (await stored(db, cafe)).cancelled
    for caller in [*people[:2], *people[3:]]:
        language = caller.language_code or "en"
        [notice] = [r for r in await written(db, caller)
                    if r.kind is outbox.Kind.NOTIFICATION and "❌" in r.message.text]
        text = plain(notice.message.text)
        assert plain(tr(catalogs, language, "❌ <b>Cancelled:</b> an event you said you "
                                            "would go to.")) in text, (language, text)
        assert plain(tr(catalogs, language, "The organisers cancelled it.")) in text
        title = {"ar": "مقهى اللغة", "en": "Taalcafé: practise Dutch",
                 "nl": "Taalcafé: Nederlands oefenen", "ti": "taalcafé፡ ሆላንድኛ ምልማድ"}
        assert title[language] in text, (language, text)
        assert "e:wk:0a0" in row_buttons(notice)
    assert not [r for r in await written(db, third) if "❌" in r.message.text]

    # Gone from the list; its card says so and offers no "I'll go"; nobody is reminded.
    listed = await desk.command(people[0], "events")
    assert f"e:o:{cafe}" not in buttons(listed)
    card = await desk.button(people[1], f"e:o:{cafe}")
    assert plain(tr(catalogs, "en", "❌ <b>This date was cancelled.</b>")) in text_of(card)
    assert not {f"e:go:{cafe}", f"e:no:{cafe}", f"e:ics:{cafe}"} & set(buttons(card))
    assert await remind(desk, db, local(2027, 2, 2, 18)) == 0
    # A second "yes" is refused as stale and audited; nobody is told twice.
    twice = await desk.button(COORDINATOR, f"a:sure:{cafe}")
    assert twice.notice == tr(catalogs, "en", "This date has passed or was cancelled.")
    entries = await audited(db, COORDINATOR)
    assert [(e.allowed, e.reason) for e in entries] == [
        (True, None), (False, audit.Reason.STALE)]
    assert all(e.municipality == "delft" and e.target == str(cafe) for e in entries)
    assert len([r for r in await written(db, people[0]) if "❌" in r.message.text]) == 1


async def test_the_coordinator_of_the_municipality_cancels_from_the_card_and_audit_shows_it(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        roles: RolesService, catalogs: BabelCatalogs) -> None:
    await demo.tick(db.uow, clock.now)
    await onboard(desk, COORDINATOR)  # lives in Delft and coordinates there
    assert await roles.grant(COORDINATOR.telegram_id, Role.COORDINATOR, "delft")
    cafe = await date_of(db, CAFE, WEDNESDAY)
    card = await desk.button(COORDINATOR, f"e:o:{cafe}")
    assert f"a:cancel:{cafe}" in buttons(card)
    await desk.button(COORDINATOR, f"a:cancel:{cafe}")
    done = await desk.button(COORDINATOR, f"a:sure:{cafe}")
    assert done.notice == tr(catalogs, "en", "Cancelled.")
    assert (await stored(db, cafe)).cancelled
    # /audit lists the cancellation (and the coordinator's /attendance) without failing.
    shown = await desk.command(COORDINATOR, "audit")
    assert str(cafe) in text_of(shown) and "✅" in text_of(shown)


async def test_a_coordinator_who_was_invited_can_open_events_to_cancel_a_date(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        roles: RolesService) -> None:
    """/attendance says "To cancel a date, open it in /events and tap 🛑": a coordinator who
    came by invitation (never answered the newcomer questions) must be able to."""
    await demo.tick(db.uow, clock.now)
    await coordinator(desk, roles, COORDINATOR)
    listed = await desk.command(COORDINATOR, "events")
    cafe = await date_of(db, CAFE, WEDNESDAY)
    assert f"e:o:{cafe}" in buttons(listed), text_of(listed)
    card = await desk.button(COORDINATOR, f"e:o:{cafe}")
    assert f"a:cancel:{cafe}" in buttons(card), text_of(card)


async def test_a_date_a_coordinator_cancelled_stays_cancelled_when_its_source_is_read_again(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        roles: RolesService) -> None:
    await demo.tick(db.uow, clock.now)
    await onboard(desk, ARABIC)
    await coordinator(desk, roles, COORDINATOR)
    cafe = await date_of(db, CAFE, WEDNESDAY)
    await desk.button(ARABIC, f"e:go:{cafe}")
    await desk.button(COORDINATOR, f"a:sure:{cafe}")
    assert (await stored(db, cafe)).cancelled

    # The hourly re-read of the demo file (the café is still weekly there).
    clock.now += timedelta(hours=1, minutes=1)
    refreshed = await demo.tick(db.uow, clock.now)
    assert refreshed.sources == 4
    assert (await stored(db, cafe)).cancelled
    assert f"e:o:{cafe}" not in buttons(await desk.command(ARABIC, "events"))
    # ...and nobody is reminded of a date they were told is cancelled.
    assert await remind(desk, db, local(2027, 2, 2, 18)) == 0


async def test_a_real_bot_removes_the_demo_events_a_console_wrote(
        db: Database, desk: Desk, demo: EventSources, feeds: EventSources,
        clock: FixedClock) -> None:
    await demo.tick(db.uow, clock.now)
    await onboard(desk, ARABIC)
    cafe = await date_of(db, CAFE, WEDNESDAY)
    await desk.button(ARABIC, f"e:go:{cafe}")
    await feeds.tick(db.uow, clock.now)  # the first tick of a bot without demo events
    who = await person_id(db, ARABIC)
    async with db.uow() as uow:
        assert await uow.events.occurrence(cafe) is None
        assert await uow.events.of_person(who) == []
    assert not [b for b in buttons(await desk.command(ARABIC, "events"))
                if b.startswith("e:o:")]
    assert await remind(desk, db, local(2027, 2, 2, 18)) == 0


async def test_someone_in_another_municipality_is_told_where_to_say_where_they_live(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    await demo.tick(db.uow, clock.now)
    await onboard(desk, ENGLISH, "other")
    listed = await desk.command(ENGLISH, "events")
    assert "/settings" in text_of(listed) and "m:settings" in buttons(listed)
    assert not any(b.startswith("e:o:") for b in buttons(listed))
    cafe = await date_of(db, CAFE, WEDNESDAY)
    assert (await desk.button(ENGLISH, f"e:go:{cafe}")).notice == tr(
        catalogs, "en", "I cannot find this event any more. Here is what is on now.")
    assert await rsvp_of(db, cafe, ENGLISH) is None


# -- forged and foreign buttons --------------------------------------------------------------


async def test_forged_and_foreign_buttons_are_refused_clearly_never_a_crash(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs, roles: RolesService) -> None:
    await demo.tick(db.uow, clock.now)
    await onboard(desk, ARABIC)
    await onboard(desk, ENGLISH)
    await coordinator(desk, roles, COORDINATOR)
    await coordinator(desk, roles, LEIDEN_COORDINATOR, "leiden")
    cafe = await date_of(db, CAFE, WEDNESDAY)
    leiden = await date_of(db, "ldn-demo-taalcafe", datetime(2027, 2, 2, 19, tzinfo=ZONE),
                           "leiden")
    unknown = tr(catalogs, "ar", "I do not recognise this button.")
    gone = tr(catalogs, "ar", "I cannot find this event any more. Here is what is on now.")

    for data in ("e:go:abc", "e:wk:9z9", "e:wk:0a", "e:wk:07x", "e:kinds:5", "e:fb:x-1",
                 "e:fb:1-2", "e:no:", "e:o:-1", "e:what:1", f"e:go:{cafe}0000000000000"):
        refused = await desk.button(ARABIC, data)
        assert refused.notice == unknown, (data, refused.notice)
    for data in ("e:o:999999", "e:go:999999", "e:ics:999999", "e:fb:999999-1",
                 f"e:go:{leiden}", f"e:o:{leiden}"):
        refused = await desk.button(ARABIC, data)
        assert refused.notice == gone, (data, refused.notice)
        assert any(b.startswith("e:wk:") for b in buttons(refused))  # the way on
    assert await rsvp_of(db, leiden, ARABIC) is None
    assert await rsvp_of(db, cafe, ARABIC) is None

    # Someone else's feedback button.
    await desk.button(ENGLISH, f"e:go:{cafe}")
    theirs = await rsvp_of(db, cafe, ENGLISH)
    assert theirs is not None
    await remind(desk, db, local(2027, 2, 4, 11))
    clock.now = local(2027, 2, 4, 11, 30)
    assert (await desk.button(ARABIC, f"e:fb:{theirs.id}-0")).notice == gone
    untouched = await rsvp_of(db, cafe, ENGLISH)
    assert untouched is not None and untouched.feedback is None
    clock.now = local(2027, 2, 1, 9)

    # The coordinators' buttons, from a newcomer: refused, nothing cancelled, audited
    # under the municipality the attempt aimed at.
    for data in (f"a:sure:{cafe}", f"a:cancel:{cafe}"):
        refused = await desk.button(ARABIC, data)
        assert refused.notice == tr(catalogs, "ar", "Only coordinators can do this. Nothing "
                                                    "was changed.")
    assert not (await stored(db, cafe)).cancelled
    assert [(e.allowed, e.reason, e.target, e.municipality)
            for e in await audited(db, ARABIC)] == [
        (False, audit.Reason.NO_ROLE, str(cafe), "delft")] * 2

    # A coordinator of Leiden: not for Delft's dates.
    refused = await desk.button(LEIDEN_COORDINATOR, f"a:sure:{cafe}")
    assert refused.replies and refused.notice
    assert not (await stored(db, cafe)).cancelled
    assert [(e.allowed, e.reason, e.municipality)
            for e in await audited(db, LEIDEN_COORDINATOR)] == [
        (False, audit.Reason.OTHER_MUNICIPALITY, "delft")]

    # Delft's coordinator with forged, unknown and stale buttons.
    english_unknown = tr(catalogs, "en", "I do not recognise this button.")
    for data in ("a:sure:abc", "a:nope:1", "a:sure:", "a:sure:1234567890123"):
        assert (await desk.button(COORDINATOR, data)).notice == english_unknown, data
    assert (await desk.button(COORDINATOR, "a:sure:999999")).notice == \
        tr(catalogs, "en", "I cannot find this event any more.")
    clock.now = local(2027, 2, 1, 10, 30)  # Monday's exercise hour began at 10:00
    sport = await date_of(db, "dft-demo-women-sport", datetime(2027, 2, 1, 10, tzinfo=ZONE))
    assert (await desk.button(COORDINATOR, f"a:sure:{sport}")).notice == \
        tr(catalogs, "en", "This date has passed or was cancelled.")
    assert not (await stored(db, sport)).cancelled
    reasons = [e.reason for e in await audited(db, COORDINATOR)]
    # "a:nope:1" is not a cancelling button: refused as a forged wizard button (below).
    assert reasons == [audit.Reason.FORGED] * 3 + [audit.Reason.UNKNOWN_TARGET,
                                                   audit.Reason.STALE]
    async with db.uow() as uow:
        assert [(e.action, e.reason) for e in await uow.audit.of(COORDINATOR.telegram_id)
                if e.action is audit.Act.EVENT_CREATE] == [
            (audit.Act.EVENT_CREATE, audit.Reason.FORGED)]
    assert not any(e.allowed for e in await audited(db, COORDINATOR))


@pytest.mark.parametrize("data", ["e:o:999999999999", "e:go:999999999999",
                                  "e:ics:999999999999", "e:fb:999999999999-1"])
async def test_an_id_too_big_for_the_database_is_refused_not_a_crash(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs, data: str) -> None:
    """Button data may be forged with any 12 digits; PostgreSQL's ids are 32-bit, so more
    than 9 digits is no id of ours: not a button we know."""
    await demo.tick(db.uow, clock.now)
    await onboard(desk, ARABIC)
    refused = await desk.button(ARABIC, data)
    assert refused.notice == tr(catalogs, "ar", "I do not recognise this button.")


async def test_a_coordinators_button_with_an_id_too_big_is_refused_and_audited(
        db: Database, desk: Desk, catalogs: BabelCatalogs, roles: RolesService) -> None:
    await coordinator(desk, roles, COORDINATOR)
    refused = await desk.button(COORDINATOR, "a:sure:999999999999")
    assert refused.notice == tr(catalogs, "en", "I do not recognise this button.")
    assert [e.reason for e in await audited(db, COORDINATOR)] == [audit.Reason.FORGED]


async def test_a_coordinator_of_another_municipality_is_told_so(
        db: Database, desk: Desk, demo: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs, roles: RolesService) -> None:
    await demo.tick(db.uow, clock.now)
    await coordinator(desk, roles, LEIDEN_COORDINATOR, "leiden")
    cafe = await date_of(db, CAFE, WEDNESDAY)
    refused = await desk.button(LEIDEN_COORDINATOR, f"a:sure:{cafe}")
    # They are a coordinator: "Only coordinators can do this" would read wrong.
    assert refused.notice == tr(catalogs, "en", "You are not a coordinator for this "
                                                "municipality. Nothing was changed.")


# -- iCalendar feeds -------------------------------------------------------------------------

FEED_ENTRY = FeedEntry(id="bieb", url="https://bieb.example/agenda.ics",
                       category=ev.Category.LANGUAGE_CAFE, language="nl",
                       source="Bibliotheek Delft, agenda", last_checked=date(2027, 3, 1))
WEEKLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Bibliotheek Delft//NL
BEGIN:VEVENT
UID:taalcafe@bieb-delft
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Amsterdam:20270317T140000
DTEND;TZID=Europe/Amsterdam:20270317T160000
RRULE:FREQ=WEEKLY
SUMMARY:Taalcafé in de bibliotheek
DESCRIPTION:Samen Nederlands oefenen.
LOCATION:Bibliotheek Delft
{extra}END:VEVENT
{override}BEGIN:VEVENT
UID:lentefeest@bieb-delft
DTSTAMP:20270101T000000Z
DTSTART;VALUE=DATE:20270327
DTEND;VALUE=DATE:20270329
SUMMARY:Lentefeest
END:VEVENT
END:VCALENDAR
"""
MOVED = """BEGIN:VEVENT
UID:taalcafe@bieb-delft
DTSTAMP:20270101T000000Z
RECURRENCE-ID;TZID=Europe/Amsterdam:20270331T140000
DTSTART;TZID=Europe/Amsterdam:20270401T150000
DTEND;TZID=Europe/Amsterdam:20270401T170000
SUMMARY:Taalcafé in de bibliotheek (een dag later)
LOCATION:Bibliotheek Delft
END:VEVENT
"""


def feed(extra: str = "", override: str = "") -> bytes:
    return WEEKLY.format(extra=extra, override=override).replace("\n", "\r\n").encode()


class Fetcher:
    """The feed's server: what it answers now (bytes, or an error)."""

    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.calls = 0

    async def __call__(self, entry: FeedEntry) -> bytes:
        assert entry.id == "bieb"
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def fetcher() -> Fetcher:
    return Fetcher(feed())


@pytest.fixture
def feeds(desk: Desk, knowledge: Knowledge, catalogs: BabelCatalogs,
          fetcher: Fetcher) -> Iterator[EventSources]:
    """A real bot (no demo events) whose Delft has the library's feed."""
    with_feed = copy.copy(knowledge)
    with_feed.event_files = {"delft": EventsFile(municipality="delft",
                                                 last_checked=date(2027, 3, 1),
                                                 feeds=[FEED_ENTRY])}
    yield EventSources(with_feed, catalogs, ZONE, desk.chat.event_notices, KNOWLEDGE_DIR,
                       fetch=fetcher)


async def test_a_weekly_feed_event_keeps_14_00_across_the_clock_change_and_an_all_day_one(
        db: Database, desk: Desk, feeds: EventSources, clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    clock.now = local(2027, 3, 22, 9)  # Monday; the clocks go forward on Sunday 28 March
    refreshed = await feeds.tick(db.uow, clock.now)
    assert (refreshed.sources, refreshed.failed) == (1, 0)
    await onboard(desk, ENGLISH)

    before = await date_of(db, "taalcafe@bieb-delft", datetime(2027, 3, 24, 14, tzinfo=ZONE))
    after = await date_of(db, "taalcafe@bieb-delft", datetime(2027, 3, 31, 14, tzinfo=ZONE))
    assert (await stored(db, before)).start == datetime(2027, 3, 24, 13, tzinfo=UTC)
    assert (await stored(db, after)).start == datetime(2027, 3, 31, 12, tzinfo=UTC)
    festival = await date_of(db, "lentefeest@bieb-delft", datetime(2027, 3, 27, tzinfo=ZONE))
    spring = await stored(db, festival)
    assert spring.all_day and spring.end == datetime(2027, 3, 29, tzinfo=ZONE)
    assert spring.end - spring.start == timedelta(hours=47)  # one hour less: the change

    this_week = await desk.command(ENGLISH, "events")
    assert "14:00" in label(this_week, f"e:o:{before}")
    assert "Lentefeest" in label(this_week, f"e:o:{festival}")
    assert ":" not in label(this_week, f"e:o:{festival}").split("·")[0]  # no time
    next_week = await desk.button(ENGLISH, "e:wk:1a0")
    assert "14:00" in label(next_week, f"e:o:{after}")
    assert f"e:o:{before}" not in buttons(next_week)

    card = await desk.button(ENGLISH, f"e:o:{after}")
    text = text_of(card)
    assert "Taalcafé in de bibliotheek" in text and "Bibliotheek Delft" in text
    assert "Wednesday 31 March, 14:00–16:00" in text
    assert "Dutch" in text  # not translated yet: this is the Dutch text
    ics = await desk.button(ENGLISH, f"e:ics:{after}")
    [item] = icalendar.Calendar.from_ical(
        next(r.document for r in ics.replies if r.document).content).walk("VEVENT")
    start = item.decoded("DTSTART")
    assert (start.date(), start.hour, start.utcoffset()) == (
        date(2027, 3, 31), 14, timedelta(hours=2))

    card = await desk.button(ENGLISH, f"e:o:{festival}")
    assert "Saturday 27 March to Sunday 28 March" in text_of(card)
    ics = await desk.button(ENGLISH, f"e:ics:{festival}")
    [item] = icalendar.Calendar.from_ical(
        next(r.document for r in ics.replies if r.document).content).walk("VEVENT")
    assert (item.decoded("DTSTART"), item.decoded("DTEND")) == (date(2027, 3, 27),
                                                                  date(2027, 3, 29))

    # Said "I'll go" to the date after the change: reminded at 18:00 summer time.
    await desk.button(ENGLISH, f"e:go:{after}")
    said = await rsvp_of(db, after, ENGLISH)
    assert said is not None and said.reminder_at == datetime(2027, 3, 30, 16, tzinfo=UTC)


async def test_a_date_dropped_from_the_feed_is_cancelled_and_who_goes_is_told(
        db: Database, desk: Desk, feeds: EventSources, fetcher: Fetcher, clock: FixedClock,
        catalogs: BabelCatalogs) -> None:
    clock.now = local(2027, 3, 22, 9)
    await feeds.tick(db.uow, clock.now)
    await onboard(desk, ARABIC)
    after = await date_of(db, "taalcafe@bieb-delft", datetime(2027, 3, 31, 14, tzinfo=ZONE))
    await desk.button(ARABIC, f"e:go:{after}")

    fetcher.answer = feed(extra="EXDATE;TZID=Europe/Amsterdam:20270331T140000\n")
    clock.now += timedelta(hours=1, minutes=1)
    refreshed = await feeds.tick(db.uow, clock.now)
    assert refreshed.gone == 1 and (await stored(db, after)).cancelled
    [notice] = [r for r in await written(db, ARABIC) if r.kind is outbox.Kind.NOTIFICATION]
    assert plain(tr(catalogs, "ar", "This event is no longer in the organiser's calendar, so "
                                    "it will probably not take place. Check with the "
                                    "organiser if you are not sure.")) \
        in plain(notice.message.text)
    assert "Taalcafé in de bibliotheek" in plain(notice.message.text)


async def test_a_date_the_feed_moves_keeps_who_goes(
        db: Database, desk: Desk, feeds: EventSources, fetcher: Fetcher, clock: FixedClock
) -> None:
    """The organiser moves one date to the next day at 15:00 (RECURRENCE-ID): the same
    date, a new time; whoever goes still goes, is reminded the evening before the new day,
    and nobody is told it was cancelled."""
    clock.now = local(2027, 3, 22, 9)
    await feeds.tick(db.uow, clock.now)
    await onboard(desk, ENGLISH)
    after = await date_of(db, "taalcafe@bieb-delft", datetime(2027, 3, 31, 14, tzinfo=ZONE))
    await desk.button(ENGLISH, f"e:go:{after}")

    fetcher.answer = feed(override=MOVED)
    clock.now += timedelta(hours=1, minutes=1)
    refreshed = await feeds.tick(db.uow, clock.now)
    assert refreshed.gone == 0
    moved = await stored(db, after)
    assert not moved.cancelled
    assert moved.start == datetime(2027, 4, 1, 15, tzinfo=ZONE)
    said = await rsvp_of(db, after, ENGLISH)
    assert said is not None and said.state is ev.RsvpState.GOING
    assert not [r for r in await written(db, ENGLISH) if "❌" in r.message.text]
    assert said.reminder_at == datetime(2027, 3, 31, 18, tzinfo=ZONE)
    assert said.follow_up_at == datetime(2027, 4, 2, 11, tzinfo=ZONE)


async def test_a_malformed_feed_keeps_its_last_good_events_and_is_told_once(
        db: Database, desk: Desk, feeds: EventSources, fetcher: Fetcher, clock: FixedClock,
        catalogs: BabelCatalogs, roles: RolesService) -> None:
    clock.now = local(2027, 3, 22, 9)
    await onboard(desk, ENGLISH)
    await coordinator(desk, roles, COORDINATOR)
    await coordinator(desk, roles, DUTCH_COORDINATOR)
    await coordinator(desk, roles, LEIDEN_COORDINATOR, "leiden")
    await feeds.tick(db.uow, clock.now)
    good = buttons(await desk.command(ENGLISH, "events"))
    assert len([b for b in good if b.startswith("e:o:")]) == 2  # the café and the festival
    assert "1 read without problems" in text_of(await desk.command(COORDINATOR, "attendance"))

    def told(rows: list[outbox.Due]) -> list[outbox.Due]:
        return [r for r in rows if "bieb" in r.message.text]

    # Broken: the last good events stay; each Delft coordinator is told, in their language.
    fetcher.answer = b"<html><body>502 Bad Gateway</body></html>"
    broke_at = clock.now = clock.now + timedelta(hours=1, minutes=1)
    refreshed = await feeds.tick(db.uow, clock.now)
    assert refreshed.failed == 1 and fetcher.calls == 2
    assert buttons(await desk.command(ENGLISH, "events")) == good
    template = ("⚠️ The calendar feed {feed} of {place} cannot be read: {problem}. Its last "
                "good events stay listed. /attendance shows the feeds; I will say this again "
                "only if it works and then fails again.")
    for caller in (COORDINATOR, DUTCH_COORDINATOR):
        [notice] = told(await written(db, caller))
        assert before_value(tr(catalogs, caller.language_code or "en", template)) in \
            plain(notice.message.text)
        assert "Delft" in notice.message.text
    assert told(await written(db, LEIDEN_COORDINATOR)) == []
    assert told(await written(db, ENGLISH)) == []
    async with db.uow() as uow:
        state = await uow.events.feed("delft", "bieb")
    assert state is not None and state.broken and state.failing_since == broke_at
    overview = text_of(await desk.command(COORDINATOR, "attendance"))
    assert "bieb" in overview and "failing since" in overview

    # Unreachable an hour later: still broken since the first failure, nobody told again.
    fetcher.answer = FeedError("cannot fetch the feed: ClientConnectorError")
    clock.now += timedelta(hours=1, minutes=1)
    assert (await feeds.tick(db.uow, clock.now)).failed == 1
    for caller in (COORDINATOR, DUTCH_COORDINATOR):
        assert len(told(await written(db, caller))) == 1
    async with db.uow() as uow:
        state = await uow.events.feed("delft", "bieb")
    assert state is not None and state.failing_since == broke_at
    assert state.error is not None and "ClientConnectorError" in state.error
    assert buttons(await desk.command(ENGLISH, "events")) == good

    # It reads well again: cleared, nobody told; a new failure after that is told anew.
    fetcher.answer = feed()
    clock.now += timedelta(hours=1, minutes=1)
    refreshed = await feeds.tick(db.uow, clock.now)
    assert refreshed.failed == 0 and refreshed.gone == 0
    async with db.uow() as uow:
        state = await uow.events.feed("delft", "bieb")
    assert state is not None and not state.broken and state.reported_at is None
    assert "1 read without problems" in text_of(await desk.command(COORDINATOR, "attendance"))
    assert len(told(await written(db, COORDINATOR))) == 1
    fetcher.answer = b"BEGIN:VCALENDAR\r\nthis is not"
    clock.now += timedelta(hours=1, minutes=1)
    assert (await feeds.tick(db.uow, clock.now)).failed == 1
    assert len(told(await written(db, COORDINATOR))) == 2
    assert buttons(await desk.command(ENGLISH, "events")) == good


async def test_two_feeds_with_the_same_uid_are_both_read_and_neither_stops_the_tick(
        db: Database, desk: Desk, knowledge: Knowledge, catalogs: BabelCatalogs,
        clock: FixedClock) -> None:
    """Two organisers' feeds in one municipality, each with an event whose UID is simply
    "taalcafe@bieb-delft" (copied, or generated alike): both are listed, and one feed's
    trouble never stops the tick for the other sources."""
    clock.now = local(2027, 3, 22, 9)
    other = FEED_ENTRY.model_copy(update={"id": "buurt", "source": "Buurthuis agenda"})
    with_feeds = copy.copy(knowledge)
    with_feeds.event_files = {"delft": EventsFile(municipality="delft",
                                                  last_checked=date(2027, 3, 1),
                                                  feeds=[FEED_ENTRY, other])}

    async def fetch(entry: FeedEntry) -> bytes:
        return feed() if entry.id == "bieb" else feed().replace(
            b"Taalcaf\xc3\xa9 in de bibliotheek", b"Taalcaf\xc3\xa9 in het buurthuis")

    sources = EventSources(with_feeds, catalogs, ZONE, desk.chat.event_notices,
                           KNOWLEDGE_DIR, fetch=fetch)
    refreshed = await sources.tick(db.uow, clock.now)
    assert (refreshed.sources, refreshed.failed) == (2, 0)
    await onboard(desk, ENGLISH)
    listed = await desk.command(ENGLISH, "events")
    labels = [label(listed, b) for b in buttons(listed) if b.startswith("e:o:")]
    assert any("bibliotheek" in x for x in labels) and any("buurthuis" in x for x in labels)
