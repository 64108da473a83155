"""Free-text search over flows, glossary terms and organisations, in ar, ti, en and nl.

One BM25 index (bm25s) per language. A flow's document in language L holds its title,
summary, step texts, button and link labels as translated in L (English where a text is
not translated yet), the words people use for it in L (knowledge/synonyms.yaml), the
Dutch synonyms and glossary words that belong to it (people copy Dutch words from letters
whatever language they write in) and, outside English, its English title and synonyms.
Glossary terms and organisations have smaller documents of the same kind. Query and
documents go through one tokenizer (bot.domain.text_normalize); a query word the index does
not know is matched to the nearest known word of its script (rapidfuzz, Levenshtein).

Scores: the BM25 score divided by the best score the question's words could reach
anywhere (unknown words count against it), so 1.0 means "every word found, where it
matters most". A document that holds a word only in its long body text, not in what it is
about (title, summary, synonyms, Dutch terms, names), earns half for that word. A prior per
kind puts flows before the glossary words they explain. A Dutch glossary word typed in the
question adds its term (below the best flow) and lifts its flow; a question that is only
a glossary word ("eigen risico?", "ما معنى beschikking") puts that term first, then its flow.

`SearchHit.confident` is `score >= CONFIDENT_SCORE`: below it the chat should offer a
person rather than guess.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.content import contexts
from bot.content.catalogs import BabelCatalogs
from bot.content.glossary_match import find_terms
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow, GlossaryTerm, Organisation
from bot.domain import languages
from bot.domain.text_normalize import (
    DEFINITION_WORDS,
    STOPWORDS,
    normalize,
    stem_latin,
    words,
)

# bm25s sets its own logger to DEBUG when imported ("Building index from tokens" on every
# start and in every CLI command): ours decides what is logged.
logging.getLogger("bm25s").setLevel(logging.WARNING)

Kind = Literal["flow", "glossary", "organisation"]
Vector = npt.NDArray[np.float32]
Gettext = Callable[[str, str], str]  # Translator.pgettext

# A hit at or above this matches well (scores are about 0..1; an exact glossary word scores
# above 1); below it the chat should offer a person rather than guess.
CONFIDENT_SCORE = 0.30
# Kinds compete on one scale; topic questions should land on flows first.
PRIOR: dict[Kind, float] = {"flow": 1.0, "glossary": 0.8, "organisation": 0.7}
BODY_ONLY = 0.5  # share a word earns when a document has it only in its body text
FUZZY_WEIGHT = 0.7  # a typo-corrected word counts less than a word typed right
MIN_RELATIVE = 0.2  # hits below this share of the best one are noise, not alternatives
GLOSSARY_FLOW_BONUS = 0.25  # for the flow of a glossary word typed in the question
MAX_TOKENS = 64  # a question, not a document: the rest of a pasted letter is ignored
# Characters read of a question, before any other work: a pasted letter or a flood is
# answered from its beginning, and what search spends on it no longer grows with its length.
MAX_QUERY_CHARS = 500

# Field weights: how often a field's tokens are repeated in its document. Body text
# (steps, buttons, explanations, descriptions) counts each word once, however often it
# says it, so a flow is found by what it is about rather than by what it mentions.
W_TITLE, W_SYNONYM, W_SUMMARY, W_DUTCH, W_FOREIGN = 3, 3, 2, 2, 2
BODY = 0

# Fuzzy matching starts at this length (letters; syllables in Ethiopic); at twice that
# less one, two edits are allowed.
_FUZZY_MIN = {"latin": 5, "arabic": 5, "ethiopic": 4}
# Prefixes of spoken Arabic and of Tigrinya verbs, tried only when what is left is a known
# word: ب (Levantine present), ع (على), ل ف ك; ክ ዝ ተ ይ ት የ ከ ን ብ.
_LOOSE_PREFIXES = {"arabic": ("ب", "ع", "ل", "ف", "ك"),
                   "ethiopic": ("ክ", "ዝ", "ተ", "ይ", "ት", "የ", "ከ", "ን", "ብ"),
                   "latin": ()}
_LOOSE_REST = {"arabic": 3, "ethiopic": 2, "latin": 99}
_MARKUP = re.compile(r"<[^>]+>|\{[a-z_]+:[a-z0-9_]+\}|https?://\S+")

Fields = list[tuple[int, str]]  # (weight or BODY, text)


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str  # flow id, glossary term id (GlossaryTerm.id) or organisation id
    kind: Kind
    score: float  # higher is better; see CONFIDENT_SCORE
    confident: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    kind: Kind
    municipality: str | None = None  # organisations: None is national
    term: GlossaryTerm | None = None


@dataclass(frozen=True)
class _LanguageIndex:
    bm25: bm25s.BM25
    vocab: dict[str, int]
    best: Vector  # per token id: its highest score in any document
    unknown: float  # what a word the index does not know counts against coverage
    strong: dict[int, npt.NDArray[np.intp]]  # token id → documents that are about it
    by_length: dict[tuple[str, int], list[str]]  # for fuzzy matching


class SearchIndex:
    """Built once at start-up (well under a second); `search` only reads, so one index
    serves every conversation."""

    def __init__(self, entries: list[_Entry], indexes: dict[str, _LanguageIndex],
                 labels: dict[str, list[str]], knowledge: Knowledge,
                 vocabulary: frozenset[str]) -> None:
        self._entries = entries
        self._indexes = indexes
        self._labels = labels
        self._knowledge = knowledge
        self._vocabulary = vocabulary
        self._position = {(e.kind, e.id): i for i, e in enumerate(entries)}
        self._flows = np.array([e.kind == "flow" for e in entries])
        self._glossary = np.array([e.kind == "glossary" for e in entries])
        self._prior = np.array([PRIOR[e.kind] for e in entries], dtype=np.float32)
        national = np.array([e.kind != "organisation" or e.municipality is None
                             for e in entries], dtype=np.float32)
        self._masks: dict[str | None, Vector] = {None: national}
        for municipality in {e.municipality for e in entries if e.municipality}:
            local = np.array([e.municipality == municipality for e in entries])
            self._masks[municipality] = np.maximum(national, local.astype(np.float32))

    def __len__(self) -> int:
        return len(self._entries)

    # -- building -----------------------------------------------------------------------

    @classmethod
    def build(cls, flows: dict[str, Flow], knowledge: Knowledge,
              catalogs: BabelCatalogs) -> SearchIndex:
        vocabulary = _dutch_vocabulary(knowledge)
        organisations = [*((o, None) for o in knowledge.national),
                         *((o, m) for m, orgs in sorted(knowledge.local.items())
                           for o in orgs)]
        entries = [_Entry(f.id, "flow") for f in flows.values()]
        entries += [_Entry(t.id, "glossary", term=t) for t in knowledge.glossary]
        entries += [_Entry(o.id, "organisation", municipality=m) for o, m in organisations]
        by_id = {o.id: o for o, _m in organisations}
        terms_of_flow: dict[str, list[GlossaryTerm]] = {}
        for term in knowledge.glossary:
            if term.flow:
                terms_of_flow.setdefault(term.flow, []).append(term)

        english = catalogs.translator("en").pgettext
        indexes: dict[str, _LanguageIndex] = {}
        labels: dict[str, list[str]] = {}
        for lang in sorted(languages.CODES):
            tr = catalogs.translator(lang).pgettext
            fields: list[Fields] = []
            labels[lang] = []
            for entry in entries:
                if entry.kind == "flow":
                    flow = flows[entry.id]
                    fields.append(_flow_fields(flow, lang, tr, english, knowledge,
                                               terms_of_flow.get(flow.id, [])))
                    labels[lang].append(tr(contexts.flow_title(flow.id), flow.title))
                elif entry.term is not None:
                    fields.append(_term_fields(entry.term, tr))
                    labels[lang].append(entry.term.term)
                else:
                    fields.append(_organisation_fields(by_id[entry.id], tr))
                    labels[lang].append(by_id[entry.id].name)
            indexes[lang] = _index([_document(f, lang, vocabulary) for f in fields])
        return cls(entries, indexes, labels, knowledge, vocabulary)

    def label(self, hit: SearchHit, language: str) -> str:
        """What a button for the hit says: the flow's title in `language`, the Dutch term,
        the organisation's name."""
        labels = self._labels.get(language) or self._labels[languages.DEFAULT]
        return labels[self._position[(hit.kind, hit.id)]]

    # -- searching ----------------------------------------------------------------------

    def search(self, query: str, language: str, municipality: str | None = None,
               limit: int = 5) -> list[SearchHit]:
        """The best matches, best first, at most `limit`; organisations only national ones
        and those of `municipality`. Any text is fine, the result may be empty."""
        query = clip(query)
        index = self._indexes.get(language) or self._indexes[languages.DEFAULT]
        weighted: list[tuple[int, float]] = []  # (token id, weight)
        unknown = 0
        for token in normalize(query, language, self._vocabulary)[:MAX_TOKENS]:
            if token in index.vocab:
                weighted.append((index.vocab[token], 1.0))
            elif (near := self._nearest(index, token)) is not None:
                weighted.append((index.vocab[near], FUZZY_WEIGHT))
            else:
                unknown += 1

        scores = np.zeros(len(self._entries), dtype=np.float32)
        about = np.zeros(len(self._entries), dtype=np.float32)
        ideal = unknown * index.unknown
        for weight in {w for _t, w in weighted}:
            ids = [t for t, w in weighted if w == weight]
            scores += weight * index.bm25.get_scores_from_ids(ids)
        for token_id, weight in weighted:
            share = weight * float(index.best[token_id])
            ideal += share
            about[index.strong.get(token_id, _NONE)] += share
        if ideal > 0:
            scores *= (BODY_ONLY + (1 - BODY_ONLY) * about / ideal) / ideal
        scores *= self._prior * self._masks.get(municipality, self._masks[None])
        self._glossary_words(query, scores)
        return self._top(scores, limit)

    def _nearest(self, index: _LanguageIndex, token: str) -> str | None:
        """The known word a mistyped or inflected one stands for: the word without a
        spoken-language prefix (Levantine بفتح → فتح), else the closest known word of the
        same script and about the same length, for words long enough to tell."""
        script = _script(token)
        for prefix in _LOOSE_PREFIXES[script]:
            rest = token[len(prefix):]
            if token.startswith(prefix) and len(rest) >= _LOOSE_REST[script] \
                    and rest in index.vocab:
                return rest
        shortest = _FUZZY_MIN[script]
        if len(token) < shortest or token.isdigit():
            return None
        allowed = 1 if len(token) < 2 * shortest - 1 else 2
        candidates = [w for n in range(len(token) - allowed, len(token) + allowed + 1)
                      for w in index.by_length.get((script, n), [])]
        match = process.extractOne(token, candidates, scorer=Levenshtein.distance,
                                   score_cutoff=allowed)
        return match[0] if match else None

    def _glossary_words(self, query: str, scores: Vector) -> None:
        """Glossary terms rank below the best flow (a topic question wants the topic), except
        when the question is only a Dutch glossary word, perhaps with "what is" around it:
        then that term comes first and its flow second. A glossary word inside a longer
        question joins the results and lifts the flow it belongs to."""
        found = find_terms(self._knowledge, query)
        content = " ".join(w for w in words(query) if w not in DEFINITION_WORDS)
        if len(found) == 1 and self._knowledge.term_by_word(content) is found[0]:
            top = max(float(scores.max(initial=0.0)), 1.0)
            scores[self._position[("glossary", found[0].id)]] = top + 0.5
            if (flow := self._position.get(("flow", found[0].flow or ""))) is not None:
                scores[flow] = top + 0.25
            return
        for term in found:
            if (flow := self._position.get(("flow", term.flow or ""))) is not None:
                scores[flow] += GLOSSARY_FLOW_BONUS
        best_flow = float(scores[self._flows].max(initial=0.0))
        for term in found:
            position = self._position[("glossary", term.id)]
            scores[position] = max(float(scores[position]), 0.9 * best_flow)
        if best_flow > 0:
            np.minimum(scores, np.where(self._glossary, 0.95 * best_flow, np.inf),
                       out=scores)

    def _top(self, scores: Vector, limit: int) -> list[SearchHit]:
        count = min(limit, len(scores))
        if count <= 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        ranked = sorted(top.tolist(), key=lambda i: (-float(scores[i]), i))
        floor = max(float(scores[ranked[0]]) * MIN_RELATIVE, 1e-6)
        return [SearchHit(self._entries[i].id, self._entries[i].kind,
                          round(float(scores[i]), 4), float(scores[i]) >= CONFIDENT_SCORE)
                for i in ranked if scores[i] >= floor]


