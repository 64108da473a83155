"""Search tokens in Arabic, Tigrinya, English and Dutch (bot.domain.text_normalize)."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection

import pytest
from budget import within_budget

from bot.domain.text_normalize import (
    MAX_COMPOUND,
    fold,
    normalize,
    split_compound,
    stem_arabic,
    stem_ethiopic,
    stem_latin,
    words,
)

# -- Arabic ------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "plain"), [
    ("تَأْمِينٌ", "تامين"),  # tashkeel and hamza on alef
    ("إقامة", "اقامه"),  # hamza below, ta marbuta
    ("آجار", "اجار"),  # madda
    ("ٱلبيت", "البيت"),  # alef wasla
    ("على", "علي"),  # alef maksura
    ("مسؤول", "مسوول"),  # hamza on waw
    ("رئيس", "رييس"),  # hamza on ya
    ("ضـــريبة", "ضريبه"),  # tatweel
    ("٢٠٢٦", "2026"),  # Arabic-Indic digits
    ("۱۲", "12"),  # Persian digits
])
def test_arabic_letter_variants_fold_to_one_spelling(typed: str, plain: str) -> None:
    assert fold(typed) == plain


def test_hamza_and_ta_marbuta_variants_give_the_same_tokens() -> None:
    assert normalize("التأمين الصحيّ", "ar") == normalize("التامين الصحي", "ar")
    assert normalize("فاتورة الكهرباء", "ar") == normalize("فاتوره الكهربا", "ar")
    assert normalize("أريد إعفاء", "ar") == normalize("اريد اعفاء", "ar")


@pytest.mark.parametrize(("word", "stem"), [
    ("البيت", "بيت"),
    ("والبيت", "بيت"),
    ("بالمدرسه", "مدرس"),
    ("للاطفال", "اطفال"),
    ("عالمدرسه", "مدرس"),  # spoken على ال
    ("ضريبتي", "ضريب"),  # ta marbuta before a pronoun
    ("ضريبه", "ضريب"),
    ("مساعدات", "مساعد"),
])
def test_arabic_clitics_and_suffixes_are_stripped(word: str, stem: str) -> None:
    assert stem_arabic(word) == stem


@pytest.mark.parametrize("word", ["ولد", "بال", "الم", "اله", "وطن"])
def test_arabic_stripping_never_leaves_fewer_than_three_letters(word: str) -> None:
    stem = stem_arabic(word)
    assert len(stem) >= 3
    assert stem == word


def test_arabic_stop_words_are_dropped() -> None:
    assert normalize("شو يعني هاد", "ar") == []
    assert normalize("كيف بدي ادفع الضريبة؟", "ar") == ["ادفع", "ضريب"]


# -- Ethiopic ----------------------------------------------------------------------------


def test_ethiopic_text_splits_on_ethiopic_punctuation_and_space() -> None:
    text = "ደብዳቤ።ግብሪ፣ገንዘብ፤ክራይ፥ገዛ፦ስራሕ፧ቋንቋ፨ሕጊ፡መኪና ዕዳ"
    assert words(text) == ["ደብዳቤ", "ግብሪ", "ገንዘብ", "ክራይ", "ገዛ", "ስራሕ", "ቋንቋ", "ሕጊ",
                           "መኪና", "ዕዳ"]


def test_ethiopic_syllables_stay_whole() -> None:
    tokens = normalize("ኢንሹራንስ ጥዕና", "ti")
    assert len(tokens) == 2
    assert all(0x1200 <= ord(c) <= 0x137F for t in tokens for c in t)
    assert tokens[0].startswith("ኢንሹራን")


@pytest.mark.parametrize(("a", "b"), [
    ("ደብዳቤ", "ደብዳቤታት"),  # plural
    ("ገንዘብ", "ገንዘበይ"),  # my money: the suffix changes the vowel before it
    ("ገዛ", "ገዛይ"),  # my house
    ("ደብዳቤ", "ንደብዳቤ"),  # attached particle
    ("ኣድራሻ", "አድራሻ"),  # አ written for ኣ
])
def test_ethiopic_inflections_meet(a: str, b: str) -> None:
    assert stem_ethiopic(fold(a)) == stem_ethiopic(fold(b))


def test_ethiopic_stripping_keeps_two_syllables() -> None:
    assert stem_ethiopic("ምስሊ") == "ምስል"  # ምስ stays: only one syllable would be left
    assert stem_ethiopic("ገዛ") == "ገዝ"
    assert len(stem_ethiopic("ንግዲ")) == 2


def test_tigrinya_question_words_are_dropped() -> None:
    assert normalize("ግብሪ እንታይ እዩ", "ti") == normalize("ግብሪ", "ti")


# -- Latin -------------------------------------------------------------------------------


def test_latin_is_lower_case_without_accents() -> None:
    assert words("Café in België, Curaçao") == ["cafe", "in", "belgie", "curacao"]


@pytest.mark.parametrize(("a", "b"), [
    ("toeslag", "toeslagen"),
    ("letter", "letters"),
    ("gemeente", "gemeenten"),
    ("brief", "brieven"),
    ("allowance", "allowances"),
    ("tax", "taxes"),
])
def test_plurals_meet(a: str, b: str) -> None:
    assert stem_latin(a) == stem_latin(b)


@pytest.mark.parametrize("word", ["bsn", "pas", "status", "bus", "ozb"])
def test_short_and_s_final_words_stay(word: str) -> None:
    assert stem_latin(word) == word


VOCABULARY = frozenset(stem_latin(w) for w in [
    "huur", "toeslag", "zorg", "verzekering", "zorgverzekering", "gemeente", "belasting",
    "kind", "opvang"])


def test_split_compound_into_known_words() -> None:
    assert split_compound("huurtoeslag", VOCABULARY) == ["huur", "toeslag"]
    assert split_compound(stem_latin("gemeentebelasting"), VOCABULARY) == ["gemeent",
                                                                            "belasting"]


def test_split_compound_prefers_fewest_parts() -> None:
    assert split_compound("zorgverzekeringspas", VOCABULARY) == ["zorgverzekering"]
    assert split_compound("zorgverzekering", VOCABULARY) == ["zorg", "verzekering"]


def test_split_compound_finds_nothing_in_unknown_or_short_words() -> None:
    assert split_compound("fiets", VOCABULARY) == []
    assert split_compound("wedstrijd", VOCABULARY) == []
    assert split_compound("huur", VOCABULARY) == []


def _backtracking_split(word: str, vocabulary: Collection[str], min_part: int = 4) -> list[str]:
    """The exhaustive search split_compound replaced (exponential, so small words only): the
    reference its full splits must keep agreeing with."""
    best: list[str] = []

    def walk(rest: str, parts: list[str]) -> None:
        nonlocal best
        if best and len(parts) >= len(best):
            return
        if rest in vocabulary and parts:
            best = [*parts, rest]
            return
        for end in range(len(rest) - min_part, min_part - 1, -1):
            if rest[:end] in vocabulary:
                for link in ("", "s", "e", "en"):
                    tail = rest[end:]
                    if tail.startswith(link) and len(tail) - len(link) >= min_part:
                        walk(tail[len(link):], [*parts, rest[:end]])

    walk(word, [])
    return best


def test_split_compound_agrees_with_the_backtracking_search() -> None:
    """Fewest parts, and the same choice among equally short splits (links and heads that
    overlap: vermog+en or vermogen, huur+toeslag or huurtoeslag)."""
    vocabulary = VOCABULARY | {"vermog", "vermogen", "huurtoeslag", "kinder", "enen", "eens"}
    pieces = [*sorted(vocabulary), "s", "e", "en", "ens", "x"]
    rng = random.Random(6)
    checked = 0
    for _ in range(3000):
        word = "".join(rng.choice(pieces) for _ in range(rng.randint(2, 5)))
        expected = _backtracking_split(word, vocabulary)
        if len(word) <= MAX_COMPOUND and expected:
            assert split_compound(word, vocabulary) == expected, word
            checked += 1
    assert checked > 1000
    assert split_compound("vermogenkind", vocabulary) == ["vermog", "kind"]


def test_split_compound_leaves_runs_longer_than_a_compound_alone() -> None:
    longest = "zorgverzekering" * 4 + "huur"
    assert len(longest) == MAX_COMPOUND
    assert split_compound(longest, VOCABULARY)[-1] == "huur"
    assert split_compound(longest + "kind", VOCABULARY) == []


def test_normalize_adds_compound_parts_after_the_word() -> None:
    assert normalize("huurtoeslagen", "nl", VOCABULARY) == ["huurtoeslag", "huur", "toeslag"]
    assert "toeslag" in normalize("ما معنى huurtoeslag", "ar", VOCABULARY)


def test_english_and_dutch_stop_words_are_dropped() -> None:
    assert normalize("What does it mean?", "en") == []
    assert normalize("Wat betekent dat?", "nl") == []
    assert normalize("How do I apply for allowances", "en") == ["apply", "allowanc"]


# -- mixed -------------------------------------------------------------------------------


def test_scripts_never_share_a_token() -> None:
    assert normalize("الDigiD", "ar") == ["digid"]
    assert normalize("ቁጽሪBSN", "ti") == [stem_ethiopic("ቁጽሪ"), "bsn"]


def test_dutch_words_inside_arabic_and_tigrinya_stay_dutch() -> None:
    assert "aanmaning" in normalize("وصلتني aanmaning من البلدية", "ar")
    assert "beschikking" in normalize("beschikking እንታይ ማለት እዩ", "ti")


# -- hostile input ----------------------------------------------------------------------

# Both vermog and vermogen (the stems of vermogen, vermogens), so every repetition of
# "vermogen" splits two ways; huurtoeslag splits as itself or as huur + toeslag.
HOSTILE_VOCABULARY = VOCABULARY | {stem_latin(w) for w in [
    "vermogen", "vermogens", "baan", "banen", "huurtoeslag"]}
HOSTILE = {
    "vermogen glued": "vermogen" * 20 + "q",
    "vermogen glued, long": "vermogen" * 512,
    "vermogens glued": "vermogens" * 20 + "q",
    "vermogen and vermogens glued": "vermogensvermogen" * 240 + "q",
    "baan glued": "baan" * 1000,
    "huurtoeslag glued": "huurtoeslag" * 300,
    "huur toeslag with links": "huurstoeslagen" * 290,
    "latin word": "ab" * 2048,
    "arabic word": "الضريبة" * 585,
    "ethiopic word": "ገንዘብ" * 1024,
    "scripts glued": "huurtoeslagالضريبةገንዘብDigiD" * 150,
    "tashkeel flood": "ا" + "\u064b" * 4000,
    "accent flood": "e" + "\u0301" * 4000,
    "ethiopic mark flood": "ገ" + "\u135f" * 4000,
    "ligature flood": "\ufdfa" * 2048,  # NFKD makes each one four Arabic words
    "zero-width joiners": "huur\u200dtoeslag\u200c\u200b" * 300,
    "emoji": "🙂" * 4096,
    "emoji families": "👨\u200d👩\u200d👧" * 800,
    "digits": "1" * 4096,
    "arabic digits": "٣" * 4096,
    "rtl marks": "\u200fضريبة\u200e\u202e" * 512,
}


ODD = {"empty": "", "spaces": "   ", "arabic question marks": "؟؟؟", "ethiopic stops": "።።",
       "two emoji": "🙂🙂", "one letter": "a", "x 5000": "x" * 5000, **HOSTILE}


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
@pytest.mark.parametrize("lang", ["ar", "ti", "en", "nl"])
def test_odd_input_gives_a_list_quickly(text: str, lang: str) -> None:
    for keep_stopwords in (False, True):
        with within_budget(f"normalize({text[:20]!r}..., {lang!r})"):
            tokens = normalize(text, lang, HOSTILE_VOCABULARY, keep_stopwords=keep_stopwords)
        assert isinstance(tokens, list)


GLUED = {name: word for name, word in HOSTILE.items() if word.isascii() and word.isalpha()}


@pytest.mark.parametrize("word", list(GLUED.values()), ids=list(GLUED))
def test_split_compound_is_quick_on_glued_repetitions(word: str) -> None:
    for length in (60, MAX_COMPOUND, len(word)):
        with within_budget(f"split_compound({word[:20]!r}...[:{length}])"):
            split_compound(word[:length], HOSTILE_VOCABULARY)


def test_stemmers_are_quick_on_long_words() -> None:
    stemmers: list[tuple[Callable[[str], str], str]] = [
        (stem_arabic, "والضريبتها" * 400), (stem_ethiopic, "ካብገንዘብታትይ" * 400),
        (stem_latin, "bussen" * 700)]
    for stem, word in stemmers:
        with within_budget(stem.__name__):
            assert stem(word)
