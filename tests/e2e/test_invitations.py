"""Roles over real aiogram and HTTP: the operator appoints a coordinator on the command
line, the coordinator invites a sleutelpersoon in the bot, the invited person opens the
link in Tigrinya, answers the profile questions and has the role; a replayed coordinator
button from someone else is refused in their language and audited."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from fakes.bot_api import FakeBotAPI
from harness import Person, RunningBot
from texts import data, seen, tr

LINK = "https://t.me/wegwijs_test_bot?start="


@pytest.fixture(autouse=True)
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coordinator's notice is proactive: at night it would wait for the morning."""
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")


async def operator(data_dir: Path, *args: str) -> str:
    """`wegwijs ...` as the operator runs it, on the running bot's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWIJS_")}
    env["WEGWIJS_DATA_DIR"] = str(data_dir)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=data_dir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_an_invited_sleutelpersoon_gets_the_role_and_a_replayed_button_is_refused(
        api: FakeBotAPI, bot: RunningBot) -> None:
    out = await operator(bot.data_dir, "roles", "grant", "--telegram-id", "5001", "--role",
                         "coordinator", "--municipality", "leiden")
    assert "Granted coordinator in leiden to 5001" in out

    coordinator = Person(api, 5001, language_code="en")
    [menu] = await coordinator.say("/invite")
    assert data(menu) == ["c:isp:leiden", "c:ico:leiden"]
    [created] = await coordinator.press("c:isp:leiden")
    assert "Here is a one-time invitation: sleutelpersoon in Leiden." in seen(created)
    code = seen(created).split(LINK, 1)[1].split()[0]
    assert bot.rows("SELECT count(*) FROM invitations WHERE code_hash LIKE ?",
                    f"%{code}%") == [(0,)]  # only a digest is stored

    invited = Person(api, 5002, language_code="ti")
    [picker] = await invited.say(f"/start {code}")
    assert data(picker) == ["i:lang:ar", "i:lang:ti", "i:lang:en", "i:lang:nl"]
    _draft_note, welcome = await invited.press("i:lang:ti", replies=2)
    assert tr("ti", "Do you agree to this?") in seen(welcome)
    assert "Leiden" in seen(welcome) and "/mydata" in seen(welcome)
    [name] = await invited.press("i:ok:yes")
    assert seen(name) == tr("ti", "Which name should newcomers see? Type a first name or a "
                                  "nickname, at most {count} characters.").format(count=32)
    [spoken] = await invited.say("Selam")
    assert "i:spk:ti" in data(spoken)
    await invited.press("i:spk:ti")
    [topics] = await invited.press("i:done:spk")
    assert "i:top:digid" in data(topics)
    await invited.press("i:top:digid")
    [hours] = await invited.press("i:done:top")
    [capacity] = await invited.press("i:hrs:evenings", on=hours)
    [done] = await invited.press("i:cap:2", on=capacity)
    assert "/profile" in seen(done)
    assert bot.rows("SELECT role, municipality FROM roles WHERE telegram_id = 5002") == [
        ("sleutelpersoon", "leiden")]
    assert bot.rows("SELECT display_name, languages, topics, capacity FROM "
                    "sleutelpersoon_profiles") == [("Selam", '["ti"]', '["digid"]', 2)]

    [whoami] = await invited.say("/whoami")
    assert "sleutelpersoon" in seen(whoami) and "Leiden" in seen(whoami)
    assert "5002" in seen(whoami)
    [profile] = await invited.say("/profile")  # through the sleutelpersoon router
    assert "Selam" in seen(profile) and "p:pause:on" in data(profile)

    # The coordinator is told through the outbox.
    [told] = await api.next_messages(5001, 1, timeout=10)
    assert seen(told) == "Your invitation was accepted by Selam: sleutelpersoon in Leiden."

    # Someone else opening the same link gets nothing.
    late = Person(api, 5003, language_code="nl")
    [used] = await late.say(f"/start {code}")
    assert seen(used) == tr("nl", "This invitation has already been used. Please ask your "
                                  "coordinator for a new link.")

    # The sleutelpersoon replays the coordinator's button (callback data only, as a forged
    # or copied callback arrives): refused, in Tigrinya, and audited.
    api.press_raw_callback(5002, "c:isp:leiden")
    [refused] = await api.next_messages(5002, 1, timeout=10)
    assert seen(refused) == tr("ti", "Only coordinators can do this. Nothing was changed.")
    assert bot.rows("SELECT count(*) FROM invitations") == [(1,)]
    assert bot.rows("SELECT action, municipality, allowed, reason FROM audit_log "
                    "WHERE telegram_id = 5002 ORDER BY id") == [
        ("invitation.open", "leiden", 1, None), ("invitation.accept", "leiden", 1, None),
        ("invitation.create", "leiden", 0, "no-role")]

    # ... and the coordinator of Leiden can read it.
    [log] = await coordinator.say("/audit")
    assert "⛔ 5002 invitation created" in seen(log)
    assert "⛔ 5003 invitation opened" in seen(log)


async def test_staff_find_their_commands_in_telegrams_menu(api: FakeBotAPI,
                                                           bot: RunningBot) -> None:
    """The coordinator's chat gets /queue, /invite, ... above everyone's commands, in their
    language; when the role ends, the menu goes back to everyone's."""
    coordinator = Person(api, 5101, language_code="ar")
    await coordinator.say("/start")
    await coordinator.press("o:lang:ar")
    await operator(bot.data_dir, "roles", "grant", "--telegram-id", "5101", "--role",
                   "coordinator", "--municipality", "leiden")
    assert bot.runner is not None and bot.runner.staff_menus is not None
    assert await bot.runner.staff_menus.refresh() == 1
    scope = {"chat_id": 5101, "type": "chat"}
    commands = api.commands_for(scope=scope)
    assert commands is not None
    names = [c["command"] for c in commands]
    assert names[:9] == ["queue", "invite", "roles", "checkins", "broadcast", "attendance",
                         "newevent", "report", "audit"]
    assert "whoami" in names and "person" in names and "conversations" not in names
    queue = next(c["description"] for c in commands if c["command"] == "queue")
    assert queue == tr("ar", "Questions waiting for a person")
    assert await bot.runner.staff_menus.refresh() == 0  # nothing changed: nothing written
    await operator(bot.data_dir, "roles", "revoke", "--telegram-id", "5101", "--role",
                   "coordinator", "--municipality", "leiden")
    assert await bot.runner.staff_menus.refresh() == 1
    assert api.commands_for(scope=scope) is None
