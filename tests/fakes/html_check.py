"""Telegram HTML checking for the tests: the bot's own parser (bot.content.telegram_html).

Kept as a module so tests can import it next to the fake Bot API; there is one parser only.
"""

from __future__ import annotations

from bot.content.telegram_html import (
    HtmlParseError,
    ParsedHtml,
    check_telegram_html,
    parse_telegram_html,
    utf16_len,
    visible_text,
)

__all__ = [
    "HtmlParseError",
    "ParsedHtml",
    "check_telegram_html",
    "parse_telegram_html",
    "utf16_len",
    "visible_text",
]
