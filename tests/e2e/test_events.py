"""Local events over real aiogram and HTTP, with a clock the test moves.

Delft has a weekly language café (events.yaml, written in Dutch, English and Arabic by a
person) and a library feed (an .ics file: a weekly cooking evening, a walk, and an
all-day festival). Leiden's feed is broken. Amal, who reads Arabic, finds this week's
language café, says she will go, adds it to her calendar, sees it on the map, gets the
reminder the evening before and the follow-up the morning after. The café is full after
two: Selam (Tigrinya) waits and moves up when John cancels from his reminder. Delft's
coordinator cancels the walk; Amal, who was going, is told in Arabic. Next week the café
is still at 14:00, after the clock change. Leiden's coordinator hears of the broken feed
once and finds it in /attendance. Amal also asks for someone to go with her (Noor, a
sleutelpersoon who reads Arabic, is asked and takes it), and subscribes to language cafés:
on Monday morning one digest lists the next café.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fakes.bot_api import FakeBotAPI, RecordedCall
from harness import Person, RunningBot
from test_handoff import appoint, heard, invite
from texts import data, labels, seen, tr

from bot.domain.bidi import strip_controls
from bot.services.clock import MovableClock
from bot.settings import PROJECT_ROOT, Settings

ZONE = ZoneInfo("Europe/Amsterdam")
CAFE_AR = "مقهى اللغة (taalcafé) في المكتبة"

EVENTS_YAML = f"""
municipality: delft
last_checked: 2027-03-01
feeds:
  - id: bieb
    file: feeds/delft.ics
    category: meal
    language: nl
    source: a test feed
    last_checked: 2027-03-01
events:
  - id: taalcafe
    category: language_cafe
    text:
      nl: {{title: Taalcafé in de bibliotheek, description: Samen Nederlands oefenen.}}
      en: {{title: Language café at the library, description: Practise Dutch together.}}
      ar: {{title: "{CAFE_AR}", description: نتدرّب معاً على اللغة الهولندية.}}
    start: 2027-03-10T14:00
    end: 2027-03-10T16:00
    repeat: FREQ=WEEKLY
    venue: {{name: Test library, address: Testplein 1, latitude: 52.012, longitude: 4.359}}
    languages: [nl, ar]
    capacity: 2
    source: a test
    last_checked: 2027-03-01
