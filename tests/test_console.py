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
    assert f"[3] {ar('⚙️ Settings')}" in out
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
