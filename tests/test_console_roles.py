"""The console reaches the same audiences as Telegram: a coordinator invites, the invited
person (played with /as) opens the link as `/start CODE` and gets the role."""

from __future__ import annotations

import io
import re
from pathlib import Path


async def test_an_invitation_in_the_console(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.domain.incoming import Caller
    from bot.domain.person import Role
    from bot.services.chat import utc_now
    from bot.services.roles import RolesService
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    settings = Settings(data_dir=tmp_path, bot_token=None, quiet_hours="")
    async with build_app(settings) as app:
        await RolesService(app.uow, app.knowledge, utc_now).grant(1, Role.COORDINATOR, "leiden")
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "en"), out)
        async with app.background(console) as drainer:
            console.attach(drainer)
            await console.handle("/invite")
            assert "[1] sleutelpersoon in Leiden" in out.getvalue()
            await console.handle("1")
            found = re.search(r"/start ([A-Za-z0-9_-]{24})", out.getvalue())
            assert found, out.getvalue()
            await console.handle("/as 2")
            await console.handle(f"/start {found.group(1)}")
            await console.handle("3")  # English
            await console.handle("1")  # I agree
            await console.handle("Noor")
            for line in ("2", "11", "21", "1", "6"):  # Arabic, Done, Done, Any time, 6
                await console.handle(line)
            assert "Your new role: sleutelpersoon in Leiden." in out.getvalue()
            await console.handle("/whoami")
            assert "• sleutelpersoon in Leiden, since" in out.getvalue()
            await console.handle("/invite")  # not a coordinator
            assert out.getvalue().rstrip().endswith(
                "Only coordinators can do this. Nothing was changed.")
            await console.handle("/as 1")
            assert "Your invitation was accepted by Noor: sleutelpersoon in Leiden." \
                in out.getvalue()


async def test_the_whole_handoff_in_the_console(tmp_path: Path) -> None:
    """Three people in one terminal: a coordinator invites a sleutelpersoon who speaks
    Tigrinya, a newcomer asks from inside a topic, the sleutelpersoon takes it and answers
    with a (pretend) voice note, the newcomer replies to it with a photo, the sleutelpersoon
    closes it, and the newcomer rates it."""
    from bot.app import build_app
    from bot.domain.incoming import Caller
    from bot.domain.person import Role
    from bot.services.chat import utc_now
    from bot.services.roles import RolesService
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    settings = Settings(data_dir=tmp_path, bot_token=None, quiet_hours="")
    async with build_app(settings) as app:
        await RolesService(app.uow, app.knowledge, utc_now).grant(1, Role.COORDINATOR, "leiden")
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "en"), out)

        async def say(*lines: str) -> str:
            start = len(out.getvalue())
            for line in lines:
                await console.handle(line)
            return out.getvalue()[start:]

        async with app.background(console) as drainer:
            console.attach(drainer)
            await say("/invite", "1")
            code = re.findall(r"/start ([A-Za-z0-9_-]{24})", out.getvalue())[-1]
            # Noor: English interface, speaks Tigrinya, any time, three conversations.
            await say("/as 2", f"/start {code}", "3", "1", "Noor", "1", "11", "21", "1", "3")
            assert "Your new role: sleutelpersoon in Leiden." in out.getvalue()
            # A newcomer in Tigrinya, in Leiden, reading about toeslagen.
            await say("/as 3", "/start", "2", "1", "1", "2", "/topics", "5")
            asking = await say("2")  # 🙋 at the first step of the topic (after Next)
            assert "[1] ✖️" in asking
            waiting = await say("Kab Belastingdienst huurtoeslag mektub teqebilu")
            assert "A message for person 2 is waiting" in waiting
            reminded = await say("/photo the letter")
            assert "BSN" in reminded or "🔒" in reminded  # asked before it is passed on
            await say("1")
            card = await say("/as 2")
            assert "Newcomer " in card and "Tigrinya" in card and "Toeslagen" in card
            taken = await say("1")
            assert "Kab Belastingdienst huurtoeslag mektub teqebilu" in taken
            assert "📷 the letter" in taken
            await say("/voice")
            newcomer = await say("/as 3")
            assert "Noor" in newcomer and "🎤" in newcomer
            voice = int(re.findall(r"\[(\d+)\] 🎤", newcomer)[-1])
            await say(f"/reply {voice} /photo page 2")
            helper = await say("/as 2")
            assert re.search(r"\[\d+ ↩ \d+\] 📷 page 2", helper), helper
            closing = await say("/conversations", "2", "1")
            assert "Closed. Thank you for helping Newcomer" in closing
            rating = await say("/as 3")
            assert "Noor" in rating and "👍" in rating
            thanked = await say("1", "ጽቡቕ ሓገዝ")
            assert thanked.count("[1]") >= 1
    async with build_app(settings) as app, app.uow() as uow:
        person = await uow.people.by_telegram_id(3)
        assert person is not None
        [question] = await uow.handoffs.of_newcomer(person.id)
    assert (question.status.value, question.result and question.result.value,
            question.rating, question.comment) == ("closed", "answered", 1, "ጽቡቕ ሓገዝ")