_NONE = np.zeros(0, dtype=np.intp)


def clip(query: str, limit: int = MAX_QUERY_CHARS) -> str:
    """The first `limit` characters of `query`, without a word cut in half when there is a
    space to cut at."""
    if len(query) <= limit:
        return query
    cut = limit  # query[cut] is the first character left out
    while cut > 0 and not query[cut].isspace():
        cut -= 1
    return query[:cut] if cut > 0 else query[:limit]


# -- documents --------------------------------------------------------------------------


def _flow_fields(flow: Flow, lang: str, tr: Gettext, english: Gettext,
                 knowledge: Knowledge, terms: list[GlossaryTerm]) -> Fields:
    synonyms = knowledge.synonyms.get(flow.id, {})
    fields = [(W_TITLE, tr(contexts.flow_title(flow.id), flow.title)),
              (W_SUMMARY, tr(contexts.flow_summary(flow.id), flow.summary)),
              (W_SYNONYM, " ; ".join(synonyms.get(lang, []))),
              (W_DUTCH, " ; ".join(w for t in terms for w in [t.term, *t.variants]))]
    if lang != "nl":
        fields.append((W_DUTCH, " ; ".join(synonyms.get("nl", []))))
    if lang != "en":
        fields += [(W_FOREIGN, english(contexts.flow_title(flow.id), flow.title)),
                   (W_FOREIGN, " ; ".join(synonyms.get("en", [])))]
    for step_id, step in flow.steps.items():
        if step.text:
            fields.append((BODY, tr(contexts.step_text(flow.id, step_id), step.text)))
        if step.link:
            fields.append((BODY, tr(contexts.link_label(flow.id, step_id), step.link.label)))
        fields += [(BODY, tr(contexts.option_label(flow.id, step_id, o.id), o.label))
                   for o in step.options]
    return fields


