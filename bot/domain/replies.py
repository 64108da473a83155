"""What services answer: plain values the transports render (Telegram, console)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64


class CallbackTooLong(ValueError):
    pass


def escape(user_text: str) -> str:
    """Make text a person typed safe inside a Telegram HTML message."""
    return html.escape(user_text, quote=False)


_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a href="([^"]+)">([^<]*)</a>')


def plain_text(telegram_html: str) -> str:
    """Telegram HTML as plain text; links keep their address visible."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", telegram_html)
    return html.unescape(_TAG.sub("", text))


@dataclass(frozen=True)
class Button:
    """An inline button. `data` is an opaque id (never the label); Telegram allows 64 bytes."""

    label: str
    data: str
    url: str | None = None

    def __post_init__(self) -> None:
        size = len(self.data.encode("utf-8"))
        if self.url is None and not 1 <= size <= MAX_CALLBACK_BYTES:
            raise CallbackTooLong(f"callback data is {size} bytes: {self.data!r}")
        if not self.label.strip():
            raise ValueError("button label is empty")


Keyboard = tuple[tuple[Button, ...], ...]


def rows(buttons: list[Button], per_row: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True)
class Place:
    """A venue with a map pin (Telegram's sendVenue), sent before the reply's text."""

    latitude: float
    longitude: float
    title: str  # plain text, not HTML
    address: str = ""


@dataclass(frozen=True)
class Reply:
    """One outgoing message. `text` is Telegram HTML: user-provided parts are already escaped."""

    text: str
    keyboard: Keyboard = ()
    document: Document | None = None
    place: Place | None = None


@dataclass
class Outcome:
    """Everything one incoming event produces."""

    replies: list[Reply] = field(default_factory=list)
    # A short note shown on the pressed button (Telegram's callback answer), if any.
    notice: str | None = None
