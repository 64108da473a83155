"""`wegwijs chat` driven through stdin/stdout, as a person at a terminal would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.content.catalogs import BabelCatalogs
from bot.settings import PROJECT_ROOT

CATALOGS = BabelCatalogs.load(PROJECT_ROOT / "locales")


def chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    env = {**os.environ, "WEGWIJS_DATA_DIR": str(tmp_path), "WEGWIJS_LOG_LEVEL": "WARNING"}
    env.pop("WEGWIJS_DATABASE_URL", None)
    env.pop("WEGWIJS_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args], input="\n".join(lines) + "\n",
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def ar(message: str) -> str:
    return CATALOGS.translator("ar").gettext(message)


def test_console_onboarding_in_arabic(tmp_path: Path) -> None:
    # --lang ar answers the language question; then: agree, Leiden, ended.
    out = chat(tmp_path, ["1", "1", "2"], "--lang", "ar")
    assert "> ✓ العربية" in out
    assert ar("Do you agree to this?") in out
    assert ar("In which municipality do you live?") in out
    assert "[1] Leiden" in out
    assert f"[6] {ar('⚙️ Settings')}" in out
    assert "\u2068" not in out  # bidi controls are for Telegram, not the terminal


def test_console_state_survives_a_restart(tmp_path: Path) -> None:
    first = chat(tmp_path, ["3", "1"])  # English, agree; then the process ends
    assert first.rstrip().endswith("[5] Another municipality")
    out = chat(tmp_path, ["1"])  # a new process: /start resumes at the municipality
    assert "Choose your language." not in out
    assert out.index("In which municipality do you live?") < out.index("Do you still get")


def test_console_buttons_commands_and_text(tmp_path: Path) -> None:
    out = chat(tmp_path, ["3", "1", "2", "/mydata", "blorp", "/delete", "1"],
               "--municipality", "leiden")
    assert "> Leiden" in out
    assert "wegwijs-my-data.json" in out
    assert (tmp_path / "console" / "wegwijs-my-data.json").exists()
    assert "I could not find a topic for that." in out
    assert "All your data has been deleted." in out


def test_console_refuses_an_unknown_language(tmp_path: Path) -> None:
    env = {**os.environ, "WEGWIJS_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "chat", "--lang", "fr"],
                            input="", capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0 and "--lang" in result.stderr


async def test_the_console_plays_several_people_and_delivers_their_outbox(
        tmp_path: Path) -> None:
    """What the bot sends to someone else waits for them; `/as 2` shows it to person 2."""
    import io

    from bot.app import build_app
    from bot.domain import outbox
    from bot.domain.incoming import Caller
    from bot.services.chat import utc_now
    from bot.settings import Settings
    from bot.transports.console.chat import ConsoleChat

    settings = Settings(data_dir=tmp_path, bot_token=None)
    async with build_app(settings) as app:
        out = io.StringIO()
        console = ConsoleChat(app, Caller(1, 1, "en"), out, language="en")
        async with app.background(console) as drainer:
            console.attach(drainer)
            await console.handle("/as 2")
            await console.handle("/start")  # person 2 exists now
            await console.handle("/as 1")
            async with app.uow() as uow:
                two = await uow.people.by_telegram_id(2)
                assert two is not None
                await uow.outbox.add(outbox.Outgoing(
                    two.id, outbox.Kind.RELAY, outbox.Message("<b>Hello</b> from person 1"),
                    "console-test"), utc_now())
                await uow.commit()
            await console.handle("/help")  # person 1 goes on; the message waits
            assert "A message for person 2 is waiting: type /as 2 to read it." in out.getvalue()
            assert "Hello from person 1" not in out.getvalue()
            await console.handle("/as 2")
            shown = out.getvalue()
            assert "You are now person 2." in shown
            assert shown.rstrip().endswith("Hello from person 1")
            await console.handle("/as x")
            assert "for example /as 2" in out.getvalue()