def _term_fields(term: GlossaryTerm, tr: Gettext) -> Fields:
    return [(W_TITLE, " ; ".join([term.term, *term.variants])),
            (BODY, tr(contexts.glossary(term.term), term.explanation))]


def _organisation_fields(org: Organisation, tr: Gettext) -> Fields:
    return [(W_TITLE, org.name), (BODY, tr(contexts.organisation(org.id), org.description))]


def _document(fields: Fields, lang: str, vocabulary: frozenset[str]) -> tuple[list[str],
                                                                                set[str]]:
    """The document's tokens (weighted fields, then each body word once) and the words it
    is about (every field but the body)."""
    tokens: list[str] = []
    body: dict[str, None] = {}
    for weight, text in fields:
        found = normalize(_MARKUP.sub(" ", text), lang, vocabulary)
        if weight == BODY:
            body.update(dict.fromkeys(found))
        else:
            tokens += found * weight
    return tokens + list(body), set(tokens)


def _dutch_vocabulary(knowledge: Knowledge) -> frozenset[str]:
    """Stemmed Dutch words that compounds are split into: glossary and Dutch synonyms."""
    phrases = [w for t in knowledge.glossary for w in [t.term, *t.variants]]
    phrases += [p for by_lang in knowledge.synonyms.values() for p in by_lang.get("nl", [])]
    return frozenset(stem_latin(w) for p in phrases for w in words(p)
                     if len(w) >= 4 and w not in STOPWORDS["latin"] and w.isalpha())


