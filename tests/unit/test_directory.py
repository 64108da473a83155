"""The directory (bot.services.directory): organisations by category for the person's
municipality, on the project's real knowledge."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

import pytest

from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Category
from bot.domain import actions
from bot.domain.bidi import FSI, PDI, strip_controls
from bot.domain.incoming import Caller
from bot.domain.person import Begeleiding, Person
from bot.domain.replies import Button, Outcome
from bot.services.directory import CATEGORY_LABELS, SCOPE, Directory
from bot.services.ports import UnitOfWork
from bot.services.turn import Turn

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


def make_turn(catalogs: BabelCatalogs, municipality: str | None,
              language: str = "en") -> Turn:
    person = Person(id=1, telegram_id=1, chat_id=1, created_at=NOW, last_seen_at=NOW,
                    language=language, municipality=municipality,
                    begeleiding=Begeleiding.ENDED, consented_at=NOW)
    return Turn(cast(UnitOfWork, None), catalogs, Caller(1, 1, language), person, None, NOW,
                date(2026, 12, 10))


def buttons(outcome: Outcome) -> list[Button]:
    [reply] = outcome.replies
    return [b for row in reply.keyboard for b in row]


def data_of(outcome: Outcome) -> list[str]:
    return [b.data for b in buttons(outcome)]


@pytest.fixture
def directory(knowledge: Knowledge) -> Directory:
    return Directory(knowledge)


def test_every_category_has_a_label() -> None:
    assert set(CATEGORY_LABELS) == set(Category)
    assert SCOPE == "g"


def test_delft_shows_its_categories_with_counts_from_knowledge(
        directory: Directory, knowledge: Knowledge, catalogs: BabelCatalogs) -> None:
    outcome = directory.show(make_turn(catalogs, "delft"))
    assert "Organisations and initiatives in Delft" in outcome.replies[0].text
    expected = {c: len(knowledge.organisations(c, "delft")) for c in CATEGORY_LABELS}
    shown = [(b.label, b.data) for b in buttons(outcome)]
    assert shown[:-1] == [(f"{CATEGORY_LABELS[c]} ({n})", f"g:cat:{c.value}")
                          for c, n in expected.items() if n]
    assert shown[-1] == ("🏠 Menu", "m:menu")
    # Delft's own organisations are counted, not only the national ones.
    language = len(knowledge.organisations(Category.LANGUAGE, None))
    assert f"{CATEGORY_LABELS[Category.LANGUAGE]} ({language + 2})" in dict(shown)
    assert all(actions.parse(data) is not None for _label, data in shown)


def test_a_category_lists_local_organisations_before_national_ones(
        directory: Directory, knowledge: Knowledge, catalogs: BabelCatalogs) -> None:
    turn = make_turn(catalogs, "delft")
    outcome = directory.on_button(turn, "cat", "language")
    assert outcome is not None
    text = outcome.replies[0].text
    assert "Language" in text and "Delft" in text
    local = {o.id for o in knowledge.local["delft"]}
    national = {o.id for o in knowledge.national}
    orgs = [d.removeprefix("k:") for d in data_of(outcome) if d.startswith("k:")]
    assert orgs == [o.id for o in knowledge.organisations(Category.LANGUAGE, "delft")]
    assert orgs[:2] == ["dft-koffienl", "dft-taalhuis-dok"] and set(orgs[:2]) <= local
    assert orgs[2:] and set(orgs[2:]) <= national
    assert data_of(outcome)[-2:] == ["g:all", "m:menu"]
    labels = [b.label for b in buttons(outcome)]
    assert labels[:2] == ["KoffieNL, HuisNL en WerkNL", "Taalhuis DOK"]  # no languages known
    # g:all goes back to the categories.
    back = directory.on_button(turn, "all", "")
    assert back is not None and data_of(back) == data_of(directory.show(turn))


def test_labels_name_the_languages_and_stay_plain_text(
        directory: Directory, catalogs: BabelCatalogs) -> None:
    turn = make_turn(catalogs, "leiden")
    family = directory.on_button(turn, "cat", "family")
    assert family is not None
    assert ("IND · nl, en", "k:ind") in [(b.label, b.data) for b in buttons(family)]
    children = directory.on_button(turn, "cat", "children")
    assert children is not None
    # Button labels are not HTML: "&" must not turn into "&amp;".
    assert "Ouders & Onderwijs" in [b.label for b in buttons(children)]


@pytest.mark.parametrize("municipality", ["other", None])
def test_elsewhere_only_national_organisations_are_shown(
        directory: Directory, knowledge: Knowledge, catalogs: BabelCatalogs,
        municipality: str | None) -> None:
    turn = make_turn(catalogs, municipality)
    outcome = directory.show(turn)
    assert "in the whole country" in outcome.replies[0].text
    for category in CATEGORY_LABELS:
        national = [o for o in knowledge.national if category in o.categories]
        label = f"{CATEGORY_LABELS[category]} ({len(national)})"
        assert (label in [b.label for b in buttons(outcome)]) == bool(national)
    listed = directory.on_button(turn, "cat", "meeting")
    assert listed is not None
    national_ids = {o.id for o in knowledge.national}
    orgs = [d.removeprefix("k:") for d in data_of(listed) if d.startswith("k:")]
    assert orgs and set(orgs) <= national_ids
    assert "whole country" in listed.replies[0].text


def test_a_municipality_without_local_ones_in_a_category_says_so(
        directory: Directory, catalogs: BabelCatalogs) -> None:
    outcome = directory.on_button(make_turn(catalogs, "delft"), "cat", "health")
    assert outcome is not None
    assert "These organisations work in the whole country" in outcome.replies[0].text


@pytest.mark.parametrize(("name", "value"), [
    ("cat", "nonsense"), ("cat", "ADMIN"), ("cat", ""), ("all", "x"), ("open", "admin"),
    ("k", "ind"),
])
def test_forged_buttons_return_none(directory: Directory, catalogs: BabelCatalogs,
                                    name: str, value: str) -> None:
    assert directory.on_button(make_turn(catalogs, "delft"), name, value) is None


def test_arabic_labels_go_through_gettext_and_names_are_isolated(
        directory: Directory, knowledge: Knowledge, catalogs: BabelCatalogs) -> None:
    turn = make_turn(catalogs, "delft", "ar")
    arabic = catalogs.translator("ar")
    outcome = directory.show(turn)
    assert f"{FSI}Delft{PDI}" in outcome.replies[0].text
    shown = buttons(outcome)
    expected = [f"{arabic.gettext(CATEGORY_LABELS[c])} ({n})" for c in CATEGORY_LABELS
                if (n := len(knowledge.organisations(c, "delft")))]
    assert [b.label for b in shown[:-1]] == expected
    assert shown[-1] == Button(arabic.gettext("🏠 Menu"), "m:menu")
    listed = directory.on_button(turn, "cat", "admin")
    assert listed is not None
    labels = [b.label for b in buttons(listed)]
    assert labels[0] == f"{FSI}Regionale Belasting Groep (RBG){PDI}"
    assert strip_controls(labels[0]) == "Regionale Belasting Groep (RBG)"
    assert [b.data for b in buttons(listed)][-2:] == ["g:all", "m:menu"]
