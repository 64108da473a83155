"""Check-ins in the console with a moved clock (`wegwijs chat --clock 2027-01-10`, then
`/clock`): the way issue 9 is tried offline. Four people in one terminal: a coordinator, a
sleutelpersoon who speaks Tigrinya, Amanuel (his begeleiding ends next month) and Saba (it
has ended; she never answers)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo


async def test_a_year_of_check_ins_tried_in_the_console(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.domain.incoming import Caller
    from bot.domain.person import Role
    from bot.services.chat import utc_now
    from bot.services.clock import MovableClock
    from bot.services.relay import REACHED_OUT
    from bot.services.roles import RolesService
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    settings = Settings(data_dir=tmp_path, bot_token=None, quiet_hours="")
    clock = MovableClock(datetime(2027, 1, 10, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))
                         .astimezone(UTC))
    async with build_app(settings, clock) as app:
        await RolesService(app.uow, app.knowledge, utc_now).grant(1, Role.COORDINATOR, "leiden")
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "en"), out)
        ti = app.catalogs.translator("ti")

        async def say(*lines: str) -> str:
            start = len(out.getvalue())
            for line in lines:
                await console.handle(line)
            return out.getvalue()[start:]

        async with app.background(console) as drainer:
            console.attach(drainer)
            await say("/invite", "1")
            code = re.findall(r"/start ([A-Za-z0-9_-]{24})", out.getvalue())[-1]
            # Selam: English interface, speaks Tigrinya, any time, three conversations.
            await say("/as 2", f"/start {code}", "3", "1", "Selam", "1", "11", "21", "1", "3")
            # Amanuel: Tigrinya, Leiden, still running, ends in February 2027.
            await say("/as 3", "/start", "2", "1", "1", "1", "1", "2")
            # Saba: Tigrinya, Leiden, it has ended.
            await say("/as 4", "/start", "2", "1", "1", "2")

            # Saba's first check-in a week later; no answer, one reminder, not reached.
            await say("/as 1", "/clock 2027-01-17", "/clock +3d", "/clock +4d")
            saba = await say("/as 4")
            assert saba.count("🆘") == 2  # the check-in and its one reminder
            listed = await say("/as 1", "/checkins")
            assert "Not reached" in listed and "weeks since last contact" in listed
            asked = await say("1")  # 👋 Ask someone to reach out
            assert "Asked" in asked
            card = await say("/as 2")
            assert "reach out" in card
            await say("1")  # Selam takes it
            hello = await say("/as 4")
            assert ti.gettext(REACHED_OUT).replace("{name}", "Selam").split("\n")[0][:20] \
                in hello
            await say("ደሓን እየ፡ የቐንየለይ")
            assert "ደሓን እየ፡ የቐንየለይ" in await say("/as 2")

            # Amanuel: the heads-up two weeks before the end of February, then the first
            # check-in; he needs help, and Selam takes his question.
            await say("/as 1", "/clock 2027-02-14", "/clock 2027-03-08")
            amanuel = await say("/as 3")
            assert "begeleiding" in amanuel and amanuel.rstrip().endswith(
                "[3] " + ti.gettext("🆘 I need help"))
            opened = await say("3")
            assert "⏳" in opened
            request = await say("/as 2")
            assert "check-in" in request
            await say("1")
            told = await say("/as 3")
            assert "Selam" in told

    async with build_app(settings) as app, app.uow() as uow:
        saba = await uow.people.by_telegram_id(4)
        amanuel = await uow.people.by_telegram_id(3)
        assert saba is not None and amanuel is not None
        [reach_out] = await uow.handoffs.of_newcomer(saba.id)
        [from_checkin] = await uow.handoffs.of_newcomer(amanuel.id)
    assert (reach_out.source.value, reach_out.status.value) == ("reach_out", "claimed")
    assert (from_checkin.source.value, from_checkin.status.value) == ("checkin", "claimed")
