"""The README's announcement demo in the console: a coordinator writes an announcement in
Dutch, asks for the Arabic version, a sleutelpersoon writes and approves it, and the
newcomer reads it in Arabic after `/clock` runs the ticks."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


def number_of(out: io.StringIO, label: str, since: int) -> str:
    """The number the console shows for the last button whose label contains `label`."""
    found = re.findall(r"\[(\d+)\] ([^\n\[]*)", out.getvalue()[since:])
    numbers = [n for n, text in found if label in text]
    assert numbers, (label, out.getvalue()[since:])
    return numbers[-1]


async def test_an_announcement_in_the_console(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.domain.incoming import Caller
    from bot.domain.person import Role
    from bot.services.chat import utc_now
    from bot.services.clock import MovableClock
    from bot.services.roles import RolesService
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    settings = Settings(data_dir=tmp_path, bot_token=None)
    clock = MovableClock(datetime(2027, 1, 15, 12, tzinfo=ZoneInfo("Europe/Amsterdam")))
    async with build_app(settings, clock) as app:
        await RolesService(app.uow, app.knowledge, utc_now).grant(1, Role.COORDINATOR, "leiden")
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "nl"), out)
        async with app.background(console) as drainer:
            console.attach(drainer)

            async def press(label: str, since: int) -> None:
                await console.handle(number_of(out, label, since))

            # The newcomer: Arabic, Leiden.
            await console.handle("/as 3")
            mark = len(out.getvalue())
            await console.handle("/start")
            await press("العربية", mark)
            for _ in range(3):  # agree, Leiden, begeleiding ended
                mark = len(out.getvalue())
                await console.handle("1" if _ < 2 else "3")
            # The sleutelpersoon, invited by the coordinator.
            await console.handle("/as 1")
            mark = len(out.getvalue())
            await console.handle("/invite")
            await press("sleutelpersoon", mark)
            code = re.findall(r"/start ([A-Za-z0-9_-]{24})", out.getvalue())[-1]
            await console.handle("/as 2")
            await console.handle(f"/start {code}")
            for line in ("3", "1", "Noor", "2", "11", "21", "1", "6"):  # en, agree, ar, ...
                await console.handle(line)
            assert "sleutelpersoon in Leiden" in out.getvalue()

            # The coordinator writes, asks for the Arabic version, sends.
            await console.handle("/as 1")
            async def step(label: str) -> int:
                mark = len(out.getvalue())
                await press(label, screen)
                return mark

            screen = len(out.getvalue())
            await console.handle("/broadcast")
            screen = await step("Nederlands")
            await console.handle("Vrijdag is er een taalcafé in de bibliotheek.")
            screen = await step("➡️")
            screen = await step("snel")  # "Zo snel mogelijk"
            screen = await step("✍️")
            assert "Noor" in out.getvalue()[screen:]
            screen = await step("✅")
            assert "#1" in out.getvalue()[screen:]

            # Noor writes the Arabic text and approves it.
            await console.handle("/as 2")
            mark = len(out.getvalue())
            assert "Vrijdag is er een taalcafé" in out.getvalue()
            await press("✍️", 0)
            await console.handle("مقهى اللغة يوم الجمعة في المكتبة.")
            await press("✅", mark)
            assert "Thank you" in out.getvalue()[mark:]

            # The ticks run: the newcomer reads it in Arabic, the coordinator the status.
            await console.handle("/clock +1m")
            await console.handle("/clock +1m")
            mark = len(out.getvalue())
            await console.handle("/as 3")
            assert "مقهى اللغة يوم الجمعة" in out.getvalue()[mark:]
            mark = len(out.getvalue())
            await console.handle("/as 1")
            assert "#1" in out.getvalue()[mark:]