"""
DELFT_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//feed//NL
BEGIN:VEVENT
UID:koken@bieb
DTSTAMP:20270301T000000Z
DTSTART;TZID=Europe/Amsterdam:20270318T180000
DTEND;TZID=Europe/Amsterdam:20270318T200000
RRULE:FREQ=WEEKLY
SUMMARY:Samen koken
END:VEVENT
BEGIN:VEVENT
UID:wandeling@bieb
DTSTAMP:20270301T000000Z
DTSTART;TZID=Europe/Amsterdam:20270326T100000
DTEND;TZID=Europe/Amsterdam:20270326T113000
SUMMARY:Wandeling door Delft
END:VEVENT
BEGIN:VEVENT
UID:feest@bieb
DTSTAMP:20270301T000000Z
DTSTART;VALUE=DATE:20270327
DTEND;VALUE=DATE:20270328
SUMMARY:Lentefeest
END:VEVENT
END:VCALENDAR
"""


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(local(2027, 3, 22, 10))  # a Monday; the clocks change on the 28th


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The project's content with Delft's events and feed, and a broken feed in Leiden."""
    root = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "knowledge", root / "knowledge")
    for linked in ("flows", "locales"):
        (root / linked).symlink_to(PROJECT_ROOT / linked)
    knowledge = root / "knowledge"
    (knowledge / "feeds").mkdir()
    (knowledge / "feeds" / "delft.ics").write_text(DELFT_ICS)
    (knowledge / "feeds" / "leiden.ics").write_text("<html>502 Bad Gateway</html>")
    (knowledge / "municipalities" / "delft" / "events.yaml").write_text(EVENTS_YAML)
    (knowledge / "municipalities" / "leiden" / "events.yaml").write_text(
        "municipality: leiden\nlast_checked: 2027-03-01\nfeeds:\n  - id: agenda\n"
        "    file: feeds/leiden.ics\n    category: culture\n    source: a test feed\n"
        "    last_checked: 2027-03-01\n")
    return root


class EventsBot(RunningBot):
    def __init__(self, api: FakeBotAPI, data_dir: Path, content: Path,
                 clock: MovableClock) -> None:
        super().__init__(api, data_dir, clock=clock)
        self.content = content

    def settings(self) -> Settings:
        return super().settings().model_copy(update={"content_dir": self.content})

    async def ticks(self) -> None:
        assert self.runner is not None and self.runner.app is not None
        await self.runner.app.catch_up()


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, content: Path, clock: MovableClock):  # type: ignore[no-untyped-def]
    running = EventsBot(api, tmp_path, content, clock)
    await running.start()
    yield running
    if running._task is not None:
        await running.stop()
    assert not api.errors, "the fake Bot API rejected requests:\n" + api.dump()


async def newcomer(api: FakeBotAPI, telegram_id: int, language: str) -> Person:
    person = Person(api, telegram_id, language_code=language)
    await person.say("/start")
    await person.press(f"o:lang:{language}", replies=2 if language == "ti" else 1)
    for answer in ("o:consent:yes", "o:muni:delft", "o:beg:ended"):
        await person.press(answer)
    return person


def button_for(call: RecordedCall, text: str) -> str:
    [found] = [b["callback_data"] for row in call.buttons for b in row
               if strip_controls(text) in strip_controls(b["text"])]
    return str(found)


async def test_a_newcomer_in_arabic_goes_to_the_language_cafe(
        api: FakeBotAPI, bot: EventsBot, clock: MovableClock) -> None:
    leiden = await appoint(api, bot, 7001, "leiden")
    await leiden.say("/whoami")
    delft = await appoint(api, bot, 7002, "delft")
    await delft.say("/whoami")
    await bot.ticks()  # the feeds read again: Leiden's is broken, its coordinator is told
    [broken] = await heard(leiden)
    assert "agenda" in seen(broken)
    await bot.ticks()
    told = [c for c in api.messages_to(leiden.id) if "agenda" in seen(c)]
    assert told == [broken], "told once, not at every read"

    amal = await newcomer(api, 7101, "ar")
    [listing] = await amal.press("m:events")
    assert tr("ar", "📅 <b>This week in {place}</b>").format(place="Delft") in seen(listing)
    shown = labels(listing)
    assert any(CAFE_AR in label and "14:00" in label for label in shown), shown
    assert any("Samen koken" in label and "18:00" in label for label in shown), shown
    assert any("Lentefeest" in label for label in shown)  # all day: no hour
    [card] = await amal.press(button_for(listing, CAFE_AR))
    assert CAFE_AR in seen(card) and "Testplein 1" in seen(card)
    assert "الأربعاء 24 مارس/آذار" in seen(card)  # Wednesday 24 March, both month names
    notice, card = await amal.press(button_for(card, tr("ar", "✋ I'll go")), replies=2)
    assert tr("ar", "Good! I will remind you the evening before.") in seen(notice)
    assert tr("ar", "✅ You said you will go.") in seen(card)

    [calendar] = await amal.press(button_for(card, tr("ar", "📅 Add to my calendar")))
    assert calendar.method == "sendDocument"
    parsed = icalendar.Calendar.from_ical(calendar.files["document"].content)
    [event] = parsed.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2027, 3, 24, 14, tzinfo=ZONE)
    assert str(event["summary"]) == CAFE_AR
    pin, _where = await amal.press(button_for(calendar, tr("ar", "📍 Show on the map")),
                                   replies=2)
    assert pin.method == "sendVenue" and pin.message is not None
    assert pin.message["venue"]["location"] == {"latitude": 52.012, "longitude": 4.359}

    # Amal would like someone to go with her: Noor, a sleutelpersoon who reads Arabic, is asked.
    noor = await invite(delft, "delft", 7201, "ar", "Noor")
    [card_again] = await amal.press(button_for(_where, tr("ar", "🗓 Show the event")))
    intro, _status = await amal.press(button_for(card_again, tr("ar", "🤝 Ask someone to go "
                                                                     "with me")), replies=2)
    assert tr("ar", "I am asking the sleutelpersonen who speak your language whether someone "
                    "can go with you. You can write here, for example where you would like "
                    "to meet.") in seen(intro)
    [asked] = await heard(noor)
    assert CAFE_AR in seen(asked) and "🤝" in seen(asked)
    [claim] = data(asked)
    await noor.press(claim, on=asked)  # Noor takes it; Amal is told who will write
    await heard(amal)

    # Two places: John goes, Selam waits.
    john = await newcomer(api, 7102, "en")
    selam = await newcomer(api, 7103, "ti")
    cafe = button_for(card, tr("ar", "📅 Add to my calendar")).replace("e:ics:", "")
    await john.say("/events")
    await john.press(f"e:o:{cafe}")
    _said, _card = await john.press(f"e:go:{cafe}", replies=2)
    await selam.say("/events")
    await selam.press(f"e:o:{cafe}")
    waiting, _card = await selam.press(f"e:go:{cafe}", replies=2)
    assert tr("ti", "It is full, so you are on the waiting list. I will tell you when a "
                    "place becomes available.") in seen(waiting)

    # Amal also goes for the walk on Friday, which Delft's coordinator cancels.
    [walk_list] = await amal.say("/events")
    [walk] = await amal.press(button_for(walk_list, "Wandeling"))
    await amal.press(button_for(walk, tr("ar", "✋ I'll go")), replies=2)
    walk_id = button_for(walk, tr("ar", "📅 Add to my calendar")).replace("e:ics:", "")
    await delft.say("/events")
    [coordinator_card] = await delft.press(f"e:o:{walk_id}")
    [sure] = await delft.press(button_for(coordinator_card, "🛑"))
    assert "1" in seen(sure)
    await delft.press(f"a:sure:{walk_id}")
    [cancelled] = await heard(amal)
    assert tr("ar", "The organisers cancelled it.") in seen(cancelled)

    # Tuesday 18:00: the reminders; John cannot come, so Selam moves up.
    await bot.settled()
    clock.move_to(local(2027, 3, 23, 18, 1))
    await bot.ticks()
    [reminder] = await heard(amal)
    assert CAFE_AR in seen(reminder)
    assert tr("ar", "⏰ <b>Reminder:</b> you said you would go to this.").replace(
        "<b>", "").replace("</b>", "") in seen(reminder)
    [johns] = await heard(john)
    [thanks] = await john.press(button_for(johns, tr("en", "❌ I cannot come")), on=johns)
    assert "someone else" in seen(thanks)
    [moved_up] = await heard(selam)
    assert tr("ti", "🎉 A place became available: you can go!") in seen(moved_up)

    # Thursday 11:00: how was it?
    await bot.settled()
    clock.move_to(local(2027, 3, 25, 11, 1))
    await bot.ticks()
    [follow_up] = await heard(amal)
    assert "👍" in labels(follow_up)
    await amal.press(button_for(follow_up, "👍"), on=follow_up)
    assert bot.rows("SELECT feedback FROM event_rsvps WHERE feedback IS NOT NULL") == [(1,)]

    # After the clock change the café is still at 14:00.
    [next_week] = await amal.say("/events")
    [later] = await amal.press(button_for(next_week, tr("ar", "Next week")))
    assert any(CAFE_AR in label and "14:00" in label for label in labels(later))

    # Leiden's coordinator sees the broken feed, and Delft's the counts.
    [overview] = await leiden.say("/attendance")
    assert "agenda" in seen(overview)
    counts = await delft.say("/attendance")
    while "Wandeling" not in seen(counts[-1]):  # a one-to-one reminder may come first
        counts = await heard(delft)
    counts = counts[-1:]
    [counts] = counts
    assert tr("en", "going: {going}, waiting: {waiting}").format(going=1, waiting=0) \
        in seen(counts)
    assert "Wandeling door Delft" in seen(counts) and "❌" in seen(counts)
    # Amal asks to hear about language cafés: on Monday morning, one message.
    [kinds] = await amal.press(button_for(later, tr("ar", "🔎 By kind")))
    [cafes] = await amal.press(button_for(kinds, tr("ar", "☕ Language café")))
    _done, _cafes = await amal.press(button_for(cafes, tr("ar", "🔔 Tell me every Monday")),
                                    replies=2)
    assert bot.rows("SELECT category FROM event_subscriptions") == [("language_cafe",)]
    await bot.settled()
    clock.move_to(local(2027, 3, 29, 9, 31))
    await bot.ticks()
    [digest] = await heard(amal)
    assert any(CAFE_AR in label and "14:00" in label for label in labels(digest))
    await bot.ticks()
    assert [c for c in api.messages_to(amal.id) if "e:unsub:a" in data(c)] == [digest], \
        "one digest a week"

    assert all(d.startswith(("e:", "m:")) for d in data(listing))


async def test_a_coordinator_creates_an_event_in_dutch_that_a_newcomer_reads_in_arabic(
        api: FakeBotAPI, bot: EventsBot, clock: MovableClock) -> None:
    await appoint(api, bot, 7002, "delft")
    coordinator = Person(api, 7002, language_code="nl")
    await coordinator.say("/whoami")
    noor = await invite(coordinator, "delft", 7201, "ar", "Noor")

    await coordinator.say("/newevent", replies=2)  # who writes what, then the title
    await coordinator.say("Samen eten in de buurt")
    await coordinator.say("We koken en eten samen. Iedereen is welkom.")
    when, _again = await coordinator.say("31-3-2026", replies=2)  # a day that has passed
    assert tr("nl", "I cannot read that as a day from today on. For example 24-03-2027.") \
        in seen(when)
    await coordinator.say("31-3-2027")
    await coordinator.say("18:00-20:00")
    await coordinator.press("a:rep:4")
    await coordinator.press("a:kind:1")  # a meal
    await coordinator.press("a:aud:families")
    await coordinator.say("Buurthuis De Pijl, Teststraat 5")
    [preview] = await coordinator.say("12")
    assert "Samen eten in de buurt" in seen(preview) and "Teststraat 5" in seen(preview)
    [published] = await coordinator.press("a:pub")
    assert tr("nl", "Published. Dates: {count}. Newcomers find it in /events.").format(
        count=4) in seen(published)
    assert bot.rows("SELECT COUNT(*) FROM event_occurrences o JOIN events e "
                    "ON e.id = o.event_id WHERE e.source = 'bot'") == [(4,)]
    [event_id] = [row[0] for row in bot.rows("SELECT id FROM events WHERE source = 'bot'")]

    [asked] = await coordinator.press(f"a:ask:{event_id}-ar")
    assert "Noor" in seen(asked)
    [request] = await heard(noor)
    assert "Samen eten in de buurt" in seen(request)
    await noor.press(f"y:write:{event_id}-ar", on=request)
    await noor.say("عشاء مشترك في الحي\nنطبخ ونأكل معاً. الجميع مرحَّب بهم.", replies=3)
    await noor.press(f"y:ok:{event_id}-ar")
    [told] = await heard(coordinator)
    assert "Noor" in seen(told)

    await bot.settled()

    clock.move_to(local(2027, 3, 29, 10))
    amal = await newcomer(api, 7101, "ar")
    [listing] = await amal.press("m:events")
    [card] = await amal.press(button_for(listing, "عشاء مشترك في الحي"))
    assert "نطبخ ونأكل معاً" in seen(card) and "✎" not in seen(card)
    assert "Buurthuis De Pijl" in seen(card)
    await amal.press(button_for(card, tr("ar", "✋ I'll go")), replies=2)

    # The coordinator moves that evening an hour later: Amal is told the new time.
    date_id = button_for(card, tr("ar", "📅 Add to my calendar")).removeprefix("e:ics:")
    await coordinator.say("/events")
    [mine] = await coordinator.press(f"e:o:{date_id}")
    [what] = await coordinator.press(button_for(mine, tr("nl", "✏️ Change (coordinator)")))
    await coordinator.press(f"a:ed:{date_id}-time", on=what)
    [changed] = await coordinator.say("19:00-21:00")
    assert tr("nl", "Changed. Newcomers see it at once.") in seen(changed)
    [moved] = await heard(amal)
    assert "19:00" in seen(moved) and "عشاء مشترك في الحي" in seen(moved)


async def test_forged_and_foreign_event_buttons_are_refused(
        api: FakeBotAPI, bot: EventsBot) -> None:
    amal = await newcomer(api, 7101, "ar")
    [listing] = await amal.say("/events")
    cafe = button_for(listing, CAFE_AR).removeprefix("e:o:")
    leiden = await appoint(api, bot, 7001, "leiden")
    await leiden.say("/whoami")
    unknown = tr("ar", "I do not recognise this button.")
    gone = tr("ar", "I cannot find this event any more. Here is what is on now.")
    only = tr("ar", "Only coordinators can do this. Nothing was changed.")
    for person, forged, said, count in (
            (amal, "e:go:abc", unknown, 2), (amal, "e:wk:9z9", unknown, 2),
            (amal, "e:o:999999", gone, 2), (amal, f"a:sure:{cafe}", only, 1),
            (amal, "a:pub", only, 1),
            (leiden, f"a:sure:{cafe}", tr("en", "You are not a coordinator for this "
                                               "municipality. Nothing was changed."), 1),
            (leiden, "y:ok:1-ar", tr("en", "Only sleutelpersonen can do this. Nothing was "
                                           "changed."), 1)):
        api.press_raw_callback(person.id, forged)
        answers = await heard(person, count)  # the answer, then where they were
        assert said in seen(answers[0]), (forged, seen(answers[0]))
    # The refusals by the coordinators' and sleutelpersonen's scopes are written down.
    audited = bot.rows("SELECT action, allowed, reason FROM audit_log WHERE allowed = 0")
    assert ("events.cancel", 0, "no-role") in audited
    assert ("events.cancel", 0, "other-municipality") in audited
    assert bot.rows("SELECT COUNT(*) FROM event_rsvps") == [(0,)]
