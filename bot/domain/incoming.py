"""Who wrote to the bot, as plain values (no framework objects)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    telegram_id: int
    chat_id: int
    # Telegram's IETF language tag of the client, used only to pre-select a language.
    language_code: str | None = None


def command_name(text: str) -> str | None:
    """'/start', '/Start@wegwijs_bot payload' → 'start'; anything else → None."""
    if not text.startswith("/") or len(text) < 2:
        return None
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    name = word.split("@", 1)[0].lower()
    return name if name.isascii() and name.replace("_", "").isalnum() else None


def command_args(text: str) -> str:
    """What follows the command, after any whitespace: '/word\naanmaning' → 'aanmaning'."""
    parts = text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


@dataclass(frozen=True)
class Posted:
    """A message someone wrote in their chat: enough to relay it (by copying it) and to
    read it, never the file itself. `media` is a bot.domain.handoff.Media value."""

    message_id: int
    text: str | None = None  # the text, or a photo's or document's caption
    media: str = "text"
    reply_to: int | None = None  # the message in the same chat this one answers

    @property
    def is_text(self) -> bool:
        return self.media == "text"
