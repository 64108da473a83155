"""Coordinator broadcasts over real aiogram and HTTP, with a clock the test moves.

A coordinator who reads Dutch writes an announcement for Leiden: 400 newcomers in four
languages. Noor (Arabic) and Selam (Tigrinya) are asked for their versions, write them and
approve them; English readers get the Dutch text. The status message counts up and ends
with the final report. A second announcement, written in quiet hours, waits for the
morning and is cancelled before it goes. Nobody else can send or approve one, forged
buttons included.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fakes.bot_api import FakeBotAPI, RecordedCall
from harness import Person, RunningBot
from test_handoff import appoint, heard, invite, newcomer_of
from texts import data, seen, tr

from bot.domain.person import Begeleiding
from bot.services.clock import MovableClock
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
SEEDED = 99  # newcomers per language written straight into the database (plus 4 real)
DUTCH = "Vrijdag is er een taalcafé in de bibliotheek, van 14:00 tot 16:00."
ARABIC = "يوم الجمعة مقهى لغة في المكتبة، من 14:00 إلى 16:00."
TIGRINYA = "ዓርቢ ኣብ ቤተ-መጻሕፍቲ ቋንቋ ካፈ ኣሎ፡ ካብ 14:00 ክሳብ 16:00።"


def local(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(local(2027, 2, 3, 14))


async def seed(bot: RunningBot, clock: MovableClock) -> None:
    """Onboarded newcomers in Leiden, 99 per language, as the services leave them."""
    database = Database(bot.settings().db_url)
    try:
        async with database.uow() as uow:
            for n, language in enumerate(("ar", "ti", "en", "nl") * SEEDED):
                person = await uow.people.add(50_000 + n, 50_000 + n, clock())
                person.language, person.municipality = language, "leiden"
                person.begeleiding, person.consented_at = Begeleiding.ENDED, clock()
                await uow.people.save(person)
            await uow.commit()
    finally:
        await database.dispose()


async def until_done(bot: RunningBot, number: int) -> None:
    for _ in range(300):
        assert bot.runner is not None and bot.runner.app is not None
        await bot.runner.app.catch_up()
        if bot.rows("SELECT state FROM broadcasts WHERE id = ?", number) == [("done",)]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the broadcast did not finish")


def to(api: FakeBotAPI, chat_id: int) -> list[RecordedCall]:
    return [c for c in api.sent if c.chat_id == chat_id and c.message is not None
            and c.method in ("sendMessage", "editMessageText", "copyMessage")]


async def write_version(person: Person, request: RecordedCall, text: str) -> None:
    [write] = data(request)
    await person.press(write, on=request)
    preview = await person.say(text, replies=3)
    assert text in seen(preview[1])
    [ok] = [d for d in data(preview[2]) if d.startswith("v:ok:")]
    [thanks] = await person.press(ok)
    assert "✅" not in seen(thanks) or thanks.text


async def test_a_dutch_coordinator_reaches_400_newcomers_in_four_languages(
        api: FakeBotAPI, bot: RunningBot, clock: MovableClock) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    noor = await invite(coordinator, "leiden", 901, "ar", "Noor")
    selam = await invite(coordinator, "leiden", 902, "ti", "Selam")
    readers = {code: await newcomer_of(api, 100 + n, code)
               for n, code in enumerate(("ar", "ti", "en", "nl"))}
    await seed(bot, clock)
    coordinator.language_code = "nl"

    [start] = await coordinator.say("/broadcast")
    [source] = [d for d in data(start) if d.endswith("-nl")]
    number = int(source.split(":")[2].split("-")[0])
    await coordinator.press(source)
    [audience] = await coordinator.say(DUTCH)
    assert "400" in seen(audience)
    await coordinator.press(f"x:when:{number}")
    [summary] = await coordinator.press(f"x:now:{number}")
    assert f"x:ask:{number}-ar" in data(summary)

    # Noor and Selam are asked; the English readers get the Dutch text.
    await coordinator.press(f"x:ask:{number}-ar", replies=2)
    [asked_noor] = await heard(noor)
    assert DUTCH in seen(asked_noor) and "100" in seen(asked_noor)
    await coordinator.press(f"x:ask:{number}-ti", replies=2)
    [asked_selam] = await heard(selam)
    await coordinator.press(f"x:source:{number}-en")
    # Arabic and Tigrinya have no text yet; English and Dutch readers as they will get it.
    previews = await coordinator.press(f"x:preview:{number}", replies=7)
    assert "100" in seen(previews[0])
    assert DUTCH in seen(previews[3]) and DUTCH in seen(previews[5])
    [confirmed] = await coordinator.press(f"x:send:{number}")
    assert "400" in seen(confirmed)
    await asyncio.sleep(0.3)
    assert bot.rows("SELECT state FROM broadcasts WHERE id = ?", number) == [("confirmed",)]

    # They write and approve; the coordinator hears who did.
    await write_version(noor, asked_noor, ARABIC)
    [told] = await heard(coordinator)
    assert "Noor" in seen(told)
    await write_version(selam, asked_selam, TIGRINYA)
    [told] = await heard(coordinator)
    assert "Selam" in seen(told)

    # It goes: each reader in their language, the status message counting up to the end.
    await until_done(bot, number)
    assert ARABIC in seen(to(api, readers["ar"].id)[-1])
    assert TIGRINYA in seen(to(api, readers["ti"].id)[-1])
    assert DUTCH in seen(to(api, readers["en"].id)[-1])
    assert DUTCH in seen(to(api, readers["nl"].id)[-1])
    got = [c.chat_id for c in api.sent if c.method == "sendMessage"
           and c.chat_id is not None and isinstance(c.chat_id, int) and c.chat_id >= 50_000]
    assert len(got) == len(set(got)) == 4 * SEEDED  # everyone once
    await asyncio.sleep(0.5)
    assert bot.runner is not None and bot.runner.app is not None
    await bot.runner.app.catch_up()
    status = [c for c in to(api, coordinator.id) if "#" + str(number) in seen(c)]
    # The second line says how many of all were sent ("Verzonden: 120 van 400").
    lines = [seen(c).splitlines() for c in status]
    sent_counts = [int(re.findall(r"\d+", shown[1])[0]) for shown in lines
                   if len(shown) > 2 and re.fullmatch(r"\D*\d+\D+400\D*", shown[1])]
    assert sent_counts[0] < 400 and sent_counts[-1] == 400, sent_counts
    assert sent_counts == sorted(sent_counts)
    assert any(c.method == "editMessageText" for c in status)
    assert bot.rows("SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND status = 'sent'",
                    number) == [(400,)]


async def test_quiet_hours_hold_it_a_cancel_stops_it_and_nobody_else_may(
        api: FakeBotAPI, bot: RunningBot, clock: MovableClock) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    elsewhere = await appoint(api, bot, 950, "delft")
    noor = await invite(coordinator, "leiden", 901, "ar", "Noor")
    reader = await newcomer_of(api, 101, "en")
    await bot.settled()
    clock.move_to(local(2027, 2, 3, 22))

    [start] = await coordinator.say("/broadcast")
    number = int(data(start)[0].split(":")[2].split("-")[0])
    await coordinator.press(f"x:src:{number}-en")
    await coordinator.say("The town hall is closed tomorrow.")
    await coordinator.press(f"x:when:{number}")
    [summary] = await coordinator.press(f"x:now:{number}")
    assert "x:ask:" not in str(data(summary))  # only English readers: the text is theirs
    await coordinator.press(f"x:send:{number}")
    assert bot.runner is not None and bot.runner.app is not None
    await bot.runner.app.catch_up()
    assert bot.rows("SELECT state FROM broadcasts WHERE id = ?", number) == [("confirmed",)]

    # Nobody else can send, cancel or write it, not with forged buttons either.
    for person, forged, said in (
            (reader, f"x:send:{number}", "Only coordinators can do this. Nothing was changed."),
            (elsewhere, f"x:cancel:{number}", "This announcement belongs to another "
                                              "municipality. Nothing was changed."),
            (noor, f"v:write:{number}-ti", "Your profile does not say you speak this "
                                           "language. Nothing was changed."),
            (reader, "x:send:99999999999", "Only coordinators can do this. Nothing was "
                                           "changed.")):
        api.press_raw_callback(person.id, forged)
        [refused] = await heard(person)
        assert tr(person.language_code, said) in seen(refused), seen(refused)
    [refused] = await reader.say("/broadcast")
    assert "Only coordinators" in seen(refused)

    # The coordinator cancels it from the list; in the morning nothing goes out.
    [listing] = await coordinator.say("/broadcast")
    assert f"x:cancel:{number}" in data(listing)
    [cancelled] = await coordinator.press(f"x:cancel:{number}")
    assert f"#{number}" in seen(cancelled)
    await bot.settled()
    clock.move_to(local(2027, 2, 4, 9))
    await bot.runner.app.catch_up()
    await asyncio.sleep(0.3)
    assert not [c for c in to(api, reader.id) if "town hall" in seen(c)]
    assert bot.rows("SELECT state FROM broadcasts WHERE id = ?", number) == [("cancelled",)]
    assert bot.rows("SELECT COUNT(*) FROM audit_log WHERE allowed = 0") != [(0,)]


async def test_a_photo_goes_with_each_languages_text_as_its_caption(
        api: FakeBotAPI, bot: RunningBot, clock: MovableClock) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    readers = [await newcomer_of(api, 101, "en"), await newcomer_of(api, 102, "ar")]
    [start] = await coordinator.say("/broadcast")
    number = int(data(start)[0].split(":")[2].split("-")[0])
    await coordinator.press(f"x:src:{number}-en")
    api.user_photo(coordinator.id, caption="The new library opens on Saturday.")
    [audience] = await heard(coordinator)
    assert "x:when:" in str(data(audience))
    await coordinator.press(f"x:when:{number}")
    await coordinator.press(f"x:now:{number}")
    await coordinator.press(f"x:source:{number}-ar")
    previews = await coordinator.press(f"x:preview:{number}", replies=7)
    assert "The new library" in seen(previews[2])
    await coordinator.press(f"x:send:{number}")
    await until_done(bot, number)
    for reader in readers:
        [copied] = [c for c in api.sent if c.chat_id == reader.id
                    and c.method == "copyMessage"]
        assert copied.params["from_chat_id"] in (900, "900")
        assert "The new library opens on Saturday." in seen(copied)
        assert copied.media is not None and copied.media[0] == "photo"
