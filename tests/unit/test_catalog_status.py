"""Review status of catalog entries: statuses, accepting reviews, machine prefill, and the
status surviving the real `make i18n` commands. Everything writes to tmp copies of locales/."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from bot.content.catalog_status import (
    Accepted,
    Review,
    Status,
    apply_reviews,
    entries,
    placeholders_kept,
    po_path,
    prefill,
    prefill_catalog,
    read_catalog,
    status_of,
    write_catalog,
)
from bot.content.catalogs import BabelCatalogs, stats
from bot.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"
DAY = date(2026, 12, 7)
CHOOSE = "Choose your language."  # bot/services/questions.py, no context
FIRST = "Expected from {date}: {new} instead of {old}."  # the first entry of every catalog
FROM = "From {date}: {new} instead of {old}."
TITLE = ("flow begeleiding: title", "Begeleiding: guidance in your new town")


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target)
    return target


def edit(locales: Path, language: str, change: Callable[[Catalog], None]) -> None:
    path = po_path(locales, language)
    catalog = read_catalog(path, language)
    change(catalog)
    write_catalog(path, catalog)


def message(locales: Path, language: str, msgid: str, context: str = "") -> Message:
    found = read_catalog(po_path(locales, language), language).get(msgid, context or None)
    assert found is not None, msgid
    return found


def mark_machine(catalog: Catalog, msgid: str, text: str, context: str = "") -> None:
    entry = catalog.get(msgid, context or None)
    assert entry is not None
    entry.string = text
    entry.flags |= {"fuzzy", "machine"}


def accepted(language: str, msgid: str, text: str, *reviewers: str, context: str = "",
             day: date = DAY) -> Accepted:
    return Accepted(language, context, msgid, text, reviewers or ("kestrel",), day)


# -- statuses ------------------------------------------------------------------------------


def test_status_of_each_kind_of_entry() -> None:
    assert status_of(Message("Hi", "Hoi")) is Status.REVIEWED
    assert status_of(Message("Hi", "Hoi", flags=["fuzzy"])) is Status.DRAFT
    assert status_of(Message("Hi", "Hoi", flags=["fuzzy", "machine"])) is Status.MACHINE
    assert status_of(Message("Hi", "Hoi", flags=["machine"])) is Status.MACHINE
    assert status_of(Message("Hi", "")) is Status.MISSING
    assert status_of(Message("Hi", "", flags=["fuzzy", "machine"])) is Status.MISSING
    assert status_of(Message(("a day", "{n} days"), ("een dag", ""))) is Status.MISSING
    assert status_of(Message(("a day", "{n} days"), ("een dag", "{n} dagen"))) \
        is Status.REVIEWED


def test_the_shipped_catalogs_are_reviewed_except_tigrinya_drafts() -> None:
    for language, expected in (("ar", Status.REVIEWED), ("nl", Status.REVIEWED),
                               ("ti", Status.DRAFT)):
        assert {e.status for e in entries(LOCALES, language)} == {expected}


def test_rewriting_a_catalog_without_changes_leaves_it_byte_identical(locales: Path) -> None:
    for language in ("en", "ar", "ti", "nl"):
        before = po_path(locales, language).read_bytes()
        edit(locales, language, lambda catalog: None)
        assert po_path(locales, language).read_bytes() == before, language


def test_placeholders_and_commands_must_be_kept() -> None:
    assert placeholders_kept("From {date}: {new}", "{new} vanaf {date}")
    assert not placeholders_kept("From {date}: {new}", "Vanaf {datum}: {new}")
    assert not placeholders_kept("From {date}: {new}", "Vanaf {date}")
    assert not placeholders_kept("From {date}", "Vanaf {date} {date}")
    assert not placeholders_kept("From {date}", "Vanaf {date")
    assert not placeholders_kept("Ask /person", "Vraag /persoon")


def test_entries_give_a_review_screen_what_it_needs(locales: Path) -> None:
    apply_reviews(locales, [accepted("ti", CHOOSE, "ቋንቋ ምረጹ።", "kestrel", "merel")])
    by_id = {(e.context, e.msgid): e for e in entries(locales, "ti")}
    choose = by_id["", CHOOSE]
    assert choose.status is Status.REVIEWED and choose.text == "ቋንቋ ምረጹ።"
    assert any(loc.startswith("bot/services/questions.py:") for loc in choose.locations)
    assert choose.comments == ("reviewed-by: kestrel 2026-12-07", "reviewed-by: merel 2026-12-07")
    assert choose.reviews == (Review("kestrel", DAY), Review("merel", DAY))
    assert by_id[TITLE].status is Status.DRAFT and by_id[TITLE].comments == ()
    assert any(e.notes for e in by_id.values())  # the `#.` comments for translators


# -- accepting reviews ---------------------------------------------------------------------


def test_apply_reviews_writes_the_text_drops_fuzzy_and_machine_and_notes_reviewers(
        locales: Path) -> None:
    edit(locales, "ti", lambda c: mark_machine(c, FROM, "ካብ {date}: {new} (ማሽን) {old}"))
    result = apply_reviews(locales, [
        accepted("ti", CHOOSE, "ቋንቋ ምረጹ።", "kestrel"),
        accepted("ti", FROM, "ካብ {date} ጀሚሩ: ኣብ ክንዲ {old}፡ {new}።", "merel", "kestrel"),
        accepted("ti", TITLE[1], "ደገፍ", context=TITLE[0]),
        accepted("ti", FIRST, "ካብ {date}: {new} ኣብ ክንዲ {old}።"),
    ])
    assert len(result.applied) == 4 and result.written == (po_path(locales, "ti"),)
    assert not (result.not_found or result.plural or result.broken)

    choose = message(locales, "ti", CHOOSE)
    assert (choose.string, choose.flags) == ("ቋንቋ ምረጹ።", set())
    assert choose.user_comments == ["reviewed-by: kestrel 2026-12-07"]
    machine = message(locales, "ti", FROM)
    assert machine.flags == {"python-brace-format"}  # fuzzy and machine gone, the rest kept
    assert machine.user_comments == ["reviewed-by: merel 2026-12-07",
                                     "reviewed-by: kestrel 2026-12-07"]
    assert message(locales, "ti", TITLE[1], TITLE[0]).string == "ደገፍ"
    first = message(locales, "ti", FIRST)  # right after the header: still its own comment
    assert first.user_comments == ["reviewed-by: kestrel 2026-12-07"]
    statuses = {(e.context, e.msgid): e.status for e in entries(locales, "ti")}
    assert statuses["", CHOOSE] is Status.REVIEWED and statuses["", FROM] is Status.REVIEWED
    assert stats(locales)["ti"].translated == 4


def test_a_second_review_adds_a_reviewer_and_a_new_text_starts_over(locales: Path) -> None:
    apply_reviews(locales, [accepted("ar", CHOOSE, "اختر لغتك.", "kestrel")])
    apply_reviews(locales, [accepted("ar", CHOOSE, "اختر لغتك.", "merel", "kestrel",
                                     day=date(2026, 12, 9))])
    assert message(locales, "ar", CHOOSE).user_comments == [
        "reviewed-by: merel 2026-12-09", "reviewed-by: kestrel 2026-12-09"]
    apply_reviews(locales, [accepted("ar", CHOOSE, "اختاروا لغتكم.", "wren")])
    assert message(locales, "ar", CHOOSE).user_comments == ["reviewed-by: wren 2026-12-07"]


def test_unknown_entries_are_reported_not_invented(locales: Path) -> None:
    before = {lang: po_path(locales, lang).read_bytes() for lang in ("ar", "en", "ti")}
    unknown = [
        accepted("ar", "A text nobody wrote.", "نص"),
        accepted("ar", CHOOSE, "اختر لغتك.", context="no such context"),
        accepted("ti", TITLE[1], "ደገፍ"),  # the right msgid without its context
        accepted("en", CHOOSE, "Pick a language."),  # the source language has no translations
        accepted("xx", CHOOSE, "?"),
    ]
    broken = accepted("ar", FROM, "ابتداءً من {التاريخ}: {new} بدلاً من {old}.")
    result = apply_reviews(locales, [*unknown, broken])
    assert result.not_found == tuple(unknown) and result.broken == (broken,)
    assert result.applied == () and result.written == ()
    assert {lang: po_path(locales, lang).read_bytes() for lang in before} == before
    assert not (locales / "xx").exists()


def test_an_accepted_text_names_its_reviewers() -> None:
    with pytest.raises(ValueError, match="reviewer"):
        Accepted("ar", "", CHOOSE, "اختر لغتك.", (), DAY)
    with pytest.raises(ValueError, match="one word"):
        Accepted("ar", "", CHOOSE, "اختر لغتك.", ("two words",), DAY)
    with pytest.raises(ValueError, match="at most"):
        Accepted("ar", "", CHOOSE, "اختر لغتك.", ("x" * 41,), DAY)
    with pytest.raises(ValueError, match="empty"):
        Accepted("ar", "", CHOOSE, " ", ("kestrel",), DAY)


# -- machine prefill -----------------------------------------------------------------------


class FakeMachine:
    """Puts "MT " before each text; breaks the placeholders of texts starting with "From"."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, texts: Sequence[str]) -> list[str]:
        self.asked.extend(texts)
        return [("MT " + t.replace("{date}", "{datum}")) if t.startswith("From")
                else f"MT {t}" for t in texts]


