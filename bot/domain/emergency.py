"""Does a message to a sleutelpersoon signal an emergency (knowledge/emergency.yaml)?

A signal, not a diagnosis: a hit only puts 112 and the huisartsenpost first. Keywords and
text are reduced to the same keys, so matching ignores case, accents, tashkeel and hamza
carriers (text_normalize.fold), and light inflection: the stemmers of the search index
plus English/Dutch -ing and -ed (bleeding, threatened, verkrachting → bleed, threat,
verkracht). Keywords match whole words only ("mes" never fires inside "messenger"); a
phrase matches as consecutive words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain.text_normalize import stem_arabic, stem_ethiopic, stem_latin
from bot.domain.text_normalize import words as folded_words

# A Telegram message has at most 4096 characters; the cap only bounds the work on pasted
# walls of text, and sits well above it so a real message is never cut.
MAX_CHARS = 16_384

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_ETHIOPIC = re.compile(r"[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
# Consonants English and Dutch double before -ing/-ed (hitting, stabbed) but not in the
# stem itself; l, s, f and z stay doubled (killing → kill).
_DOUBLED = re.compile(r"([bdgmnprt])\1$")
_VERB_MIN = 4  # letters left after -ing/-ed: "bleed" and "fired" keep theirs


def _latin_key(word: str) -> str:
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= _VERB_MIN:
            word = word[: -len(suffix)]
            if _DOUBLED.search(word):
                word = word[:-1]
            break
    return stem_latin(word)


def _key(word: str) -> str:
    if _ARABIC.match(word):
        return stem_arabic(word)
    if _ETHIOPIC.match(word):
        return stem_ethiopic(word)
    return _latin_key(word)


def keys(text: str) -> list[str]:
    """The matching keys of a text, in reading order. Single letters (the "t" of "can't",
    the "a" of "with a gun") carry nothing and are left out, on both sides."""
    return [_key(w) for w in folded_words(text) if len(w) >= 2 or w.isdigit()]


class Matcher:
    """Precompiled keywords; build one at start-up and call it for every message."""

    def __init__(self, words: Iterable[str]) -> None:
        # Phrases by their first key, so a text is scanned once, whatever the list size.
        self._phrases: dict[str, set[tuple[str, ...]]] = {}
        for word in words:
            phrase = tuple(keys(word))
            if not phrase:
                raise ValueError(f"emergency keyword {word!r} has no words to match")
            self._phrases.setdefault(phrase[0], set()).add(phrase)

    def __call__(self, text: str) -> bool:
        found = keys(text[:MAX_CHARS])
        for start, key in enumerate(found):
            for phrase in self._phrases.get(key, ()):
                if tuple(found[start:start + len(phrase)]) == phrase:
                    return True
        return False


def signals_emergency(text: str, words: Iterable[str]) -> bool:
    """True when `text` contains one of the keywords `words` (see Matcher)."""
    return Matcher(words)(text)
