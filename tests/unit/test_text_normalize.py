"""Search tokens in Arabic, Tigrinya, English and Dutch (bot.domain.text_normalize)."""

from __future__ import annotations

import pytest

from bot.domain.text_normalize import (
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


@pytest.mark.parametrize("text", ["", "   ", "؟؟؟", "።።", "🙂🙂", "a", "x" * 5000])
def test_odd_input_gives_a_list(text: str) -> None:
    assert isinstance(normalize(text, "ar"), list)
