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
