"""The review of catalog texts as a pure rule (bot.domain.catalog_review): when votes accept
an entry and with which text, which entry a reviewer sees next, and the pseudonyms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import catalog_review as cr
from bot.domain.catalog_review import Item, Verdict, Vote, decide, suggestion, to_review

T0 = datetime(2026, 12, 8, 10, tzinfo=UTC)
NOW = "ንሕና ኣብዚ ኣለና"  # the catalog's text
BETTER = "ንሕና ኣብዚ ንርከብ"
KEY = cr.entry_key("", "We are here")


def vote(who: int | None, verdict: Verdict = Verdict.CORRECT, judged: str = NOW,
         proposed: str | None = None, *, lead: bool = False, minutes: int = 0,
         vote_id: int = 0) -> Vote:
    return Vote("ti", KEY, "", "We are here", who, verdict, judged,
                T0 + timedelta(minutes=minutes), proposed=proposed, by_lead=lead,
                id=vote_id or (who or 0))


def improved(who: int | None, text: str = BETTER, **kw: object) -> Vote:
    return vote(who, Verdict.IMPROVED, NOW, text, **kw)  # type: ignore[arg-type]


# -- decide -----------------------------------------------------------------------------


def test_two_reviewers_who_say_the_text_is_correct_accept_it() -> None:
    decision = decide([vote(1), vote(2, minutes=1)])
    assert decision is not None
    assert decision.text == NOW and decision.reviewers == ("1", "2")


def test_one_vote_is_not_enough_and_nothing_is_accepted_without_votes() -> None:
    assert decide([vote(1)]) is None
    assert decide([improved(1)]) is None
    assert decide([]) is None


def test_two_improvements_with_the_same_text_accept_it_whitespace_and_nfc_aside() -> None:
    decomposed = "Cafe\u0301 samen"  # é as e + combining accent
    first = vote(1, Verdict.IMPROVED, NOW, "  Café   samen ")
    second = vote(2, Verdict.IMPROVED, NOW, decomposed, minutes=1)
    decision = decide([first, second])
    assert decision is not None and decision.text == "Café   samen".strip()
    assert decision.reviewers == ("1", "2")


def test_an_improvement_and_a_correct_on_that_improvement_accept_it() -> None:
    decision = decide([improved(1), vote(2, judged=BETTER, minutes=5)])
    assert decision is not None and decision.text == BETTER


def test_conflicting_votes_are_not_accepted() -> None:
    assert decide([vote(1), improved(2)]) is None  # correct on NOW, and a better text
    assert decide([improved(1), improved(2, "ንሕና ኣብዚ ኢና")]) is None
    # two against two: a tie settles nothing
    assert decide([vote(1), vote(2), improved(3), improved(4)]) is None


def test_more_reviewers_on_one_text_win_over_a_single_dissent() -> None:
    decision = decide([vote(1), improved(2), vote(3, minutes=2)])
    assert decision is not None and decision.text == NOW
    assert decision.reviewers == ("1", "3")


def test_the_same_reviewer_counts_once() -> None:
    assert decide([vote(1, vote_id=1), vote(1, vote_id=2)]) is None


def test_a_language_lead_alone_accepts_and_outweighs_others() -> None:
    decision = decide([improved(9, lead=True)])
    assert decision is not None and decision.text == BETTER
    decision = decide([vote(1), vote(2), improved(9, lead=True, minutes=3)])
    assert decision is not None and decision.text == BETTER
    assert decision.reviewers == ("9",)


def test_leads_who_disagree_accept_nothing() -> None:
    assert decide([vote(8, lead=True), improved(9, lead=True)]) is None
    decision = decide([vote(8, lead=True), vote(9, lead=True)])
    assert decision is not None and decision.reviewers == ("8", "9")


def test_skips_count_for_nothing() -> None:
    skip = vote(3, Verdict.SKIPPED, "")
    assert decide([vote(1), skip]) is None
    decision = decide([vote(1), vote(2), skip])
    assert decision is not None and decision.reviewers == ("1", "2")


def test_votes_of_people_who_left_still_count_each_as_one_reviewer() -> None:
    decision = decide([vote(None, vote_id=11), vote(None, vote_id=12)])
    assert decision is not None and decision.reviewers == ("#11", "#12")


def test_a_vote_must_carry_what_it_says() -> None:
    with pytest.raises(ValueError, match="better text"):
        vote(1, Verdict.IMPROVED, NOW, "  ")
    with pytest.raises(ValueError, match="judges a text"):
        vote(1, Verdict.CORRECT, "")


# -- suggestion and the queue -------------------------------------------------------------


def test_the_suggestion_shown_is_the_best_supported_then_the_newest() -> None:
    assert suggestion([vote(1)], NOW) is None
    assert suggestion([improved(1)], NOW) == BETTER
    other = "ንሕና ኣብዚ ኢና"
    assert suggestion([improved(1), improved(2, other, minutes=1)], NOW) == other
    assert suggestion([improved(1), improved(2, minutes=1), improved(3, other, minutes=2)],
                      NOW) == BETTER
    assert suggestion([improved(1, NOW + " ")], NOW) is None  # the same text is no suggestion


def test_machine_first_then_drafts_then_missing_then_unconfirmed_reviewed_texts() -> None:
    items = [Item("r", "reviewed"), Item("c", "reviewed", confirmed=True), Item("m1", "missing"),
             Item("d1", "draft"), Item("x", "machine"), Item("d2", "draft")]
    assert to_review(items, [], reviewer=5) == ["x", "d1", "d2", "m1", "r"]


def test_never_an_entry_voted_on_or_skipped_or_accepted_and_started_ones_first() -> None:
    def on(key: str, who: int, verdict: Verdict = Verdict.CORRECT) -> Vote:
        return Vote("ti", key, "", key, who, verdict, "" if verdict is Verdict.SKIPPED
                    else "t", T0, id=who * 100 + len(key))

    items = [Item(k, "draft") for k in ("a", "b", "c", "d", "e")]
    votes = [on("a", 5), on("b", 5, Verdict.SKIPPED), on("c", 1), on("c", 2), on("e", 1)]
    # a: voted, b: skipped, c: accepted by 1 and 2; e: one vote by someone else comes first
    assert to_review(items, votes, reviewer=5) == ["e", "d"]
    # a was started by 5; b only skipped, so it waits in file order like d
    assert to_review(items, votes, reviewer=1) == ["a", "b", "d"]


# -- pseudonyms -------------------------------------------------------------------------


def test_a_reviewer_is_named_by_the_name_newcomers_see_in_one_word() -> None:
    assert cr.pseudonym("Selam", 1) == "Selam"
    assert cr.pseudonym("  Amal  Haddad ", 1) == "Amal_Haddad"
    assert cr.pseudonym("ሰላም ተስፋይ", 1) == "ሰላም_ተስፋይ"


def test_without_a_name_a_hash_of_their_first_vote_never_of_their_telegram_id() -> None:
    named = cr.pseudonym(None, 17)
    assert named.startswith("reviewer-") and len(named) == len("reviewer-") + 8
    assert named == cr.pseudonym("", 17) != cr.pseudonym(None, 18)


def test_keys_are_short_and_stable() -> None:
    assert cr.entry_key("", "Hello") == cr.entry_key("", "Hello")
    assert cr.entry_key("", "Hello") != cr.entry_key("flow x, step y", "Hello")
    assert len(cr.entry_key("", "Hello")) == cr.KEY_LENGTH
    assert cr.text_key(" a  b ") == cr.text_key("a b") != cr.text_key("a c")
