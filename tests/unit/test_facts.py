"""Dated facts: the value that applies on the day the bot speaks, the next one when it is
near, and honesty when the facts file does not know a year's amount yet."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
import yaml
from memory_store import MemoryStore

from bot.content.catalogs import BabelCatalogs
from bot.content.freshness import freshness
from bot.content.knowledge import ContentError, Knowledge, load_yaml
from bot.content.schema import Fact, Facts, Flow
from bot.content.search import SearchIndex
from bot.domain.bidi import strip_controls
from bot.domain.facts import DatedValue, Reading, in_use, missing_year, reading_on
from bot.domain.incoming import Caller
from bot.domain.person import Person
from bot.services.amounts import RenderedFact, render_fact
from bot.services.chat import ChatService
from bot.services.ports import UnitOfWork
from bot.services.turn import Turn

JAN26, JUL26, JAN27, JUL27 = (date(2026, 1, 1), date(2026, 7, 1), date(2027, 1, 1),
                              date(2027, 7, 1))
V26, V27 = DatedValue(JAN26, 385), DatedValue(JAN27, 400, announced=True)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 5, 1), Reading(V26, None)),  # mid-year: only today's value
    (date(2026, 10, 31), Reading(V26, None)),  # 62 days before: not yet
    (date(2026, 11, 1), Reading(V26, V27)),  # from 1 November, next January's too
    (date(2026, 12, 31), Reading(V26, V27)),
    (date(2027, 1, 1), Reading(V27, None)),
    # In 2028 nothing newer is known: say so rather than repeat 2027 as if current.
    (date(2028, 2, 1), Reading(V27, None, missing_year=2028)),
    (date(2025, 3, 1), Reading(None, V26)),  # before the first value: the first one
])
def test_the_value_that_applies_and_the_next_when_it_is_near(
        today: date, expected: Reading) -> None:
    assert reading_on([V27, V26], today) == expected


def test_from_november_a_missing_next_year_value_is_named() -> None:
    assert missing_year([V26], date(2026, 10, 31)) is None
    assert missing_year([V26], date(2026, 11, 1)) == 2027
    # A value from 1 July 2027 does not say what applies from 1 January 2027.
    assert missing_year([V26, DatedValue(JUL27, 390)], date(2026, 11, 5)) == 2027
    # And in 2027 the January amount stays unknown, whatever comes in July.
    assert missing_year([V26, DatedValue(JUL27, 390)], date(2027, 5, 15)) == 2027


def test_a_first_of_july_change_counts_like_january() -> None:
    values = [DatedValue(JAN26, 14.40), DatedValue(JUL26, 14.71)]
    assert reading_on(values, date(2026, 4, 30)).upcoming is None
    assert reading_on(values, date(2026, 5, 1)).upcoming == DatedValue(JUL26, 14.71)
    assert reading_on(values, date(2026, 8, 1)) == Reading(DatedValue(JUL26, 14.71), None)
    assert in_use(values, date(2026, 8, 1)) == [DatedValue(JUL26, 14.71)]
    assert in_use(values, date(2026, 6, 1)) == values


def fact(unit: str, *values: tuple[str, float, str]) -> Fact:
    return Fact.model_validate({"description": "An amount.", "unit": unit, "values": [
        {"from": starts, "value": value, "status": status,
         "source": "https://www.rijksoverheid.nl/a", "last_checked": "2026-12-06"}
        for starts, value, status in values]})


EIGEN_RISICO = fact("EUR/year", ("2026-01-01", 385, "confirmed"),
                    ("2027-01-01", 400, "announced"))


def say(catalogs: BabelCatalogs, what: Fact, today: date, language: str = "en") -> RenderedFact:
    now = datetime.combine(today, datetime.min.time(), UTC)
    person = Person(id=1, telegram_id=1, chat_id=1, created_at=now, last_seen_at=now,
                    language=language)
    turn = Turn(cast(UnitOfWork, None), catalogs, Caller(1, 1, language), person, None, now,
                today)
    rendered = render_fact(turn, what)
    return RenderedFact(strip_controls(rendered.inline),
                        [strip_controls(n) for n in rendered.notes])


def test_the_amount_stays_short_in_its_sentence_and_the_change_is_a_note(
        catalogs: BabelCatalogs) -> None:
    assert say(catalogs, EIGEN_RISICO, date(2026, 5, 1)) == RenderedFact(
        "€385 per year (in 2026)")
    assert say(catalogs, EIGEN_RISICO, date(2026, 11, 20)) == RenderedFact(
        "€385 per year (in 2026)",
        ["Expected from 1 January 2027: €400 per year instead of €385 per year."])
    # Announced and in force: still "expected" until someone confirms it.
    in_force = say(catalogs, EIGEN_RISICO, date(2027, 3, 1))
    assert in_force.inline == "€400 per year (expected for 2027)"


def test_unknown_years_are_said_not_guessed(catalogs: BabelCatalogs) -> None:
    only_2026 = fact("EUR/month", ("2026-01-01", 932.93, "confirmed"))
    unknown = "We do not know the amounts for 2027 yet: check the official website."
    assert say(catalogs, only_2026, date(2026, 12, 1)) == RenderedFact(
        "€932.93 per month (in 2026)", [unknown])
    assert say(catalogs, only_2026, date(2027, 1, 3)) == RenderedFact(
        "€932.93 per month (in 2026)", [unknown])


def test_mid_year_hourly_and_future_only_values(catalogs: BabelCatalogs) -> None:
    wage = fact("EUR/hour", ("2026-01-01", 14.40, "confirmed"), ("2026-07-01", 14.71, "confirmed"))
    assert say(catalogs, wage, date(2026, 5, 2)) == RenderedFact(
        "€14.40 per hour (in 2026)", ["From 1 July 2026: €14.71 per hour instead of "
                                      "€14.40 per hour."])
    assert say(catalogs, wage, date(2026, 8, 1)).inline == "€14.71 per hour (from 1 July 2026)"
    later = fact("EUR", ("2027-07-01", 50, "announced"))
    assert say(catalogs, later, date(2026, 12, 1)).inline == "€50 (expected from 1 July 2027)"


def test_arabic_names_both_month_forms_and_isolates_the_amounts(
        catalogs: BabelCatalogs) -> None:
    rendered = say(catalogs, EIGEN_RISICO, date(2026, 11, 20), "ar")
    [note] = rendered.notes
    assert "يناير/كانون الثاني" in note and "2027" in note and "{" not in note
    assert "385" in rendered.inline and "2026" in rendered.inline


async def test_a_step_says_each_note_once_below_its_text(
        knowledge: Knowledge, catalogs: BabelCatalogs, flows: dict[str, Flow],
        search: SearchIndex, clock: Callable[[], datetime]) -> None:
    only_2026 = fact("EUR/month", ("2026-01-01", 932.93, "confirmed"))
    known = copy.copy(knowledge)
    known.facts = {**knowledge.facts, "huurtoeslag_max_rent": only_2026,
                   "huurtoeslag_rent_limit_18_20": only_2026}
    chat = ChatService(MemoryStore(), catalogs, known, flows, search, clock,
                       ZoneInfo("Europe/Amsterdam"))  # the clock says 24 November 2026
    me = Caller(5, 5, "en")
    await chat.command(me, "start")
    for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:ended",
                   "t:toeslagen", "t:toeslagen:huur"):
        await chat.button(me, answer)
    shown = strip_controls((await chat.button(me, "t:toeslagen:huur-rules")).replies[0].text)
    assert shown.count("€932.93 per month (in 2026)") == 2  # both amounts, short, in place
    unknown = "We do not know the amounts for 2027 yet: check the official website."
    assert shown.count(unknown) == 1 and shown.endswith("\n\n" + unknown)


def test_two_values_from_the_same_day_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump({"facts": {"x": {
        "description": "An amount.", "unit": "EUR", "values": [
            {"from": "2026-01-01", "value": v, "status": "confirmed",
             "source": "https://www.rijksoverheid.nl/a", "last_checked": "2026-12-06"}
            for v in (1, 2)]}}}), encoding="utf-8")
    with pytest.raises(ContentError, match="same day"):
        load_yaml(path, Facts)


FACTS: dict[str, Any] = {"facts": {"eigen_risico": {
    "description": "The deductible.", "unit": "EUR/year", "values": [
        {"from": "2026-01-01", "value": 385, "status": "confirmed",
         "source": "https://www.rijksoverheid.nl/a", "last_checked": "2026-12-06"},
        {"from": "2027-01-01", "value": 400, "status": "announced",
         "source": "https://www.rijksoverheid.nl/b", "last_checked": "2026-12-06"}]}}}


def content_tree(root: Path, facts: dict[str, Any], flow_checked: str) -> Path:
    (root / "flows").mkdir()
    (root / "knowledge").mkdir()
    (root / "flows" / "a.yaml").write_text(f"id: a\nlast_checked: {flow_checked}\n",
                                           encoding="utf-8")
    (root / "knowledge" / "facts.yaml").write_text(yaml.safe_dump(facts), encoding="utf-8")
    return root


def facts_with(edit: Any) -> dict[str, Any]:
    changed = cast(dict[str, Any], copy.deepcopy(FACTS))
    edit(changed["facts"]["eigen_risico"]["values"])
    return changed


def test_freshness_lists_old_checks_and_missing_year_values(tmp_path: Path) -> None:
    root = content_tree(tmp_path, facts_with(lambda values: values.pop()), "2026-03-01")
    assert freshness(root, date(2026, 6, 1)) == []
    november = freshness(root, date(2026, 11, 2))
    assert any(item.startswith("flows/a.yaml:2: last checked on 2026-03-01") for item in november)
    assert any("eigen_risico has no value for 2027 yet" in item for item in november)
    assert any("eigen_risico has no value for 2027 yet" in item
               for item in freshness(root, date(2027, 1, 5)))


def test_freshness_asks_to_confirm_an_announced_value_once_it_applies(tmp_path: Path) -> None:
    root = content_tree(tmp_path, FACTS, flow_checked="2027-01-01")
    assert freshness(root, date(2026, 12, 1)) == []
    assert any("announced value from 2027-01-01 applies now" in item
               for item in freshness(root, date(2027, 1, 2)))


def test_freshness_is_quiet_about_values_no_longer_in_use(tmp_path: Path) -> None:
    def age_2026(values: list[dict[str, Any]]) -> None:
        values[0]["last_checked"] = "2025-01-01"
        values[1]["status"] = "confirmed"

    root = content_tree(tmp_path, facts_with(age_2026), flow_checked="2027-01-01")
    assert freshness(root, date(2027, 2, 1)) == []  # the 2026 value no longer applies
    assert any("value last checked on 2025-01-01" in item
               for item in freshness(root, date(2026, 10, 1)))


def test_freshness_skips_a_file_that_does_not_parse(tmp_path: Path) -> None:
    root = content_tree(tmp_path, FACTS, flow_checked="2020-01-01")
    (root / "knowledge" / "facts.yaml").write_text("facts: [unclosed", encoding="utf-8")
    assert [i.split(":")[0] for i in freshness(root, date(2026, 12, 1))] == ["flows/a.yaml"]
