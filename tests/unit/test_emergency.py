"""Emergency signals in a message to a sleutelpersoon (bot.domain.emergency with the words
of knowledge/emergency.yaml): what must fire, what must not, and that every keyword can."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.content.knowledge import ContentError, Knowledge
from bot.domain.emergency import MAX_CHARS, Matcher, keys, signals_emergency
from bot.settings import PROJECT_ROOT

LANGUAGES = ("ar", "ti", "en", "nl")


@pytest.fixture(scope="module")
def matcher(knowledge: Knowledge) -> Matcher:
    return Matcher(knowledge.emergency_words())


EMERGENCIES = [
    # en: inflected forms, mixed case, apostrophes
    "Please come, my husband is not breathing!!",
    "My son is BLEEDING a lot",
    "he threatened me with a knife yesterday and again today",
    "My neighbour keeps hitting me",
    "I think she had a stroke, her face is hanging",
    "There's a fire in our building",
    "I can't breathe",
    "sometimes I want to kill myself",
    "my daughter took too many pills",
    "he is beating my wife",
    "someone kidnapped my brother",
    "Heart attack? my father has chest pain",
    "i was raped",
    # nl: without compounds, with inflections and without the diaeresis
    "Mijn vader is bewusteloos",
    "mijn man slaat me elke dag",
    "ik word bedreigd door mijn ex",
    "hij heeft een mes",
    "Hij bloedt heel erg",
    "ik denk aan suïcide",
    "ik denk aan suicide",
    "ik wil niet meer leven",
    "mijn kind ademt niet",
    "hij zwaait met twee messen",
    "Help, er is brand!",
    # ar: with and without tashkeel, hamza variants, dialects
    "زوجي لا يتنفس",
    "زوجي لَا يَتَنَفَّسُ",
    "ابني ينزف كثيرا",
    "بدي اقتل نفسي",
    "بدي أقتل نفسي",
    "جوزي بيضربني كل يوم",
    "هددني بسكين",
    "في حريق بالعمارة",
    "الولد فاقد الوعي",
    "اطلبوا الاسعاف بسرعة",
    "أمي عندها تسمم",
    "أنا في خطر",
    "ابي اموت",
    # ti (the list is a draft; these follow it)
    "ሰብኣየይ ይወቕዓኒ",
    "ኣምቡላንስ ጸውዑ",
    "ቆልዓይ ኣይተንፍስን",
    "ርእሰይ ክቐትል ደልየ",
    "ኣብ ገዛ ሓዊ ተላዒሉ",
    "ህይወተይ ኣብ ሓደጋ እያ",
    # mixed languages: an English word in a Tigrinya or Arabic sentence
    "ሓወይ ambulance ደልዩ",
    "ابني unconscious",
]

ORDINARY = [
    "I need help with my tax letter",
    "Can you help me? I got a letter from the Belastingdienst",
    "The debt collector threatens to seize my salary",
    "How do I report a theft to the police?",
    "When is my blood test at the GP?",
    "I was fired from my job, what about my uitkering?",
    "Can you translate this letter into Arabic? It is urgent",
    "I sent the messenger app message to my coach",
    "ik heb hulp nodig met toeslagen",
    "Mijn uitkering komt in gevaar volgens de brief",
    "dat slaat nergens op, de gemeente stuurt weer een brief",
    "Ik moet met spoed een afspraak bij de gemeente",
    "Ik woon op de Hoofdstraat 112",
    "أحتاج مساعدة في رسالة الضرائب",
    "خطر ببالي سؤال عن التأمين الصحي",
    "الأسعار نار، كيف أحصل على دعم الإيجار؟",
    "بدي اقدم طعن على قرار البلدية",
    "بدي موعد مع الدكتور",
    "ደብዳቤ ካብ ግብሪ መጺኡኒ፣ ሓግዙኒ",
    "ሓወይ ኣብ ሆላንድ ኣሎ፣ ምጥርናፍ ስድራ ከመይ ይግበር?",
    "ናይ ደም መርመራ መዓስ እዩ?",
    "ካብ ገዛ ናይ ምውጻእ ሓደጋ ኣሎ ዶ?",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergencies_fire(matcher: Matcher, text: str) -> None:
    assert matcher(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_do_not(knowledge: Knowledge, matcher: Matcher, text: str) -> None:
    assert not matcher(text), [w for w in knowledge.emergency_words() if Matcher([w])(text)]


def test_whole_words_only() -> None:
    knife = Matcher(["mes"])
    assert knife("hij heeft een mes") and knife("twee messen")
    assert not knife("messenger") and not knife("mesen") and not knife("Mesdag")
    assert not Matcher(["fire"])("I was fired")  # losing a job is no emergency


def test_phrases_match_as_consecutive_words() -> None:
    kill = Matcher(["kill myself"])
    assert kill("I want to KILL myself") and kill("killing myself")
    assert not kill("myself, I would kill for a house")
    assert Matcher(["can't breathe"])("he cannot... he can't breathe")


def test_folding_and_light_stemming_agree_on_both_sides() -> None:
    assert Matcher(["إسعاف"])("الاسعاف")  # article, hamza
    assert Matcher(["يضربني"])("يَضْرِبُنِي")  # tashkeel
    assert Matcher(["threatened me"])("he is threatening me")
    assert Matcher(["verkrachting"])("ik ben verkracht")
    assert keys("Suïcide") == keys("SUICIDE")


def test_a_keyword_without_words_is_refused() -> None:
    with pytest.raises(ValueError, match="no words"):
        Matcher(["?!"])
    assert not Matcher([])("anything")


def test_signals_emergency_is_the_matcher_in_one_call() -> None:
    assert signals_emergency("my son is bleeding", ["bleeding"])
    assert not signals_emergency("my son is reading", ["bleeding"])


def test_huge_text_is_bounded() -> None:
    matcher = Matcher(["heart attack", "نزيف", "ambulance"])
    wall = "aa " * 40_000 + "heart attack"  # 120 kB; the keyword lies past the cap
    assert not matcher(wall)
    assert matcher("heart attack " + wall)
    assert not matcher("x" * 100_000)
    assert len(wall) > MAX_CHARS


# -- the real file -----------------------------------------------------------------------


def test_the_file_has_every_language(knowledge: Knowledge) -> None:
    assert set(knowledge.emergency) == set(LANGUAGES)
    assert all(len(knowledge.emergency[lang]) >= 20 for lang in LANGUAGES)
    words = knowledge.emergency_words()
    assert "help" not in words and "letter" not in words and "مساعدة" not in words
    assert len(words) == len(set(words))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_keyword_matches_itself(knowledge: Knowledge, matcher: Matcher,
                                      lang: str) -> None:
    # Catches a keyword that normalisation makes unmatchable.
    unmatched = [w for w in knowledge.emergency[lang] if not Matcher([w])(w) or not matcher(w)]
    assert not unmatched


def test_ordinary_topic_words_do_not_fire(knowledge: Knowledge, matcher: Matcher) -> None:
    """The words people use for bureaucratic topics (knowledge/synonyms.yaml), in every
    language; only the emergency and legal-help topics share words with the list."""
    fired = [(flow, lang, word) for flow, by_lang in knowledge.synonyms.items()
             if flow not in {"gp-and-emergency", "legal-help"}
             for lang, found in by_lang.items() for word in found if matcher(word)]
    assert not fired


def test_a_missing_or_incomplete_file_is_a_content_error(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", copy)
    path = copy / "emergency.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["words"]["ti"] = []
    raw["words"]["en"].append("!!")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match=r"emergency\.yaml:\d+: words: .*ti") as error:
        Knowledge.load(copy)
    assert "'!!'" in str(error.value)
    path.unlink()
    with pytest.raises(ContentError, match=r"emergency\.yaml:1: file is missing"):
        Knowledge.load(copy)
