"""Configuration defaults and the promise that no secret (token, database password) is logged."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import MASK, configure, protect_secrets
from bot.settings import PUBLIC_BOT_API, Settings

TOKEN = "123456:AAH-secret_token_value"
PASSWORD = "s3cr%40t-pw"  # URL-encoded "s3cr@t-pw"
DB_URL = f"postgresql+asyncpg://wegwijs:{PASSWORD}@db.example:5432/wegwijs"


@pytest.fixture(autouse=True)
def pristine_record_factory() -> Iterator[None]:
    """Redaction is process-wide; each test starts without it and leaves none behind."""
    original = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    yield
    logging.setLogRecordFactory(original)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


class Capture(logging.StreamHandler[io.StringIO]):
    """A plain handler added after protect_secrets, on the root logger: it sees records
    propagated from library loggers, formatted as any handler would."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        super().emit(record)

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler, root = Capture(), logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.DEBUG
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


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


def test_the_database_url_is_a_secret() -> None:
    s = settings(database_url=DB_URL)
    assert s.db_url == DB_URL  # the engine gets the real URL
    assert s.safe_db_url == "postgresql+asyncpg://wegwijs:***@db.example:5432/wegwijs"
    for shown in (repr(s), str(s), str(s.model_dump()), s.model_dump_json()):
        assert "s3cr" not in shown
    assert {PASSWORD, "s3cr@t-pw"} <= set(s.secrets())


@pytest.mark.parametrize(("url", "safe"), [
    ("postgresql+asyncpg://u@h/db?password=pw-in-query&ssl=require",
     "postgresql+asyncpg://u@h/db?password=***&ssl=require"),
    ("postgresql+asyncpg://u:pw/with@slash@h:5432/db",  # SQLAlchemy: password up to the @
     "postgresql+asyncpg://u:***@slash@h:5432/db"),
    ("postgresql+asyncpg://u:a?password=b@h/db",  # two readings overlap: hide their union
     "postgresql+asyncpg://u:***"),
    ("postgresql+asyncpg://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
    ("postgresql+asyncpg://h:5432/db", "postgresql+asyncpg://h:5432/db"),
    ("sqlite+aiosqlite:////data/wegwijs.db", "sqlite+aiosqlite:////data/wegwijs.db"),
])
def test_safe_db_url_hides_any_password(url: str, safe: str) -> None:
    s = settings(database_url=url)
    assert s.safe_db_url == safe
    assert all(secret not in s.safe_db_url for secret in s.secrets())


def test_secrets_are_the_token_its_secret_half_and_the_database_password() -> None:
    assert settings().secrets() == ()
    assert settings(database_url="").database_url is None
    s = settings(bot_token=TOKEN, database_url=DB_URL)
    assert TOKEN in s.secrets() and "AAH-secret_token_value" in s.secrets()
    assert "123456" not in s.secrets()  # the bot id is public, and too common a string


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "late")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")
    monkeypatch.setenv("WEGWIJS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError):
        Settings()


def test_records_of_library_loggers_are_redacted_even_by_handlers_added_later(
        capture: Capture) -> None:
    protect_secrets(TOKEN, None, "")
    log = logging.getLogger("aiohttp.client")
    log.error("POST https://api.telegram.org/bot%s/getMe failed", TOKEN)
    log.warning("retrying %(url)s", {"url": f"/bot{TOKEN}/sendMessage"})
    assert TOKEN not in capture.text and capture.text.count(MASK) == 2


def test_tracebacks_and_stacks_are_redacted(capture: Capture) -> None:
    protect_secrets(TOKEN)
    try:
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
        except ConnectionError as cause:
            raise RuntimeError("polling failed") from cause
    except RuntimeError:
        logging.getLogger("aiogram.event").exception("update failed", stack_info=True)
    [record] = capture.records
    assert "cannot reach" in capture.text and "polling failed" in capture.text
    assert "Stack (most recent call last)" in capture.text
    assert TOKEN not in capture.text and MASK in capture.text
    assert record.exc_info is None  # the exception object itself carries the token


def test_a_secret_in_a_malformed_log_call_is_redacted(capture: Capture,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    protect_secrets(TOKEN)
    logging.getLogger("aiohttp.client").error("two placeholders %s %s", TOKEN)
    assert TOKEN not in capture.text and TOKEN not in capsys.readouterr().err


def test_protect_secrets_is_idempotent_and_adds_up(capture: Capture) -> None:
    protect_secrets(TOKEN)
    factory = logging.getLogRecordFactory()
    protect_secrets(TOKEN, "db-password")
    assert logging.getLogRecordFactory() is factory  # one wrapper, however often called
    logging.getLogger("bot").info("%s and %s", TOKEN, "db-password")
    assert capture.text.strip() == f"bot: {MASK} and {MASK}"


def test_configure_installs_the_redaction(caplog: pytest.LogCaptureFixture) -> None:
    configure("INFO", *settings(bot_token=TOKEN, database_url=DB_URL).secrets())
    logging.getLogger("sqlalchemy.engine").error("cannot connect to %s", DB_URL)
    assert "s3cr" not in caplog.text and f"wegwijs:{MASK}@db.example" in caplog.text
