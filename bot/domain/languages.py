"""The languages Wegwijs speaks and how to recognise them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    rtl: bool = False


# Order is the order of the language picker: the newcomers' languages first.
LANGUAGES: tuple[Language, ...] = (
    Language("ar", "العربية", rtl=True),
    Language("ti", "ትግርኛ"),
    Language("en", "English"),
    Language("nl", "Nederlands"),
)
CODES: frozenset[str] = frozenset(lang.code for lang in LANGUAGES)
DEFAULT = "en"


def by_code(code: str) -> Language:
    for lang in LANGUAGES:
        if lang.code == code:
            return lang
    raise KeyError(code)


def match(language_code: str | None) -> str | None:
    """Map Telegram's IETF tag ("ar-SY", "en-US", "ti") to a supported code, or None."""
    if not language_code:
        return None
    primary = language_code.replace("_", "-").split("-")[0].lower()
    return primary if primary in CODES else None


def is_rtl(code: str) -> bool:
    return code in CODES and by_code(code).rtl
