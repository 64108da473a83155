"""Which of Wegwijs' languages a short message is in, offline.

Script first: Ethiopic letters mean Tigrinya, Arabic letters mean Arabic (nobody writes
English or Dutch in those scripts, while Arabic and Tigrinya speakers often paste Dutch
words from their letters, so those scripts win over Latin). Latin text is English or Dutch,
told apart by lingua restricted to those two languages; its models ship in the wheel and
only those two are loaded. Digits, emoji, punctuation, URLs, e-mail addresses, @mentions and
/commands are not language and are left out.

`certain` is deliberately strict: it feeds bot.domain.language_switch, where a run of certain
messages in another language makes the bot offer a switch. None means "cannot tell".
"""

from __future__ import annotations

import re
import threading
import unicodedata

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.domain.language_switch import Detected

__all__ = ["Detected", "detect"]

CLEAR_MAJORITY = 0.6  # share of the letters a script needs for a certain answer
MIN_LATIN_LETTERS = 4  # fewer ("ok", "hoi", "ja", "yes") is too little to tell en from nl
MIN_LEAN = 0.6  # lingua's confidence below this is a coin toss: None
MIN_CERTAIN_WORDS = 3
MIN_CERTAIN_CONFIDENCE = 0.8  # tuned on short newcomer messages, see the tests
MAX_CHARS = 1000  # the start of a long paste tells as much, and lingua's time grows with it

_ETHIOPIC = ((0x1200, 0x137F), (0x1380, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F),
             (0x1E7E0, 0x1E7FF))
_ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
           (0xFE70, 0xFEFF))
_LATIN = ((0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x00D6), (0x00D8, 0x00F6),
          (0x00F8, 0x024F), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF),
          (0xAB30, 0xAB6F), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}"
                         for low, high in ranges) + "]"


_ETHIOPIC_LETTER = re.compile(_char_class(_ETHIOPIC))
_ARABIC_LETTER = re.compile(_char_class(_ARABIC))
_LATIN_LETTER = re.compile(_char_class(_LATIN))
_LATIN_WORD = re.compile(rf"{_char_class(_LATIN)}+(?:['’]{_char_class(_LATIN)}+)*")

_NOISE = re.compile(
    r"""(?:https?|ftp)://\S+                 # URLs with a scheme
      | \bwww\.\S+                           # and without
      | \b[\w.+-]+@[\w-]+(?:\.[\w-]+)+       # e-mail addresses
      | @\w+                                 # @mentions
      | (?<!\S)/\w+(?:@\w+)?                 # /commands, /start@WegwijsBot
      | \bt\.me/\S*                          # Telegram links
      | \b[\w-]+(?:\.[\w-]+)*\.(?:nl|com|org|net|eu|info)(?:/\S*)?(?!\w)  # bare domains
    """,
    re.VERBOSE | re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?:;\n]+")
_ENGLISH_I = re.compile(r"I(?:['’]\w+)?")

_LINGUA_CODES = {Language.ENGLISH: "en", Language.DUTCH: "nl"}
_detector: LanguageDetector | None = None
_lock = threading.Lock()


def detect(text: str) -> Detected | None:
    """The language of `text`, or None when it has no letters or too few to tell."""
    cleaned = _NOISE.sub(" ", unicodedata.normalize("NFC", text[:MAX_CHARS]))
    letters = "".join(filter(str.isalpha, cleaned))
    ethiopic = len(_ETHIOPIC_LETTER.findall(letters))
    arabic = len(_ARABIC_LETTER.findall(letters))
    latin = len(_LATIN_LETTER.findall(letters))
    if ethiopic or arabic:
        language, share = ("ti", ethiopic) if ethiopic >= arabic else ("ar", arabic)
        return Detected(language, certain=share / len(letters) >= CLEAR_MAJORITY)
    if latin < MIN_LATIN_LETTERS or latin / len(letters) < CLEAR_MAJORITY:
        return None  # nothing, too little, or mostly a script Wegwijs does not speak
    words = _telling_words(cleaned)
    values = _english_or_dutch().compute_language_confidence_values(" ".join(words))
    if not values or values[0].value < MIN_LEAN:
        return None
    best = values[0]
    certain = len(words) >= MIN_CERTAIN_WORDS and best.value >= MIN_CERTAIN_CONFIDENCE
    return Detected(_LINGUA_CODES[best.language], certain=certain)


def _telling_words(text: str) -> list[str]:
    """The Latin words, without capitalised ones inside a sentence when those are few.

    Names and Dutch institutions ("I got a letter from Belastingdienst", "I live in
    Utrecht") otherwise make English look certainly Dutch. Text in capitals or title case
    keeps all its words.
    """
    found: list[tuple[str, bool]] = []  # (word, capitalised inside a sentence)
    for sentence in _SENTENCE_END.split(text):
        for position, word in enumerate(_LATIN_WORD.findall(sentence)):
            inside = position > 0 and word[0].isupper() and not _ENGLISH_I.fullmatch(word)
            found.append((word, inside))
    kept = [word for word, inside in found if not inside]
    return kept if 2 * len(kept) >= len(found) else [word for word, _ in found]


def _english_or_dutch() -> LanguageDetector:
    """One detector per process, built on first use (both models loaded, then read-only)."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = (LanguageDetectorBuilder.from_languages(*_LINGUA_CODES)
                             .with_preloaded_language_models().build())
    return _detector
