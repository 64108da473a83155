"""The README's events demo in the console: in Arabic, in Delft, on a Monday, the demo
language café on Wednesday: say "I'll go", save the calendar file, and after `/clock`
the reminder on Tuesday evening and "How was it?" on Thursday morning."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from test_console_broadcasts import number_of

from bot.content.catalogs import BabelCatalogs
from bot.settings import PROJECT_ROOT

CATALOGS = BabelCatalogs.load(PROJECT_ROOT / "locales")


async def test_the_language_cafe_in_the_console(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.domain.incoming import Caller
    from bot.services.clock import MovableClock
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    def ar(message: str) -> str:
        return CATALOGS.translator("ar").gettext(message)

    settings = Settings(data_dir=tmp_path, bot_token=None, demo_events=True)
    clock = MovableClock(datetime(2027, 1, 11, 12, tzinfo=ZoneInfo("Europe/Amsterdam")))
    async with build_app(settings, clock) as app:
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "ar"), out, language="ar",
                              municipality="delft")
        async with app.background(console) as drainer:
            console.attach(drainer)
            await app.catch_up()  # the demo events read (as at start-up)

            async def press(label: str, since: int) -> int:
                mark = len(out.getvalue())
                await console.handle(number_of(out, label, since))
                return mark

            await console.handle("/start")
            for _answer in range(3):  # agree, (Delft given), begeleiding: ended
                await console.handle("1" if _answer < 1 else "2")
            mark = len(out.getvalue())
            await console.handle("/events")
            assert "مقهى اللغة (taalcafé)" in out.getvalue()[mark:]
            mark = await press("مقهى اللغة (taalcafé)", mark)
            assert "13 يناير/كانون الثاني" in out.getvalue()[mark:]  # Wednesday 13 January
            mark = await press(ar("✋ I'll go"), mark)
            assert ar("Good! I will remind you the evening before.") in out.getvalue()[mark:]
            await press(ar("📅 Add to my calendar"), mark)
            assert (tmp_path / "console" / "wegwijs-event.ics").exists()

            await console.handle("/clock +1d")
            mark = len(out.getvalue())
            await console.handle("/clock +6h")  # Tuesday 18:00
            assert "⏰" in out.getvalue()[mark:]
            await console.handle("/clock +1d")
            mark = len(out.getvalue())
            await console.handle("/clock +17h")  # Thursday 11:00
            assert "👍" in out.getvalue()[mark:]
