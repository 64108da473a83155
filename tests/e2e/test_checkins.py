"""Check-ins after begeleiding over real aiogram and HTTP, with a clock the test moves (the
clock port: every part of the bot reads it, the ticks run as the scheduler would).

Amanuel's begeleiding ends next month: he gets the heads-up, then the first check-in,
answers "I need help" and a Tigrinya-speaking sleutelpersoon takes his question. Saba
never answers: one reminder, then she is on the coordinator's "not reached" list, and the
sleutelpersoon reaches out; her reply goes to them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fakes.bot_api import FakeBotAPI, RecordedCall
from harness import Person, RunningBot
from test_handoff import appoint, heard, invite
from texts import data, seen, tr

from bot.services.clock import MovableClock
from bot.services.relay import CLAIMED, REACHED_OUT

ZONE = ZoneInfo("Europe/Amsterdam")


def local(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(local(2027, 1, 10))


async def at(bot: RunningBot, clock: MovableClock, when: datetime) -> None:
    """Time passes: the ticks run, and what they wrote is delivered."""
    await bot.settled()
    clock.move_to(when)
    assert bot.runner is not None and bot.runner.app is not None
    await bot.runner.app.catch_up()


def buttons_of(calls: list[RecordedCall], scope: str) -> list[str]:
    return [d for call in calls for d in data(call) if d.startswith(scope)]


async def until(person: Person, found: Callable[[RecordedCall], bool]) -> RecordedCall:
    for _ in range(5):
        [call] = await heard(person)
        if found(call):
            return call
    raise AssertionError("not among the next five messages")


async def onboard(person: Person, *begeleiding: str) -> None:
    await person.say("/start")
    await person.press("o:lang:ti", replies=2)  # the note that Tigrinya texts are drafts
    for answer in ("o:consent:yes", "o:muni:leiden", *begeleiding):
        await person.press(answer)


async def test_heads_up_check_ins_a_handoff_and_reaching_out_to_who_was_not_reached(
        api: FakeBotAPI, bot: RunningBot, clock: MovableClock) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    helper = await invite(coordinator, "leiden", 901, "ti", "Selam")
    amanuel, saba = Person(api, 101, "ti"), Person(api, 102, "ti")
    await onboard(amanuel, "o:beg:running", "o:year:2027", "o:month:2")  # ends in February
    await onboard(saba, "o:beg:ended")

    # A week later Saba gets her first check-in; she never answers. One reminder after
    # three days, then she counts as not reached.
    await at(bot, clock, local(2027, 1, 17))
    [checkin] = await heard(saba)
    [row] = {d.rsplit(":", 1)[1] for d in buttons_of([checkin], "u:")}
    assert data(checkin) == [f"u:good:{row}", f"u:hard:{row}", f"u:help:{row}"]
    await at(bot, clock, local(2027, 1, 20, 13))
    [reminder] = await heard(saba)
    assert data(reminder) == data(checkin)
    await at(bot, clock, local(2027, 1, 24, 13))
    api.user_message(coordinator.id, "/checkins")
    # (Reminders to have one-to-one talks came meanwhile: the list follows them.)
    overview = await until(coordinator, lambda call: any(
        d.startswith("n:reach:") for d in data(call)))
    [reach] = data(overview)
    assert reach == f"n:reach:{row}"
    [asked] = await coordinator.press(reach)
    assert "Asked" in seen(asked)

    # The sleutelpersoon who speaks Tigrinya takes it; Saba hears from them, and her reply
    # is copied to them.
    [request] = await heard(helper)
    [take] = data(request)
    await helper.press(take, replies=1)
    [hello] = await heard(saba)
    assert tr("ti", REACHED_OUT).format(name="Selam") in seen(hello)
    api.user_message(saba.id, "ሰላም፡ ደሓን እየ", language_code="ti")
    [copied] = await heard(helper)
    assert copied.method == "copyMessage"

    # Amanuel: the heads-up two weeks before the end of February, with the topic, a person
    # and the menu (the two seasonal reminders of February come with it).
    await at(bot, clock, local(2027, 2, 14))
    february = await heard(amanuel, 3)
    [heads_up] = [c for c in february if "t:begeleiding:changes" in data(c)]
    # The topic's "what changes" step, local organisations for paperwork, a person, menu.
    assert data(heads_up)[0] == "t:begeleiding:changes"
    assert data(heads_up)[-2:] == ["h:menu", "m:menu"]
    assert any(d.startswith("k:") for d in data(heads_up))
    assert sum("m:settings" in data(c) for c in february) == 2  # reminders: can be turned off

    # A week after the end, the first check-in (and March's reminder); he needs help.
    await at(bot, clock, local(2027, 3, 8))
    march = await heard(amanuel, 2)
    [checkin] = [c for c in march if buttons_of([c], "u:help:")]
    answers = await amanuel.press(buttons_of([checkin], "u:help:")[0], replies=2, on=checkin)
    [cancel] = [d for d in data(answers[-1]) if d.startswith("h:cancel:")]
    [card] = await heard(helper)
    assert data(card) == [f"r:claim:{cancel.rsplit(':', 1)[1]}"]
    await helper.press(data(card)[0], replies=1)
    [claimed] = await heard(amanuel)
    assert tr("ti", CLAIMED).format(name="Selam") in seen(claimed)
    assert bot.rows("SELECT source FROM handoffs ORDER BY id") == [("reach_out",),
                                                                     ("checkin",)]
