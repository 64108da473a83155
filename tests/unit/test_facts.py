"""Dated facts: the value that applies on the day the bot speaks, the next one when it is
near, and honesty when the facts file does not know this year's amount yet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from bot.content.catalogs import BabelCatalogs
from bot.content.freshness import freshness
from bot.content.knowledge import ContentError, Knowledge, load_yaml
from bot.content.schema import Facts
from bot.domain.bidi import strip_controls
from bot.domain.facts import DatedValue, Reading, read
from bot.domain.incoming import Caller
from bot.domain.person import Person
from bot.services.amounts import render_fact
from bot.services.ports import UnitOfWork
from bot.services.turn import Turn

JAN26, JUL26, JAN27 = date(2026, 1, 1), date(2026, 7, 1), date(2027, 1, 1)


@pytest.mark.parametrize(("today", "expected"), [
    # Mid-year: only today's value.
    (date(2026, 5, 1), Reading(DatedValue(JAN26, 385), None)),
    # From 1 November the next January's value is shown beside today's.
    (date(2026, 11, 1), Reading(DatedValue(JAN26, 385), DatedValue(JAN27, 400, True))),
    (date(2027, 1, 1), Reading(DatedValue(JAN27, 400, True), None)),
    # In 2028 nothing newer is known: say so rather than repeat 2027 as if current.
    (date(2028, 2, 1), Reading(DatedValue(JAN27, 400, True), None, unknown_year=2028)),
    # Before the first value applies, the first one is what there is to say.
    (date(2025, 3, 1), Reading(None, DatedValue(JAN26, 385))),
])
def test_the_value_that_applies_and_the_next_when_it_is_near(
        today: date, expected: Reading) -> None:
    values = [DatedValue(JAN27, 400, announced=True), DatedValue(JAN26, 385)]
    assert read(values, today) == expected


def test_from_november_a_missing_next_year_value_is_named() -> None:
    values = [DatedValue(JAN26, 385)]
    assert read(values, date(2026, 10, 31)) == Reading(DatedValue(JAN26, 385), None)
    assert read(values, date(2026, 11, 1)) == Reading(DatedValue(JAN26, 385), None, 2027)


def test_a_first_of_july_change_counts_like_january() -> None:
    values = [DatedValue(JAN26, 14.40), DatedValue(JUL26, 14.71)]
    assert read(values, date(2026, 6, 1)).upcoming == DatedValue(JUL26, 14.71)
    assert read(values, date(2026, 8, 1)) == Reading(DatedValue(JUL26, 14.71), None)


FACTS = {"facts": {"eigen_risico": {
    "description": "The deductible.", "unit": "EUR/year",
    "values": [
        {"from": "2026-01-01", "value": 385, "status": "confirmed",
         "source": "https://www.rijksoverheid.nl/a", "last_checked": "2026-12-06"},
        {"from": "2027-01-01", "value": 400, "status": "announced",
         "source": "https://www.rijksoverheid.nl/b", "last_checked": "2026-12-06"},
    ]}}}


@pytest.fixture
def dated_knowledge(knowledge: Knowledge, tmp_path: Path) -> Knowledge:
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(FACTS), encoding="utf-8")
    copy = Knowledge.__new__(Knowledge)
    copy.__dict__.update(knowledge.__dict__)
    copy.facts = load_yaml(path, Facts).facts
    return copy


def say(knowledge: Knowledge, catalogs: BabelCatalogs, language: str, today: date) -> str:
    now = datetime.combine(today, datetime.min.time(), UTC)
    person = Person(id=1, telegram_id=1, chat_id=1, created_at=now, last_seen_at=now,
                    language=language)
    turn = Turn(cast(UnitOfWork, None), catalogs, Caller(1, 1, language), person, None, now,
                today)
    return strip_controls(render_fact(turn, knowledge, "eigen_risico") or "")


def test_in_november_both_years_are_shown_and_an_announced_value_is_expected(
        dated_knowledge: Knowledge, catalogs: BabelCatalogs) -> None:
    assert say(dated_knowledge, catalogs, "en", date(2026, 5, 1)) == "€385 per year (in 2026)"
    assert say(dated_knowledge, catalogs, "en", date(2026, 11, 20)) == (
        "€385 per year (in 2026); expected from 1 January 2027: €400 per year")
    dated_knowledge.facts["eigen_risico"] = dated_knowledge.facts["eigen_risico"].model_copy(
        update={"values": dated_knowledge.facts["eigen_risico"].values[:1]})
    assert say(dated_knowledge, catalogs, "en", date(2026, 12, 1)) == (
        "€385 per year (in 2026); the amount for 2027 is not known here yet")
    assert say(dated_knowledge, catalogs, "en", date(2027, 1, 3)) == (
        "€385 per year (since 1 January 2026; the amount for 2027 is not known here yet: "
        "check the official website)")


def test_dates_in_arabic_name_both_month_forms(
        dated_knowledge: Knowledge, catalogs: BabelCatalogs) -> None:
    said = say(dated_knowledge, catalogs, "ar", date(2026, 11, 20))
    assert "كانون الثاني / يناير" in said and "2027" in said and "{" not in said


def test_two_values_from_the_same_day_are_refused(tmp_path: Path) -> None:
    twice = cast(dict[str, Any], yaml.safe_load(yaml.safe_dump(FACTS)))
    values = twice["facts"]["eigen_risico"]["values"]
    values[1]["from"] = values[0]["from"]
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(twice), encoding="utf-8")
    with pytest.raises(ContentError, match="same day"):
        load_yaml(path, Facts)


def content_tree(root: Path, facts: dict[str, Any], flow_checked: str) -> Path:
    (root / "flows").mkdir()
    (root / "knowledge").mkdir()
    (root / "flows" / "a.yaml").write_text(f"id: a\nlast_checked: {flow_checked}\n",
                                           encoding="utf-8")
    (root / "knowledge" / "facts.yaml").write_text(yaml.safe_dump(facts), encoding="utf-8")
    return root


def test_freshness_lists_old_checks_and_missing_next_year_values(tmp_path: Path) -> None:
    only_2026 = cast(dict[str, Any], yaml.safe_load(yaml.safe_dump(FACTS)))
    del only_2026["facts"]["eigen_risico"]["values"][1]
    root = content_tree(tmp_path, only_2026, flow_checked="2026-03-01")
    assert freshness(root, date(2026, 6, 1)) == []
    november = freshness(root, date(2026, 11, 2))
    assert any(item.startswith("flows/a.yaml:2: last checked on 2026-03-01") for item in november)
    assert any("eigen_risico has no value from 2027-01-01" in item for item in november)
    assert any("eigen_risico has no value for 2027" in item
               for item in freshness(root, date(2027, 1, 5)))


def test_freshness_is_quiet_about_values_no_longer_in_use(tmp_path: Path) -> None:
    old = cast(dict[str, Any], yaml.safe_load(yaml.safe_dump(FACTS)))
    old["facts"]["eigen_risico"]["values"][0]["last_checked"] = "2025-01-01"
    root = content_tree(tmp_path, old, flow_checked="2027-01-01")
    assert freshness(root, date(2027, 2, 1)) == []  # the 2026 value no longer applies
    assert any("value last checked on 2025-01-01" in item
               for item in freshness(root, date(2026, 10, 1)))
