"""Offline language detection of short messages (bot.translation.detect): script first for
Arabic and Tigrinya, lingua restricted to English and Dutch for Latin text, and a strict
`certain` (it decides whether a message counts towards offering a language switch)."""

from __future__ import annotations

import ast
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.domain.language_switch import Detected
from bot.translation.detect import detect

AR, TI, EN, NL = "ar", "ti", "en", "nl"
SURE, UNSURE = True, False

SAMPLES = [
    # Arabic and Tigrinya: the script decides, even for one short word.
    ("مرحبا", AR, SURE),
    ("شكرا جزيلا", AR, SURE),
    ("وصلتني رسالة من مكتب الضرائب", AR, SURE),
    ("أحتاج مساعدة من فضلك", AR, SURE),
    ("ሰላም", TI, SURE),
    ("ከመይ ኣለኹም", TI, SURE),
    ("የቐንየለይ", TI, SURE),
    ("ሓገዝ የድልየኒ", TI, SURE),
    ("ካብ ቤት ጽሕፈት ግብሪ ደብዳበ መጺኡኒ", TI, SURE),
    # English and Dutch: a lean from one or two words, certainty from a real sentence.
    ("hello", EN, UNSURE),
    ("thank you", EN, UNSURE),
    ("I got a letter from the tax office", EN, SURE),
    ("Where can I find a doctor?", EN, SURE),
    ("HELP ME PLEASE I HAVE A LETTER", EN, SURE),
    ("bedankt", NL, UNSURE),
    ("dank je wel", NL, SURE),
    ("Ik heb een brief van de Belastingdienst gekregen", NL, SURE),
    ("Waar kan ik een huisarts vinden?", NL, SURE),
    ("Ik woon in Utrecht", NL, SURE),
    # Mixed: numbers, emoji and links are not language; Dutch names are not Dutch.
    ("Ik heb een brief: BSN 123456789", NL, SURE),
    ("Ik heb een brief: BSN 123456789 📄 zie https://mijn.toeslagen.nl", NL, SURE),
    ("I got a letter from Belastingdienst", EN, UNSURE),  # would be "certainly Dutch"
    ("I live in Utrecht", EN, UNSURE),  # would be "certainly Dutch" too
    ("رسالة من Belastingdienst", AR, UNSURE),  # Arabic, but the Dutch word is most letters
    ("ሰላም Belastingdienst", TI, UNSURE),
    ("ሰላም! 👋 https://t.me/wegwijs", TI, SURE),
]

NOTHING_TO_TELL = [
    "ok",  # lingua says Dutch
    "hoi",  # lingua says English
    "ja",
    "Yes",
    "I am",  # a coin toss between English and Dutch
    "👍🙏",
    "https://www.belastingdienst.nl/wps/wcm/connect/nl/toeslagen",
    "www.toeslagen.nl",
    "/start",
    "/start@WegwijsBot",
    "@wegwijs_bot",
    "123456789",
    "",
    "   \n",
    "Привет, как дела?",  # a script Wegwijs does not speak
]


@pytest.mark.parametrize(("text", "language", "certain"), SAMPLES)
def test_samples(text: str, language: str, certain: bool) -> None:
    assert detect(text) == Detected(language, certain)


@pytest.mark.parametrize("text", NOTHING_TO_TELL)
def test_too_little_to_tell(text: str) -> None:
    assert detect(text) is None


def test_the_answer_is_the_domain_value_and_cannot_change() -> None:
    found = detect("Waar kan ik een huisarts vinden?")
    assert isinstance(found, Detected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.language = EN  # type: ignore[misc]


def test_a_long_paste_is_read_from_its_start() -> None:
    letter = "Ik heb een brief van de Belastingdienst gekregen over mijn toeslag. " * 200
    assert detect(letter) == Detected(NL, SURE)
    assert detect("وصلتني رسالة " + letter) == Detected(AR, UNSURE)


def test_threads_share_one_detector_and_agree() -> None:
    texts = [text for text, _, _ in SAMPLES] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(detect, texts))
    assert found == [detect(text) for text in texts]


def test_only_the_detector_imports_lingua() -> None:
    bot = Path(__file__).resolve().parents[2] / "bot"
    importers = set()
    for path in bot.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(name == "lingua" or name.startswith("lingua.") for name in names):
                importers.add(path.relative_to(bot).as_posix())
    assert importers == {"translation/detect.py"}
