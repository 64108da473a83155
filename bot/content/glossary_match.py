"""Recognise Dutch glossary words inside any message, whatever language surrounds them:
"what is aanmaning?", "ما معنى beschikking", "eigen risico ምንታይ እዩ"."""

from __future__ import annotations

import re

from bot.content.knowledge import Knowledge
from bot.content.schema import GlossaryTerm

# Latin words (with Dutch diacritics and inner hyphens); other scripts separate them.
_WORD = re.compile(r"[a-zà-ÿ0-9]+(?:[-'][a-zà-ÿ0-9]+)*", re.IGNORECASE)
_OTHER_SCRIPT = re.compile(r"[\u0600-\u06ff\u1200-\u139f]")
MAX_WORDS = 4  # the longest glossary entries ("wet op de zorgtoeslag") are a few words
# Abbreviations that are everyday English or Dutch words too ("a map", "een hap").
AMBIGUOUS = frozenset({"map", "hap", "pip", "kot", "ido", "mma"})


def find_terms(knowledge: Knowledge, text: str) -> list[GlossaryTerm]:
    """Glossary terms in `text`, longest match first, each term once, in reading order.

    An abbreviation that is also an everyday word counts only when clearly meant: typed
    in capitals (MAP, PIP), alone, or inside a sentence in another script (Arabic)."""
    typed = _WORD.findall(text)
    words = [w.lower() for w in typed]
    lenient = len(words) == 1 or bool(_OTHER_SCRIPT.search(text))
    found: list[GlossaryTerm] = []
    seen: set[str] = set()  # a membership test on the list would be quadratic in long texts
    i = 0
    while i < len(words):
        for size in range(min(MAX_WORDS, len(words) - i), 0, -1):
            term = knowledge.words.get(" ".join(words[i : i + size]))
            if term is None:
                continue
            if size == 1 and words[i] in AMBIGUOUS and not lenient and not typed[i].isupper():
                continue
            if term.id not in seen:
                seen.add(term.id)
                found.append(term)
            i += size
            break
        else:
            i += 1
    return found
