"""One person's burst of hostile messages does not slow anyone else down, over real HTTP."""

from __future__ import annotations

import asyncio
import time

from fakes.bot_api import FakeBotAPI
from harness import Person, RunningBot
from test_resilience import quick_onboard
from texts import seen, tr

from bot.domain.flood import FLOOD_QUIET

HOSTILE = [
    "vermogen" * 20 + "q",  # used to hold the event loop ~3 s in compound splitting
    "baan" * 1000,  # used to raise RecursionError
    "huurtoeslag" * 370,
    "ش" * 4096,
    "ገንዘብ" * 1000,
    "ا" + "\u064b" * 4000,
    "\u200d".join("toeslag" for _ in range(500)),
    "🙂" * 2000,
]


async def reply_time(person: Person, text: str) -> float:
    started = time.monotonic()
    await person.say(text)
    return time.monotonic() - started


async def test_a_flood_of_hostile_messages_leaves_others_unaffected(
        api: FakeBotAPI, bot: RunningBot) -> None:
    flooder, other = Person(api, 4001, language_code="ar"), Person(api, 4002)
    await quick_onboard(flooder, "ar")
    await quick_onboard(other)
    quiet = min([await reply_time(other, "/menu") for _ in range(3)])

    for n in range(300):  # far more than can be answered, as fast as the client can send
        api.user_message(flooder.id, HOSTILE[n % len(HOSTILE)])
    await asyncio.sleep(0.05)
    during = [await reply_time(other, "/menu") for _ in range(3)]
    # Unchanged within the noise of a shared test machine (it used to be seconds per message).
    assert max(during) < quiet + 1.0, (quiet, during)

    await asyncio.sleep(1.0)
    slow_down = tr("ar", SLOW_DOWN)
    answered = api.messages_to(flooder.id)
    assert [seen(c) for c in answered].count(slow_down) == 1, api.dump(flooder.id)
    assert len(answered) < 60  # the backlog was dropped, not answered message by message
    assert bot.rows("SELECT count(*) FROM people") == [(2,)]

    await asyncio.sleep(FLOOD_QUIET)  # a few quiet seconds later they are heard again
    before = len(api.messages_to(flooder.id))
    api.user_message(flooder.id, "/menu")
    await api.wait_for(lambda c: c.chat_id == flooder.id and bool(c.buttons)
                       and len(api.messages_to(flooder.id)) > before, timeout=5)


SLOW_DOWN = ("That is a lot of messages at once. I am answering the first ones and skipping the "
             "rest. Please wait a few seconds, then send again what is still open.")
