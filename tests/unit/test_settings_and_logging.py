"""Configuration defaults and the promise that the token never reaches the logs."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import RedactToken
from bot.settings import PUBLIC_BOT_API, Settings

TOKEN = "123456:AAH-secret_token_value"


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("BOT_TOKEN", "DATABASE_URL", "DATA_DIR", "TIMEZONE", "QUIET_HOURS"):
        monkeypatch.delenv(f"WEGWIJS_{name}", raising=False)
    settings = Settings()
    assert settings.bot_token is None
    assert settings.telegram_api_url == PUBLIC_BOT_API
    assert settings.db_url.startswith("sqlite+aiosqlite:///") and "wegwijs.db" in settings.db_url
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.quiet is not None and settings.tick_seconds == 30


def test_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"WEGWIJS_BOT_TOKEN={TOKEN}\nWEGWIJS_QUIET_HOURS=\n")
    settings = Settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    assert settings.quiet is None
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "late")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")
    monkeypatch.setenv("WEGWIJS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError):
        Settings()


def test_token_is_redacted_from_log_records() -> None:
    record = logging.LogRecord("aiohttp", logging.ERROR, __file__, 1,
                               "POST https://api.telegram.org/bot%s/getMe failed", (TOKEN,), None)
    RedactToken(TOKEN).filter(record)
    assert TOKEN not in record.getMessage() and "<token>" in record.getMessage()


def test_token_is_redacted_from_tracebacks() -> None:
    import sys

    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        record = logging.LogRecord("aiogram", logging.ERROR, __file__, 1, "failed", (),
                                   sys.exc_info())
    RedactToken(TOKEN).filter(record)
    formatted = logging.Formatter().format(record)
    assert "cannot reach" in formatted and TOKEN not in formatted