def _index(documents: Sequence[tuple[list[str], set[str]]]) -> _LanguageIndex:
    bm25 = bm25s.BM25(k1=1.2, b=0.3)
    bm25.index([tokens or [""] for tokens, _about in documents], show_progress=False)
    vocab: dict[str, int] = {t: i for t, i in bm25.vocab_dict.items() if t}
    data, indptr = bm25.scores["data"], bm25.scores["indptr"]
    best = np.zeros(len(indptr) - 1, dtype=np.float32)
    nonempty = indptr[:-1] < indptr[1:]
    best[nonempty] = np.maximum.reduceat(data, indptr[:-1][nonempty])
    unknown = float(np.percentile(best[list(vocab.values())], 75)) if vocab else 1.0
    about: dict[int, list[int]] = {}
    for position, (_tokens, words_about) in enumerate(documents):
        for token in words_about:
            about.setdefault(vocab[token], []).append(position)
    strong = {t: np.array(docs, dtype=np.intp) for t, docs in about.items()}
    by_length: dict[tuple[str, int], list[str]] = {}
    for token in vocab:
        by_length.setdefault((_script(token), len(token)), []).append(token)
    return _LanguageIndex(bm25, vocab, best, unknown, strong, by_length)


def _script(token: str) -> str:
    first = ord(token[0])
    if 0x0600 <= first <= 0x07FF:
        return "arabic"
    if 0x1200 <= first <= 0x139F or 0x2D80 <= first <= 0xAB2F:
        return "ethiopic"
    return "latin"
