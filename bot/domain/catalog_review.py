"""Reviewing the catalog's translations (issue 12): votes of sleutelpersonen on one entry,
and when they make it reviewed.

A vote judges one text of one catalog entry (language, context, English msgid):
- correct: the text it was shown (the catalog's, or another reviewer's suggestion) is right;
- improved: a better text, typed by the reviewer;
- skipped: the reviewer could not judge it (kept so it is not shown to them again; it
  counts for nothing).

An entry is accepted with a text when
- a language lead (appointed by a coordinator) voted for it, and no other lead voted for
  another text; or
- at least two reviewers voted for the same text (after `normalize`: both "correct" on the
  same text, two "improved" with the same text, or one "improved" and another "correct" on
  that suggestion), and no other text has as many reviewers.
Anything else (one vote, a tie, leads who disagree) is not accepted: it waits for more votes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A vote is removed this long after it was cast (the retention tick): by then the accepted
# text lives in locales/ with the reviewers' pseudonyms, and one that never got a second
# vote may be judged afresh.
RETENTION = timedelta(days=730)
LANGUAGES = ("ar", "ti", "nl")  # the catalogs people review (en is the source)
KEY_LENGTH = 12  # hex digits of an entry's key (callback data has room for 24 characters)
TEXT_KEY_LENGTH = 8
MAX_PSEUDONYM = 40  # bot.content.catalog_status.MAX_PSEUDONYM


class Verdict(StrEnum):
    CORRECT = "correct"
    IMPROVED = "improved"
    SKIPPED = "skipped"


def entry_key(context: str, msgid: str) -> str:
    """A short, stable id of a catalog entry (the same in every language)."""
    return hashlib.sha256(f"{context}\x04{msgid}".encode()).hexdigest()[:KEY_LENGTH]


def normalize(text: str) -> str:
    """What makes two texts the same text: Unicode NFC, whitespace ignored in amount."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_key(text: str) -> str:
    """A short id of a text, for a button that judges exactly the text it was shown with."""
    return hashlib.sha256(normalize(text).encode()).hexdigest()[:TEXT_KEY_LENGTH]


@dataclass(frozen=True)
class Vote:
    language: str
    key: str  # entry_key(context, msgid)
    context: str
    msgid: str
    reviewer: int | None  # their Telegram id; None once they used /delete
    verdict: Verdict
    judged: str  # the text they were shown ("" when there was none, or for a skip)
    at: datetime
    proposed: str | None = None  # the better text of an "improved" vote
    by_lead: bool = False  # a language lead when they voted
    applied_at: datetime | None = None  # written into locales/ by `wegwijs i18n apply-reviews`
    id: int = 0

    def __post_init__(self) -> None:
        if self.verdict is Verdict.IMPROVED and not (self.proposed or "").strip():
            raise ValueError("an improved vote needs the better text")
        if self.verdict is Verdict.CORRECT and not self.judged.strip():
            raise ValueError("a correct vote judges a text")

    @property
    def who(self) -> str:
        """The reviewer as the rule counts them: a vote of someone who used /delete still
        counts, as one reviewer of its own."""
        return str(self.reviewer) if self.reviewer is not None else f"#{self.id}"

    @property
    def endorsed(self) -> str | None:
        """The text this vote says is right; None for a skip."""
        match self.verdict:
            case Verdict.CORRECT:
                return self.judged
            case Verdict.IMPROVED:
                return self.proposed
        return None


@dataclass(frozen=True)
class Decision:
    text: str  # the accepted text, as the first reviewer who endorsed it wrote or saw it
    votes: tuple[Vote, ...]  # the votes that agree on it, oldest first (the reviewers)

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.who for v in self.votes))


def decide(votes: Iterable[Vote]) -> Decision | None:
    """Whether the votes of one entry accept a text, and which (see the module's rule)."""
    counted = sorted((v for v in votes if v.endorsed is not None), key=lambda v: (v.at, v.id))
    groups: dict[str, list[Vote]] = {}
    for vote in counted:
        groups.setdefault(normalize(vote.endorsed or ""), []).append(vote)
    leads = {text for text, group in groups.items() if any(v.by_lead for v in group)}
    if len(leads) == 1:
        return _decision(groups[leads.pop()])
    if leads:  # leads who disagree: nobody else can settle it
        return None
    sizes = sorted(((len({v.who for v in group}), text) for text, group in groups.items()),
                   reverse=True)
    if not sizes or sizes[0][0] < 2 or (len(sizes) > 1 and sizes[1][0] == sizes[0][0]):
        return None
    return _decision(groups[sizes[0][1]])


def _decision(group: list[Vote]) -> Decision:
    first = group[0]
    return Decision((first.endorsed or "").strip(), tuple(group))


def suggestion(votes: Iterable[Vote], catalog_text: str) -> str | None:
    """The better text another reviewer proposed, to be confirmed or not: the one most
    reviewers endorse, the newest on a tie; None when nobody proposed another text."""
    current = normalize(catalog_text)
    groups: dict[str, list[Vote]] = {}
    for vote in votes:
        if vote.verdict is Verdict.IMPROVED and vote.proposed \
                and normalize(vote.proposed) != current:
            groups.setdefault(normalize(vote.proposed), []).append(vote)
    if not groups:
        return None
    best = max(groups.values(), key=lambda g: (len({v.who for v in g}), max(v.at for v in g)))
    return (best[0].proposed or "").strip()


# -- which entry next -----------------------------------------------------------------------

# Machine translations first, then a person's drafts, then texts nobody wrote yet, then
# reviewed texts that no reviewer confirmed (bot.content.catalog_status.Status values).
ORDER = {"machine": 0, "draft": 1, "missing": 2, "reviewed": 3}


@dataclass(frozen=True)
class Item:
    """A catalog entry as the queue sees it."""

    key: str
    status: str  # a bot.content.catalog_status.Status value
    confirmed: bool = False  # reviewed-by lines in the catalog: reviewers vouched for it


def to_review(items: Sequence[Item], votes: Iterable[Vote], reviewer: int) -> list[str]:
    """The keys `reviewer` may review, in the order to show them: never one they voted on
    (or skipped), nor one accepted or confirmed already. Within a status, entries another
    reviewer voted on come first: one more vote may settle them."""
    by_key: dict[str, list[Vote]] = {}
    for vote in votes:
        by_key.setdefault(vote.key, []).append(vote)
    ranked: list[tuple[int, int, int, str]] = []
    for position, item in enumerate(items):
        mine = by_key.get(item.key, [])
        if item.confirmed or any(v.reviewer == reviewer for v in mine) \
                or (mine and decide(mine) is not None):
            continue
        started = any(v.endorsed is not None for v in mine)
        ranked.append((ORDER.get(item.status, len(ORDER)), 0 if started else 1, position,
                       item.key))
    return [key for *_rank, key in sorted(ranked)]


# -- language leads, and the names written into the catalogs ---------------------------------


@dataclass(frozen=True)
class Lead:
    telegram_id: int
    language: str
    appointed_at: datetime
    appointed_by: int | None = None  # the coordinator; None once they used /delete


def pseudonym(display_name: str | None, anchor: int) -> str:
    """How the catalog names a reviewer: the name newcomers see (one word: spaces become
    "_"), else "reviewer-" and a short hash of `anchor` (the id of their first vote, never
    their Telegram id: a hash of that could be reversed by trying every number)."""
    name = "_".join((display_name or "").split())[:MAX_PSEUDONYM]
    if name:
        return name
    return "reviewer-" + hashlib.sha256(f"wegwijs-review:{anchor}".encode()).hexdigest()[:8]