def test_prefill_fills_only_missing_entries_and_refuses_broken_placeholders(
        locales: Path) -> None:
    def prepare(catalog: Catalog) -> None:
        for msgid in (CHOOSE, FIRST, FROM):  # missing
            entry = catalog.get(msgid)
            assert entry is not None
            entry.string = ""
        draft = catalog.get(*reversed(TITLE))
        assert draft is not None
        draft.string, draft.flags = "مسودة", draft.flags | {"fuzzy"}

    edit(locales, "ar", prepare)
    before = {(m.context, m.id): (m.string, set(m.flags))
              for m in read_catalog(po_path(locales, "ar"), "ar")}
    machine = FakeMachine()
    result = prefill_catalog(locales, "ar", machine)
    assert sorted(machine.asked) == sorted([CHOOSE, FIRST, FROM])
    assert result.filled == 2 and result.refused == (("", FROM),)
    assert result.plural_skipped == 0

    after = {(m.context, m.id): (m.string, set(m.flags))
             for m in read_catalog(po_path(locales, "ar"), "ar")}
    assert after[None, CHOOSE] == (f"MT {CHOOSE}", {"fuzzy", "machine"})
    assert after[None, FIRST] == (f"MT {FIRST}", {"fuzzy", "machine", "python-brace-format"})
    assert after[None, FROM] == ("", {"python-brace-format"})  # refused: still missing
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {(None, CHOOSE), (None, FIRST)}  # reviewed and draft entries untouched
    assert after[TITLE] == ("مسودة", {"fuzzy"})
    counts = stats(locales)["ar"]
    assert (counts.machine, counts.draft, counts.missing) == (2, 1, 1)

    again = FakeMachine()  # machine texts are not translated again; FROM is asked again
    assert prefill(locales, "ar", again) == 0 and again.asked == [FROM]


