"""Free-text search (bot.content.search): accuracy on the development questions, and the
behaviour the chat relies on. No latency targets here (bench/search.py measures), only a
generous bound that shows hostile input cannot freeze the bot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from budget import within_budget

from bot.content import contexts
from bot.content.catalogs import BabelCatalogs, Translator
from bot.content.flows import REQUIRED, load_flows
from bot.content.knowledge import ContentError, Knowledge
from bot.content.schema import Flow
from bot.content.search import (
    CONFIDENT_SCORE,
    MAX_QUERY_CHARS,
    SearchHit,
    SearchIndex,
    _dutch_vocabulary,
    clip,
)
from bot.domain import languages
from bot.domain.text_normalize import MAX_COMPOUND
from bot.settings import PROJECT_ROOT

QUESTIONS = Path(__file__).parent / "search_questions.yaml"
TARGET_TOP3 = 0.90


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load(PROJECT_ROOT / "knowledge")


@pytest.fixture(scope="module")
def flows(knowledge: Knowledge) -> dict[str, Flow]:
    return load_flows(PROJECT_ROOT / "flows", knowledge)


@pytest.fixture(scope="module")
def index(flows: dict[str, Flow], knowledge: Knowledge) -> SearchIndex:
    return SearchIndex.build(flows, knowledge, BabelCatalogs.load(PROJECT_ROOT / "locales"))


def questions() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))[
        "questions"]
    return loaded


def ids(hits: list[SearchHit]) -> list[tuple[str, str]]:
    return [(h.kind, h.id) for h in hits]


# -- the question set --------------------------------------------------------------------


def test_question_set_is_big_and_varied_enough() -> None:
    per_language = defaultdict(list)
    for q in questions():
        per_language[q["lang"]].append(q)
    assert len(questions()) >= 160
    assert set(per_language) == languages.CODES
    for lang, asked in per_language.items():
        assert len(asked) >= 40, lang
        assert any(len(q["q"].split()) == 1 for q in asked), f"{lang}: no one-word question"
        assert {q["expect"] for q in asked if q["kind"] == "flow"} == set(REQUIRED), lang
    for lang in ("ar", "ti"):
        assert any(any("a" <= c <= "z" for c in q["q"].lower()) for q in per_language[lang]), \
            f"{lang}: no Dutch word inside a sentence"


def test_every_expected_answer_exists(flows: dict[str, Flow], knowledge: Knowledge) -> None:
    organisations = {o.id for o in knowledge.national} | {
        o.id for orgs in knowledge.local.values() for o in orgs}
    known = {"flow": set(flows), "glossary": {t.id for t in knowledge.glossary},
             "organisation": organisations}
    for q in questions():
        assert q["expect"] in known[q["kind"]], q


def accuracy(offered: Callable[[dict[str, Any]], list[SearchHit]]) -> tuple[dict[str, float],
                                                                          list[str]]:
    """Share of development questions per language whose expected answer is offered."""
    asked: dict[str, int] = defaultdict(int)
    found: dict[str, int] = defaultdict(int)
    misses = []
    for q in questions():
        hits = offered(q)
        asked[q["lang"]] += 1
        if (q["kind"], q["expect"]) in ids(hits):
            found[q["lang"]] += 1
        else:
            misses.append(f'{q["lang"]} {q["q"]!r}: want {q["expect"]}, got {ids(hits)}')
    return {lang: found[lang] / asked[lang] for lang in asked}, misses


def test_top3_accuracy_per_language(index: SearchIndex) -> None:
    shares, misses = accuracy(
        lambda q: index.search(q["q"], q["lang"], q.get("municipality"), limit=3))
    assert all(a >= TARGET_TOP3 for a in shares.values()), (shares, misses)


def test_synonyms_name_real_flows_in_every_language(knowledge: Knowledge,
                                                    flows: dict[str, Flow]) -> None:
    assert set(knowledge.synonyms) <= set(flows)
    for flow_id in REQUIRED:
        assert set(knowledge.synonyms.get(flow_id, {})) == languages.CODES, flow_id


def test_synonyms_file_is_optional_and_validated(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", copy)
    (copy / "synonyms.yaml").unlink()
    assert Knowledge.load(copy).synonyms == {}
    (copy / "synonyms.yaml").write_text("synonyms:\n  digid:\n    fr: [connexion]\n",
                                        encoding="utf-8")
    with pytest.raises(ContentError, match=r"synonyms\.yaml:3: synonyms\.digid\.fr"):
        Knowledge.load(copy)


# -- behaviour ---------------------------------------------------------------------------


def test_arabic_spelling_variants_find_the_same_flow(index: SearchIndex) -> None:
    variants = ["التأمين الصحي", "التامين الصحى", "التَّأْمِين الصِّحِّي", "تأمين صحّي"]
    for text in variants:
        assert index.search(text, "ar")[0].id == "health-insurance", text
    for text in ["فاتورة الكهرباء", "فاتوره الكهربا", "فاتورة الكهرباء"]:
        assert index.search(text, "ar")[0].id == "housing-and-energy", text
    assert ids(index.search("إعفاء من ضريبة البلدية", "ar"))[:1] == \
        ids(index.search("اعفاء من ضريبه البلديه", "ar"))[:1]


def test_dutch_word_inside_an_arabic_sentence(index: SearchIndex) -> None:
    hits = index.search("وصلتني aanmaning من الشركة شو اعمل", "ar")
    assert hits[0].kind == "flow"
    assert ("glossary", "aanmaning") in ids(hits)
    assert ("flow", "debts") in ids(hits)[:2]


def test_dutch_word_inside_a_tigrinya_sentence(index: SearchIndex) -> None:
    hits = index.search("huurtoeslag ከመይ ይሕተት", "ti")
    assert hits[0] == SearchHit("toeslagen", "flow", hits[0].score, True)
    assert ("glossary", "huurtoeslag") in ids(hits)


def test_a_compound_is_found_through_its_parts(index: SearchIndex) -> None:
    # Neither word is in any text; their parts are.
    assert index.search("huurtoeslagformulier", "nl")[0].id == "toeslagen"
    assert index.search("inburgeringsbrief", "nl")[0].id == "inburgering"


def test_a_bare_glossary_word_puts_the_term_first_then_its_flow(index: SearchIndex) -> None:
    for question, lang in [("voorschotbeschikking", "en"),
                           ("ما معنى voorschotbeschikking", "ar"),
                           ("voorschotbeschikking እንታይ እዩ", "ti"),
                           ("Wat is een voorschotbeschikking?", "nl")]:
        hits = index.search(question, lang)
        assert ids(hits)[:2] == [("glossary", "voorschotbeschikking"), ("flow", "toeslagen")]
        assert hits[0].confident


def test_a_topic_question_puts_the_flow_before_its_glossary_word(index: SearchIndex) -> None:
    hits = index.search("how do I apply for huurtoeslag", "en")
    assert ids(hits)[0] == ("flow", "toeslagen")
    assert ("glossary", "huurtoeslag") in ids(hits)
    for hit in hits:
        if hit.kind == "glossary":
            assert hit.score < hits[0].score


def test_organisations_only_national_and_from_the_persons_municipality(
        index: SearchIndex) -> None:
    haarlem = index.search("haarlemmaatjes buddy", "nl", municipality="haarlem", limit=10)
    assert ("organisation", "hlm-haarlemmaatjes") in ids(haarlem)
    for municipality in ("leiden", "other", None):
        hits = index.search("haarlemmaatjes buddy", "nl", municipality=municipality, limit=20)
        assert not any(h.kind == "organisation" and h.id.startswith("hlm-") for h in hits)
    national = index.search("juridisch loket", "en", municipality="delft", limit=10)
    assert ("organisation", "juridisch-loket") in ids(national)


def test_nothing_relevant_is_not_confident(index: SearchIndex) -> None:
    for question, lang in [("hello", "en"), ("what time is it", "en"), ("hoe gaat het", "nl"),
                           ("مرحبا كيف حالك", "ar"), ("ሰላም ከመይ ኣለኻ", "ti"),
                           ("qwxzv", "en"), ("", "ar"), ("???", "nl")]:
        hits = index.search(question, lang)
        assert not any(h.confident for h in hits), (question, hits)


def test_confidence_follows_the_documented_threshold(index: SearchIndex) -> None:
    for q in questions()[:40]:
        for hit in index.search(q["q"], q["lang"], q.get("municipality")):
            assert hit.confident == (hit.score >= CONFIDENT_SCORE)


def test_results_are_ranked_limited_and_unique(index: SearchIndex) -> None:
    hits = index.search("toeslag huur zorg kinderen belasting", "nl", limit=4)
    assert 0 < len(hits) <= 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(set(ids(hits))) == len(hits)
    assert index.search("toeslag", "nl", limit=0) == []




def hostile(pattern: str) -> str:
    """`pattern` repeated to 4,096 characters, the longest Telegram message."""
    return (pattern * (4096 // len(pattern) + 1))[:4096]


ODD = {"empty": "", "space": " ", "emoji": "🙂", "arabic question mark": "؟",
       "ethiopic stop": "።", "a 10000": "a" * 10_000, "markup": "<b>digid</b>",
       "placeholder": "{fact:x}", "digid 300": "DigiD " * 300,
       # Glued repetitions of vocabulary words, which split in many ways.
       "vermogen glued": "vermogen" * 20 + "q", "vermogens glued": hostile("vermogens"),
       "vermogen and vermogens glued": hostile("vermogensvermogen") + "q",
       "baan glued": hostile("baan"), "huurtoeslag glued": hostile("huurtoeslag"),
       "huurtoeslag words": hostile("huurtoeslag "),
       "arabic word": hostile("والضريبة"), "ethiopic word": hostile("ገንዘብ"),
       "scripts glued": hostile("huurtoeslagالضريبةገንዘብDigiD"),
       "tashkeel flood": "ا" + "\u064b" * 4095, "accent flood": "e" + "\u0301" * 4095,
       "ligature flood": hostile("\ufdfa"),  # NFKD makes each one four Arabic words
       "zero-width joiners": hostile("huur\u200dtoeslag\u200c"),
       "emoji flood": hostile("👨\u200d👩\u200d👧"), "digits": hostile("1"),
       "rtl marks": hostile("\u200fضريبة\u200e\u202e"),
       "unknown words": hostile("qwxzv plorkt huurtoeslagx ضريبهخ ገንዘብቅ "),
       "glossary words": hostile("eigen risico aanmaning beschikking toeslagpartner ")}


@pytest.mark.parametrize("text", list(ODD.values()), ids=list(ODD))
def test_odd_input_never_raises_and_is_quick(index: SearchIndex, text: str) -> None:
    for lang in [*languages.CODES, "xx"]:
        with within_budget(f"search({text[:20]!r}..., {lang!r})"):
            hits = index.search(text, lang, municipality="leiden")
        assert isinstance(hits, list)


def test_a_long_question_is_answered_from_its_beginning(index: SearchIndex) -> None:
    question = "how do I apply for huurtoeslag"
    padded = question + " and also" * 200 + " digid"
    assert ids(index.search(padded, "en")) == ids(index.search(question, "en"))
    assert ("flow", "digid") not in ids(index.search(padded, "en"))


def test_clip_cuts_at_a_space_when_there_is_one() -> None:
    assert clip("short question") == "short question"
    assert clip("word " * 200) == ("word " * 100).rstrip()
    assert clip("ab " + "c" * 600) == "ab"
    assert clip("x" * 600) == "x" * MAX_QUERY_CHARS
    assert all(len(clip(text)) <= MAX_QUERY_CHARS for text in ODD.values())


def test_compound_cap_leaves_room_for_two_vocabulary_words(knowledge: Knowledge) -> None:
    """Words longer than MAX_COMPOUND are not split (text_normalize): it must stay above
    two of the longest words compounds are split into."""
    assert 2 * max(map(len, _dutch_vocabulary(knowledge))) <= MAX_COMPOUND


def test_labels_are_what_a_button_says(index: SearchIndex, flows: dict[str, Flow]) -> None:
    [flow_hit] = [h for h in index.search("digid", "en") if h.kind == "flow"]
    assert index.label(flow_hit, "en") == flows["digid"].title
    glossary = index.search("eigen risico", "ar")[0]
    assert index.label(glossary, "ar") == "eigen risico"


def test_translations_in_the_catalog_are_searched(flows: dict[str, Flow],
                                                  knowledge: Knowledge) -> None:
    """A word that only the Arabic translation of a flow title contains finds that flow."""
    catalog = Catalog(locale="ar", domain="messages")
    title = flows["driving-licence"].title
    catalog.add(title, "رخصة القيادة وزرافة", context=contexts.flow_title("driving-licence"))
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translators = {lang: Translator(Translations()) for lang in languages.CODES}
    translators["ar"] = Translator(Translations(fp=buffer, domain="messages"))
    index = SearchIndex.build(flows, knowledge, BabelCatalogs(translators))
    [hit] = index.search("زرافة", "ar")[:1]
    assert (hit.kind, hit.id) == ("flow", "driving-licence")
    assert index.label(hit, "ar") == "رخصة القيادة وزرافة"
    assert index.search("زرافة", "en") == []


# -- the command line --------------------------------------------------------------------


def wegwijs(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWIJS_")}
    env["WEGWIJS_DATA_DIR"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_search_json(tmp_path: Path) -> None:
    done = wegwijs(tmp_path, "search", "كيف اقدم على دعم الايجار", "--lang", "ar",
                   "--municipality", "leiden", "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results and results[0] == {"id": "toeslagen", "kind": "flow",
                                      "score": results[0]["score"]}
    for result in results:
        assert set(result) == {"id", "kind", "score"}
        assert result["kind"] in {"flow", "glossary", "organisation"}
        assert isinstance(result["score"], float)
        if result["kind"] == "flow":
            assert result["id"] in REQUIRED


def test_cli_search_table_and_bad_options(tmp_path: Path) -> None:
    done = wegwijs(tmp_path, "search", "rijbewijs omwisselen", "--lang", "nl")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0].split()
    assert first[:3] == ["1", "glossary", "rijbewijs-omwisselen"]
    assert "driving-licence" in done.stdout
    nothing = wegwijs(tmp_path, "search", "qwxzv", "--lang", "en")
    assert nothing.returncode == 0 and "No confident match" in nothing.stdout
    assert wegwijs(tmp_path, "search", "x", "--lang", "fr").returncode != 0
    assert wegwijs(tmp_path, "search", "x", "--lang", "en",
                   "--municipality", "atlantis").returncode != 0


def test_what_people_are_shown_finds_the_topic_in_every_language(index: SearchIndex) -> None:
    """The buttons a person actually gets (confident hits, else a couple of guesses)."""
    from bot.services.ask import shown_hits

    shares, misses = accuracy(lambda q: shown_hits(
        index.search(q["q"], q["lang"], q.get("municipality"), limit=6))[0])
    assert all(a >= TARGET_TOP3 for a in shares.values()), (shares, misses)
