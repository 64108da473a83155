"""Expected texts in a language, compared the way a reader sees them (no tags, no bidi marks)."""

from __future__ import annotations

from fakes.bot_api import RecordedCall
from fakes.html_check import visible_text

from bot.content.catalogs import BabelCatalogs
from bot.domain.bidi import strip_controls
from bot.settings import PROJECT_ROOT

CATALOGS = BabelCatalogs.load(PROJECT_ROOT / "locales")


def seen(call: RecordedCall) -> str:
    return strip_controls(call.text or "")


def tr(language: str, message: str) -> str:
    return strip_controls(visible_text(CATALOGS.translator(language).gettext(message)))


def labels(call: RecordedCall) -> list[str]:
    return [strip_controls(b["text"]) for row in call.buttons for b in row]


def data(call: RecordedCall) -> list[str]:
    return [b["callback_data"] for row in call.buttons for b in row]
