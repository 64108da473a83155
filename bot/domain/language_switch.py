"""Never switch someone's language because of one message; after several, ask once.

Language detection (bot.translation.detect) gives a `Detected` per message. A person's
chosen language is theirs: a quoted Dutch letter, a greeting in English or a message typed
on a borrowed phone says nothing about the language they want answers in. Only a run of
`MESSAGES_BEFORE_ASKING` consecutive messages that are certainly in the same other
supported language makes the bot ask, once, whether to switch. Whatever the answer, that
language is never asked about again (`asked`). Pure bookkeeping, stored per person as a
small dict.

- An uncertain or missing detection changes nothing (it neither counts nor interrupts).
- A certain message in the current language, or in a language already asked about,
  interrupts the run.
- A certain message in a different other language starts a new run for that language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.domain.languages import CODES

MESSAGES_BEFORE_ASKING = 3


@dataclass(frozen=True)
class Detected:
    """The language of one message; `certain` only when it is clearly that language."""

    language: str
    certain: bool


@dataclass(frozen=True)
class SwitchWatch:
    """The run of messages in another language so far, and the languages already asked."""

    candidate: str | None = None
    count: int = 0
    asked: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.count < 0 or (self.candidate is None) != (self.count == 0):
            raise ValueError(f"a run needs a candidate and a positive count: {self!r}")

    def to_dict(self) -> dict[str, object]:
        return {"candidate": self.candidate, "count": self.count, "asked": sorted(self.asked)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> SwitchWatch:
        """Read what `to_dict` wrote; missing keys mean "nothing seen yet"."""
        candidate = data.get("candidate")
        count = data.get("count", 0)
        asked = data.get("asked", [])
        if candidate is not None and not isinstance(candidate, str):
            raise ValueError(f"candidate must be a language code or null: {candidate!r}")
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"count must be a whole number: {count!r}")
        if not isinstance(asked, list | tuple) or not all(isinstance(a, str) for a in asked):
            raise ValueError(f"asked must be a list of language codes: {asked!r}")
        return cls(candidate, count, frozenset(asked))


def observe(watch: SwitchWatch, current_language: str,
            detected: Detected | None) -> tuple[SwitchWatch, str | None]:
    """Take one message into account: the new watch, and the language to ask about (or None)."""
    if detected is None or not detected.certain or detected.language not in CODES:
        return watch, None
    language = detected.language
    if language == current_language or language in watch.asked:
        return replace(watch, candidate=None, count=0), None
    count = watch.count + 1 if watch.candidate == language else 1
    if count < MESSAGES_BEFORE_ASKING:
        return replace(watch, candidate=language, count=count), None
    return SwitchWatch(asked=watch.asked | {language}), language
