"""Configuration from WEGWIJS_* environment variables (and a .env file, if present)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, unquote_plus
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.quiet_hours import QuietHours
from bot.domain.routing import RoutingPolicy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUBLIC_BOT_API = "https://api.telegram.org"
# Where a database URL carries a password: user:PASSWORD@ (as SQLAlchemy parses it) or a
# password=... query parameter, which the drivers also accept.
_PASSWORDS = (re.compile(r"^[\w+]+://[^:/]*:(?P<password>[^@]*)@"),
              re.compile(r"[?&]password=(?P<password>[^&#]*)"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEGWIJS_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = PUBLIC_BOT_API
    data_dir: Path = Path("./data")
    # A secret: it may hold a password (see safe_db_url for a form fit to print).
    database_url: SecretStr | None = None
    timezone: str = "Europe/Amsterdam"
    quiet_hours: str = "21:00-09:00"
    tick_seconds: float = Field(default=30.0, gt=0)
    log_level: str = "INFO"
    # Messages per second across all chats; Telegram allows about 30.
    send_rate: float = Field(default=25.0, gt=0, le=30)
    # Broadcasts with allow_paid_broadcast: up to 1,000 messages/s, paid in Telegram Stars
    # by the operator. Off: broadcasts use what conversations leave of send_rate.
    paid_broadcast: bool = False
    # How often broadcasts are started, written ahead and their status edited.
    broadcast_tick_seconds: float = Field(default=2.0, gt=0)
    # How often each municipality's iCalendar feeds (events.yaml) are read again.
    event_feed_minutes: float = Field(default=60.0, ge=1)
    # The invented demo events (knowledge/demo/events.yaml): the console turns them on;
    # never on a bot that real people use.
    demo_events: bool = False
    content_dir: Path = PROJECT_ROOT
    # The handoff (bot.domain.routing): an unclaimed question goes to every eligible
    # sleutelpersoon and the coordinators after this much availability time, or overall.
    escalate_after_hours: float = Field(default=4.0, gt=0)
    escalate_overall_hours: float = Field(default=24.0, gt=0)
    # What was said in a conversation is kept this long after it ended.
    conversation_retention_days: int = Field(default=90, ge=1)
    # Coordinators are reminded of a one-to-one with each sleutelpersoon this often. At
    # most 4: the outbox row that says "sent this period" is kept 30 days.
    one_to_one_weeks: int = Field(default=3, ge=1, le=4)

    @field_validator("bot_token", "database_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
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
        """The real URL, password included: for the engine only, never for printing."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wegwijs.db').resolve()}"

    @property
    def safe_db_url(self) -> str:
        """The database URL with its password replaced by ***, for messages and logs."""
        url = self.db_url
        for start, end in reversed(_password_spans(url)):
            url = f"{url[:start]}***{url[end:]}"
        return url

    def secrets(self) -> tuple[str, ...]:
        """Everything that must never reach a log: give it to logging_setup.protect_secrets."""
        found: list[str] = []
        if self.bot_token is not None:
            token = self.bot_token.get_secret_value()
            # The part after the colon is the secret; the bot id before it is public.
            found += [token, token.partition(":")[2]]
        url = self.db_url
        for start, end in _password_spans(url):
            raw = url[start:end]
            found += [raw, unquote(raw), unquote_plus(raw)]
        return tuple(dict.fromkeys(s for s in found if s))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def routing(self) -> RoutingPolicy:
        return RoutingPolicy(availability_limit=timedelta(hours=self.escalate_after_hours),
                             overall_limit=timedelta(hours=self.escalate_overall_hours))

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)

    @property
    def translation_dir(self) -> Path:
        """Installed machine translation models (`wegwijs translate install`)."""
        return self.data_dir / "translation"

    @property
    def locales_dir(self) -> Path:
        return self.content_dir / "locales"

    @property
    def flows_dir(self) -> Path:
        return self.content_dir / "flows"

    @property
    def knowledge_dir(self) -> Path:
        return self.content_dir / "knowledge"


def _password_spans(url: str) -> list[tuple[int, int]]:
    """Where the passwords are, in order, overlapping matches merged."""
    spans = sorted(m.span("password") for pattern in _PASSWORDS for m in pattern.finditer(url)
                   if m.group("password"))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
