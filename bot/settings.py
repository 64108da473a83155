"""Configuration from WEGWIJS_* environment variables (and a .env file, if present)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.quiet_hours import QuietHours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUBLIC_BOT_API = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEGWIJS_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = PUBLIC_BOT_API
    data_dir: Path = Path("./data")
    database_url: str | None = None
    timezone: str = "Europe/Amsterdam"
    quiet_hours: str = "21:00-09:00"
    tick_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    # Messages per second across all chats; Telegram allows about 30.
    send_rate: float = Field(default=25.0, gt=0, le=30)
    content_dir: Path = PROJECT_ROOT

    @field_validator("bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wegwijs.db').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)

    @property
    def locales_dir(self) -> Path:
        return self.content_dir / "locales"

    @property
    def flows_dir(self) -> Path:
        return self.content_dir / "flows"

    @property
    def knowledge_dir(self) -> Path:
        return self.content_dir / "knowledge"
