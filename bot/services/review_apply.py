"""What `wegwijs i18n apply-reviews` writes: the catalog texts the votes in the database
accept (bot.domain.catalog_review.decide) and that were not written yet, each with its
reviewers' pseudonyms (the name newcomers see, else "reviewer-<hash>")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.content.catalog_status import Accepted
from bot.domain import catalog_review as cr
from bot.services.ports import UnitOfWork


@dataclass(frozen=True)
class Pending:
    accepted: Accepted
    votes: tuple[int, ...]  # every vote of the entry: marked applied once it is written


async def pending(uow: UnitOfWork, day: date) -> list[Pending]:
    """Accepted entries with a vote not applied yet, oldest first."""
    by_entry: dict[tuple[str, str], list[cr.Vote]] = {}
    for vote in await uow.reviews.pending():
        by_entry.setdefault((vote.language, vote.key), []).append(vote)
    decided: list[tuple[list[cr.Vote], cr.Decision]] = []
    for votes in by_entry.values():
        decision = cr.decide(votes)
        if decision is not None and any(v.applied_at is None for v in decision.votes):
            decided.append((votes, decision))
    reviewers = sorted({v.reviewer for _votes, d in decided for v in d.votes
                        if v.reviewer is not None})
    names: dict[int, str] = {}
    for telegram_id in reviewers:
        profile = await uow.profiles.get(telegram_id)
        if profile is not None:
            names[telegram_id] = profile.display_name
    anchors = await uow.reviews.first_votes([r for r in reviewers if r not in names])
    found = []
    for votes, decision in decided:
        first = decision.votes[0]
        pseudonyms = tuple(dict.fromkeys(
            cr.pseudonym(names.get(v.reviewer) if v.reviewer is not None else None,
                         anchors.get(v.reviewer, v.id) if v.reviewer is not None else v.id)
            for v in decision.votes))
        found.append(Pending(Accepted(first.language, first.context, first.msgid,
                                      decision.text, pseudonyms, day),
                             tuple(v.id for v in votes)))
    return found


async def mark_applied(uow: UnitOfWork, written: Sequence[Pending], now: datetime) -> int:
    """The votes of the entries written (in the caller's unit of work; it commits)."""
    return await uow.reviews.mark_applied([i for p in written for i in p.votes], now)
