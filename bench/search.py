"""Free-text search: accuracy per language on tests/search_questions.yaml and latency on an
index padded to 1,000 entries, against a naive substring scan measured in the same run.

    .venv/bin/python bench/search.py [--entries 1000] [--rounds 5]

Accuracy is measured on the real content (what ships) and on the padded index (the same
questions among 1,000 entries). The padding is organisations whose descriptions are drawn
from the real texts of every language, so they compete for the same words. The baseline
scores an entry by how many of the question's words occur in its text (lower case,
substring), the way a first version might.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import contexts  # noqa: E402
from bot.content.catalogs import BabelCatalogs  # noqa: E402
from bot.content.flows import load_flows  # noqa: E402
from bot.content.knowledge import Knowledge  # noqa: E402
from bot.content.schema import Category, Flow, Organisation  # noqa: E402
from bot.content.search import SearchIndex  # noqa: E402

LANGS = ("ar", "ti", "en", "nl")
Search = Callable[[str, str, str | None], list[tuple[str, str]]]  # → [(kind, id)] best first


@dataclass
class Score:
    asked: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, expected: tuple[str, str], found: list[tuple[str, str]]) -> None:
        self.asked += 1
        self.top1 += found[:1] == [expected]
        self.top3 += expected in found[:3]

    def pct(self, hits: int) -> str:
        return f"{100 * hits / self.asked:5.1f}%" if self.asked else "    -"


def questions() -> list[dict[str, Any]]:
    text = (ROOT / "tests" / "search_questions.yaml").read_text(encoding="utf-8")
    loaded: list[dict[str, Any]] = yaml.safe_load(text)["questions"]
    return loaded


def padded(knowledge: Knowledge, catalogs: BabelCatalogs, flows: dict[str, Flow],
           entries: int, current: int) -> Knowledge:
    """The same knowledge plus national organisations up to `entries` index entries."""
    rng = random.Random(2026)
    sentences = [catalogs.translator(lang).pgettext(contexts.step_text(f.id, step_id),
                                                    step.text)
                 for lang in LANGS for f in flows.values()
                 for step_id, step in f.steps.items() if step.text]
    words = [w for s in sentences for w in s.split() if w.isalpha()]
    extra = [Organisation(id=f"pad-{i}", name=" ".join(rng.sample(words, 3)),
                          description=" ".join(rng.sample(words, 40)),
                          categories=[rng.choice(list(Category))], source="bench",
                          last_checked=date(2026, 1, 1))
             for i in range(max(0, entries - current))]
    knowledge.national = [*knowledge.national, *extra]
    return knowledge


class SubstringScan:
    """The baseline: lower-cased text per entry and language; score = question words found
    in it as substrings."""

    def __init__(self, flows: dict[str, Flow], knowledge: Knowledge,
                 catalogs: BabelCatalogs) -> None:
        self.texts: dict[str, list[tuple[str, str, str | None, str]]] = {}
        for lang in LANGS:
            tr = catalogs.translator(lang).pgettext
            rows: list[tuple[str, str, str | None, str]] = []
            for f in flows.values():
                parts = [tr(contexts.flow_title(f.id), f.title),
                         tr(contexts.flow_summary(f.id), f.summary),
                         *knowledge.synonyms.get(f.id, {}).get(lang, [])]
                parts += [tr(contexts.step_text(f.id, s), st.text)
                          for s, st in f.steps.items() if st.text]
                rows.append(("flow", f.id, None, " ".join(parts).lower()))
            for t in knowledge.glossary:
                rows.append(("glossary", t.id, None, " ".join(
                    [t.term, *t.variants, tr(contexts.glossary(t.term), t.explanation)]).lower()))
            for m, orgs in [(None, knowledge.national), *knowledge.local.items()]:
                for o in orgs:
                    rows.append(("organisation", o.id, m, " ".join(
                        [o.name, tr(contexts.organisation(o.id), o.description)]).lower()))
            self.texts[lang] = rows

    def search(self, query: str, lang: str, municipality: str | None) -> list[tuple[str, str]]:
        words = [w for w in query.lower().split() if len(w) >= 3]
        scored = [(sum(w in text for w in words), kind, entry_id)
                  for kind, entry_id, where, text in self.texts[lang]
                  if where is None or where == municipality]
        scored = [s for s in scored if s[0] > 0]
        scored.sort(key=lambda s: -s[0])
        return [(kind, entry_id) for _n, kind, entry_id in scored[:5]]


def accuracy(search: Search, asked: list[dict[str, Any]]) -> dict[tuple[str, str], Score]:
    """Per (language, set): set is "dev" or "holdout", and "all"."""
    scores: dict[tuple[str, str], Score] = defaultdict(Score)
    for q in asked:
        found = search(q["q"], q["lang"], q.get("municipality"))
        for part in (q.get("set", "dev"), "all"):
            scores[(q["lang"], part)].add((q["kind"], q["expect"]), found)
    return scores


def timings(search: Search, asked: list[dict[str, Any]], rounds: int) -> list[float]:
    spent = []
    for _ in range(rounds):
        for q in asked:
            started = time.perf_counter()
            search(q["q"], q["lang"], q.get("municipality"))
            spent.append(time.perf_counter() - started)
    return spent


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    catalogs = BabelCatalogs.load(ROOT / "locales")
    knowledge = Knowledge.load(ROOT / "knowledge")
    flows = load_flows(ROOT / "flows", knowledge)
    started = time.perf_counter()
    index = SearchIndex.build(flows, knowledge, catalogs)
    build_real = time.perf_counter() - started
    real_entries = len(index)
    asked = questions()

    def ours(ix: SearchIndex) -> Search:
        return lambda q, lang, m: [(h.kind, h.id) for h in ix.search(q, lang, m)]

    real = accuracy(ours(index), asked)
    baseline_real = accuracy(SubstringScan(flows, knowledge, catalogs).search, asked)

    big_knowledge = padded(Knowledge.load(ROOT / "knowledge"), catalogs, flows,
                           args.entries, real_entries)
    started = time.perf_counter()
    big = SearchIndex.build(flows, big_knowledge, catalogs)
    build_big = time.perf_counter() - started
    big_scan = SubstringScan(flows, big_knowledge, catalogs)
    padded_acc = accuracy(ours(big), asked)
    ours_ms = [t * 1000 for t in timings(ours(big), asked, args.rounds)]
    scan_ms = [t * 1000 for t in timings(big_scan.search, asked, args.rounds)]

    print(f"Search accuracy: {len(asked)} questions in tests/search_questions.yaml "
          f"(dev: tuned on; holdout: written afterwards), index of {real_entries} entries")
    print(f"{'language':<9}{'questions':>10}{'top-1':>8}{'top-3':>8}{'holdout top-3':>15}"
          f"{'padded top-3':>14}{'baseline top-1':>16}{'baseline top-3':>16}")
    for lang in LANGS:
        s, h, p = real[(lang, "all")], real[(lang, "holdout")], padded_acc[(lang, "all")]
        b = baseline_real[(lang, "all")]
        print(f"{lang:<9}{s.asked:>10}{s.pct(s.top1):>8}"
              f"{s.pct(s.top3):>8}{h.pct(h.top3):>15}{p.pct(p.top3):>14}"
              f"{b.pct(b.top1):>16}{b.pct(b.top3):>16}")
    print()
    print(f"Latency per question on {len(big)} entries ({len(ours_ms)} searches), "
          f"build {build_real * 1000:.0f} ms ({real_entries} entries), "
          f"{build_big * 1000:.0f} ms ({len(big)} entries)")
    print(f"{'':<18}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    rows = [("search", ours_ms), ("substring scan", scan_ms)]
    for name, values in rows:
        print(f"{name:<18}" + "".join(f"{percentile(values, p):>9.3f}" for p in (50, 90, 99))
              + f"{max(values):>9.3f}{statistics.fmean(values):>9.3f}")
    ratios = [percentile(ours_ms, p) / percentile(scan_ms, p) for p in (50, 90, 99)]
    print(f"{'ratio search/scan':<18}" + "".join(f"{r:>9.2f}" for r in ratios))


if __name__ == "__main__":
    main()
