"""Restarts, stale and forged buttons, stickers, crashes, 429 and 403, privacy rights."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotAPI
from harness import Person, RunningBot
from texts import data, seen, tr

from bot.services.ask import Ask
from bot.services.onboarding import Onboarding


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def quick_onboard(person: Person, lang: str = "en") -> None:
    await person.say("/start")
    await person.press(f"o:lang:{lang}", replies=2 if lang == "ti" else 1)
    for answer in ("o:consent:yes", "o:muni:leiden", "o:beg:ended"):
        await person.press(answer)


async def test_restart_in_the_middle_of_onboarding_resumes(api: FakeBotAPI,
                                                           bot: RunningBot) -> None:
    person = Person(api, 2001, language_code="ti")
    await person.say("/start")
    await person.press("o:lang:ti", replies=2)  # the draft note, then the consent question
    [where] = await person.press("o:consent:yes")
    await bot.stop()  # the process dies; a new Dispatcher and state start on the same database
    await bot.start()
    [guidance] = await person.press("o:muni:delft", on=where)  # the button sent before
    assert tr("ti", "Do you still get begeleiding (guidance) from VluchtelingenWerk or "
              "the municipality?") in seen(guidance)
    assert bot.rows("SELECT municipality FROM people") == [("delft",)]


async def test_a_stale_button_gets_a_polite_answer(api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 2002, language_code="nl")
    [picker] = await person.say("/start")
    await quick_onboard(person, "nl")
    notice, menu = await person.press("o:lang:ar", replies=2, on=picker)
    assert seen(notice) == tr("nl", "This button is from an older message.")
    assert data(menu) == ["m:topics", "m:emergency", "m:person", "m:events",
        "m:directory", "m:settings", "m:privacy", "m:help"]
    # Acknowledged before the turn, so the spinner stops at once; the notice is a message.
    assert len(api.callback_answers) == 5 and "text" not in list(api.callback_answers.values())[-1]
    assert bot.rows("SELECT language FROM people") == [("nl",)]


async def test_forged_callback_data_and_stickers_get_an_answer(api: FakeBotAPI,
                                                               bot: RunningBot) -> None:
    person = Person(api, 2003, language_code="ar")
    await quick_onboard(person, "ar")
    api.press_raw_callback(2003, "o:muni:amsterdam:extra")
    notice, _menu = await api.next_messages(2003, 2)
    assert seen(notice) == tr("ar", "I do not recognise this button.")
    api.press_raw_callback(2003, "d:yes", message_id=999_999)  # message gone: inaccessible
    notice, _menu = await api.next_messages(2003, 2)
    assert seen(notice) == tr("ar", "This button is from an older message.")
    assert bot.rows("SELECT count(*) FROM people") == [(1,)]
    api.user_sticker(2003)
    [reply] = await api.next_messages(2003)
    assert seen(reply).startswith(tr("ar", "I can only read text messages and buttons."))
    api.user_message(2003, "ش" * 4096)  # the longest text Telegram lets through
    [reply] = await api.next_messages(2003)
    assert seen(reply) == tr("ar", "I could not find a topic for that. Choose one from the "
                                   "list, or try other words.")
    assert "t:debts" in data(reply) and "m:menu" in data(reply)


async def test_a_crash_halfway_answers_in_the_persons_language_and_loses_nothing(
        api: FakeBotAPI, bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    person = Person(api, 2004, language_code="ar")
    await person.say("/start")
    await person.press("o:lang:ar")
    [where] = await person.press("o:consent:yes")
    original = Onboarding.answer
    calls = {"n": 0}

    def crash_once(self: Onboarding, *args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated crash in the middle of a flow")
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Onboarding, "answer", crash_once)
    [sorry] = await person.press("o:muni:haarlem", on=where)
    assert seen(sorry).startswith(tr("ar", "Sorry, something went wrong on our side. "
                                        "Nothing you did was lost. Please try again, "
                                        "or send /menu.")[:30])
    assert bot.rows("SELECT municipality FROM people") == [(None,)]  # rolled back
    [guidance] = await person.press("o:muni:haarlem", on=where)  # the same button again
    assert "o:beg:running" in data(guidance)


async def test_429_is_waited_out(api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 2005, language_code="en")
    api.fail_next("sendMessage", 2005, status=429, retry_after=1)
    started = time.monotonic()
    [picker] = await person.say("/start")
    assert time.monotonic() - started >= 0.9
    assert "o:lang:en" in data(picker)
    statuses = [r.status for r in api.requests if r.method.lower() == "sendmessage"]
    assert statuses[:2] == [429, 200]


async def test_403_marks_unreachable_until_the_person_writes(api: FakeBotAPI,
                                                             bot: RunningBot) -> None:
    person = Person(api, 2006, language_code="en")
    await quick_onboard(person)
    api.block(2006)
    api.user_message(2006, "/menu")
    await eventually(lambda: bot.rows("SELECT unreachable_since FROM people")[0][0] is not None)
    api.unblock(2006)
    await person.say("/menu")
    assert bot.rows("SELECT unreachable_since FROM people") == [(None,)]


async def test_blocking_via_my_chat_member(api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 2007)
    await quick_onboard(person)
    api.my_chat_member(2007, "kicked")
    await eventually(lambda: bot.rows("SELECT unreachable_since FROM people")[0][0] is not None)
    api.my_chat_member(2007, "member")
    await eventually(lambda: bot.rows("SELECT unreachable_since FROM people")[0][0] is None)


async def test_mydata_sends_a_json_file(api: FakeBotAPI, bot: RunningBot) -> None:
    person = Person(api, 2008, language_code="nl")
    await quick_onboard(person, "nl")
    [document] = await person.say("/mydata")
    assert document.method == "sendDocument"
    [upload] = document.files.values()
    exported = json.loads(upload.content)
    assert exported["person"]["telegram_id"] == 2008
    assert exported["person"]["municipality"] == "leiden"


async def test_delete_leaves_no_row_that_names_the_person(api: FakeBotAPI,
                                                          bot: RunningBot) -> None:
    other = Person(api, 3001)
    await quick_onboard(other)
    person = Person(api, 2009, language_code="ti")
    await quick_onboard(person, "ti")
    bot.rows("INSERT INTO roles (telegram_id, role, municipality, granted_at) "
             "VALUES (2009, 'sleutelpersoon', 'leiden', '2026-11-24 10:00:00')")
    [confirm] = await person.say("/delete")
    assert data(confirm) == ["d:yes", "d:no"]
    [goodbye] = await person.press("d:yes")
    assert "/start" in seen(goodbye)
    for (table,) in bot.rows("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in bot.rows(f"SELECT * FROM {table}"):
            assert 2009 not in row and "2009" not in map(str, row), (table, row)
    assert bot.rows("SELECT telegram_id FROM people") == [(3001,)]


async def test_per_chat_pacing_with_the_default_limits(api: FakeBotAPI, tmp_path: Path) -> None:
    running = RunningBot(api, tmp_path, fast=False)
    await running.start()
    try:
        person = Person(api, 2010)
        started = time.monotonic()
        await person.say("/start")
        for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:ended", "m:topics"):
            await person.press(answer)
        # 6 messages in one chat: a burst of 3, then about 1 per second. The pressed
        # keyboards are retired afterwards, from spare capacity, never before an answer.
        assert time.monotonic() - started >= 2.5
        await api.wait_for(lambda c: c.method == "editMessageReplyMarkup", timeout=10)
    finally:
        await running.stop()


async def test_the_sorry_comes_before_the_answer_to_the_next_message(
        api: FakeBotAPI, bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    person = Person(api, 2012, language_code="nl")
    await quick_onboard(person, "nl")

    def crash(self: object, *args: object) -> object:
        raise RuntimeError("simulated crash while answering a question")

    monkeypatch.setattr(Ask, "answer", crash)
    api.user_message(2012, "huurtoeslag")
    api.user_message(2012, "/menu")  # waits for the first: the answers must keep this order
    sorry, menu = await api.next_messages(2012, 2)
    assert seen(sorry) == tr("nl", "Sorry, something went wrong on our side. Nothing you did "
                                   "was lost. Please try again, or send /menu.")
    assert "m:topics" in data(menu)