def test_prefill_with_nothing_missing_leaves_the_file_alone(locales: Path) -> None:
    before = po_path(locales, "nl").read_bytes()
    machine = FakeMachine()
    assert prefill(locales, "nl", machine) == 0
    assert machine.asked == [] and po_path(locales, "nl").read_bytes() == before
    with pytest.raises(ValueError):
        prefill(locales, "en", machine)


# -- readers of the catalogs ---------------------------------------------------------------


def test_babel_catalogs_tell_machine_texts_from_human_drafts(locales: Path) -> None:
    edit(locales, "ti", lambda c: mark_machine(c, CHOOSE, "ማሽን"))
    edit(locales, "ar", lambda c: mark_machine(c, TITLE[1], "آلة", context=TITLE[0]))
    catalogs = BabelCatalogs.load(locales)

    assert catalogs.is_machine("ti", CHOOSE) and not catalogs.is_draft("ti", CHOOSE)
    assert catalogs.is_draft("ti", FROM) and not catalogs.is_machine("ti", FROM)
    assert catalogs.translator("ti").gettext(CHOOSE) == "ማሽን"  # still shown
    assert catalogs.is_machine("ar", TITLE[1], TITLE[0])
    assert not catalogs.is_machine("ar", TITLE[1]) and not catalogs.is_draft("ar", CHOOSE)
    assert catalogs.translator("ar").pgettext(*TITLE) == "آلة"
    # A machine text is not reviewed: the language has unreviewed texts.
    assert catalogs.has_drafts("ar") and not catalogs.all_drafts("ar")
    assert catalogs.has_drafts("ti") and catalogs.all_drafts("ti")
    assert not catalogs.has_drafts("nl")
    counts = stats(locales)
    assert (counts["ti"].machine, counts["ti"].draft) == (1, len(entries(locales, "ti")) - 1)
    assert (counts["ar"].machine, counts["ar"].draft) == (1, 0)


