"""Recognise Dutch glossary words inside any message, whatever language surrounds them:
"what is aanmaning?", "ما معنى beschikking", "eigen risico ምንታይ እዩ"."""

from __future__ import annotations

import re

from bot.content.knowledge import Knowledge
from bot.content.schema import GlossaryTerm

# Latin words (with Dutch diacritics and inner hyphens); other scripts separate them.
_WORD = re.compile(r"[a-zà-ÿ0-9]+(?:[-'][a-zà-ÿ0-9]+)*")
MAX_WORDS = 4  # the longest glossary entries ("wet op de zorgtoeslag") are a few words


def find_terms(knowledge: Knowledge, text: str) -> list[GlossaryTerm]:
    """Glossary terms in `text`, longest match first, each term once, in reading order."""
    words = _WORD.findall(text.lower())
    found: list[GlossaryTerm] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_WORDS, len(words) - i), 0, -1):
            term = knowledge.words.get(" ".join(words[i : i + size]))
            if term is not None:
                if term not in found:
                    found.append(term)
                i += size
                break
        else:
            i += 1
    return found