# -- surviving `make i18n` -----------------------------------------------------------------


def make_i18n_commands(pot: Path, locales: Path) -> list[list[str]]:
    """The Makefile's i18n recipe, with its -o/-i/-d targets moved to the tmp copy."""
    lines = (PROJECT_ROOT / "Makefile").read_text().split("\ni18n:", 1)[1].split("\n")[1:]
    recipe = []
    for line in lines:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    commands = "\n".join(recipe).replace("\\\n", " ").split("\n")
    moved = {"-o": str(pot), "-i": str(pot), "-d": str(locales)}
    result = []
    for command in commands:
        words = shlex.split(command.replace("$(BIN)", str(Path(sys.executable).parent)))
        result.append([moved.get(before, word) for before, word in zip(["", *words], words,
                                                                         strict=False)])
    return result


def test_the_status_and_reviewers_survive_make_i18n(locales: Path) -> None:
    edit(locales, "ar", lambda c: mark_machine(c, CHOOSE, "اختر (آلة)."))
    edit(locales, "ti", lambda c: mark_machine(c, TITLE[1], "ማሽን", context=TITLE[0]))
    result = apply_reviews(locales, [
        accepted("ti", CHOOSE, "ቋንቋ ምረጹ።", "kestrel", "merel"),
        accepted("nl", FIRST, "Verwacht vanaf {date}: {new} in plaats van {old}.", "wren"),
    ])
    assert len(result.applied) == 2

    commands = make_i18n_commands(locales.parent / "messages.pot", locales)
    assert [c[1] for c in commands] == ["extract", "update"]
    assert "--no-wrap" in commands[1] and "--ignore-obsolete" in commands[1]
    for command in commands:
        assert str(LOCALES) not in command and "locales/messages.pot" not in command
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr

    ar = message(locales, "ar", CHOOSE)
    assert (ar.string, status_of(ar)) == ("اختر (آلة).", Status.MACHINE)
    assert {"fuzzy", "machine"} <= ar.flags
    ti_title = message(locales, "ti", TITLE[1], TITLE[0])
    assert (ti_title.string, status_of(ti_title)) == ("ማሽን", Status.MACHINE)
    ti = message(locales, "ti", CHOOSE)
    assert status_of(ti) is Status.REVIEWED
    assert ti.user_comments == ["reviewed-by: kestrel 2026-12-07", "reviewed-by: merel 2026-12-07"]
    nl = message(locales, "nl", FIRST)
    assert nl.user_comments == ["reviewed-by: wren 2026-12-07"]
    assert status_of(nl) is Status.REVIEWED
    catalogs = BabelCatalogs.load(locales)
    assert catalogs.is_machine("ar", CHOOSE) and catalogs.is_machine("ti", TITLE[1], TITLE[0])
