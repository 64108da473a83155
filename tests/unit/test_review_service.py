"""/review and /leads on a real database (SQLite and PostgreSQL), through the Desk as people
use them: a Tigrinya-speaking sleutelpersoon judges catalog texts (correct, a better text,
skip, stop), a second one agrees, a language lead alone accepts; what `wegwijs i18n
apply-reviews` then writes (into a copy of locales/); forged, stale and foreign buttons are
refused in the caller's language and audited; /delete keeps the votes without the person."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.clock import FixedClock
from memory_store import MemoryStore

from bot.content import catalog_status as cs
from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Flow
from bot.content.search import SearchIndex
from bot.domain import audit
from bot.domain import catalog_review as cr
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller
from bot.domain.person import Role, RoleGrant
from bot.domain.sleutelpersoon import Profile
from bot.services import review_apply
from bot.services.chat import ChatService
from bot.services.desk import Desk
from bot.services.profile_questions import language_name
from bot.services.turn import Turn
from bot.settings import PROJECT_ROOT
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
SELAM = Caller(401, 401, "en")  # reads the bot in English, speaks Tigrinya
AMAL = Caller(402, 402, "en")  # speaks Tigrinya too
NOOR = Caller(403, 403, "ar")  # speaks Arabic only, reads the bot in Arabic
BOTH = Caller(404, 404, "nl")  # speaks Arabic and Tigrinya
COORDINATOR = Caller(30, 30, "en")  # Leiden
DELFT = Caller(31, 31, "en")  # coordinator in Delft
NEWCOMER = Caller(500, 500, "en")
FIRST = "Expected from {date}: {new} instead of {old}."  # the first entry of the catalogs
SECOND = "From {date}: {new} instead of {old}."


@pytest.fixture
def db(both_databases: Database) -> Database:
    return both_databases


@pytest.fixture
def desk(db: Database, catalogs: BabelCatalogs, knowledge: Knowledge,
         flows: dict[str, Flow], search: SearchIndex, clock: FixedClock) -> Desk:
    return Desk(ChatService(db.uow, catalogs, knowledge, flows, search, clock, ZONE),
                knowledge)


async def sleutelpersoon(db: Database, caller: Caller, name: str, languages: set[str],
                         municipality: str = "leiden") -> None:
    async with db.uow() as uow:
        person = await uow.people.add(caller.telegram_id, caller.chat_id, datetime.now(UTC))
        person.language = caller.language_code
        await uow.people.save(person)
        await uow.roles.grant(RoleGrant(caller.telegram_id, Role.SLEUTELPERSOON, municipality,
                                        datetime(2026, 1, 1, tzinfo=UTC)))
        await uow.profiles.put(Profile(caller.telegram_id, name, frozenset(languages),
                                       frozenset({municipality})), datetime.now(UTC))
        await uow.commit()


async def coordinator(db: Database, caller: Caller, municipality: str = "leiden") -> None:
    async with db.uow() as uow:
        await uow.roles.grant(RoleGrant(caller.telegram_id, Role.COORDINATOR, municipality,
                                        datetime(2026, 1, 1, tzinfo=UTC)))
        await uow.commit()


def tr(catalogs: BabelCatalogs, language: str, message: str) -> str:
    return catalogs.translator(language).gettext(message)


def text_of(outcome: Any) -> str:
    return strip_controls("\n".join(r.text for r in outcome.replies))


def data_of(outcome: Any, starts: str) -> str:
    found = [b.data for r in outcome.replies for row in r.keyboard for b in row
             if b.data and b.data.startswith(starts)]
    assert found, (starts, text_of(outcome))
    return found[0]


def shown_key(outcome: Any) -> str:
    """The entry a review screen shows (from its Skip button)."""
    return data_of(outcome, "q:skip:").split("-")[1]


async def refusals(db: Database, caller: Caller, act: audit.Act) -> list[audit.Entry]:
    async with db.uow() as uow:
        return [e for e in await uow.audit.of(caller.telegram_id)
                if e.action is act and not e.allowed]


async def votes(db: Database, language: str = "ti") -> list[cr.Vote]:
    async with db.uow() as uow:
        return await uow.reviews.votes(language)


def locales_copy(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(PROJECT_ROOT / "locales", target)
    return target


async def write_accepted(db: Database, locales: Path, clock: FixedClock) -> cs.ApplyResult:
    """What `wegwijs i18n apply-reviews` does, on `locales`."""
    async with db.uow() as uow:
        found = await review_apply.pending(uow, clock.now.date())
        result = cs.apply_reviews(locales, [p.accepted for p in found])
        done = {(a.language, a.context, a.msgid) for a in result.applied}
        await review_apply.mark_applied(uow, [p for p in found if (
            p.accepted.language, p.accepted.context, p.accepted.msgid) in done], clock.now)
        await uow.commit()
    return result


# -- who may review --------------------------------------------------------------------------


async def test_review_is_for_sleutelpersonen_who_speak_a_reviewed_language(
        desk: Desk, db: Database, catalogs: BabelCatalogs) -> None:
    refused = await desk.command(NEWCOMER, "review")
    assert text_of(refused) == tr(catalogs, "en", "Only sleutelpersonen can do this. "
                                                  "Nothing was changed.")
    assert [e.target for e in await refusals(db, NEWCOMER, audit.Act.CATALOG_REVIEW)] == \
        ["/review"]

    other = Caller(405, 405, "en")
    await sleutelpersoon(db, other, "Farid", {"fa"})
    told = await desk.command(other, "review")
    assert "Add the ones you speak to your profile with /profile" in text_of(told)

    await sleutelpersoon(db, BOTH, "Yonas", {"ar", "ti", "fa"})
    choose = await desk.command(BOTH, "review")
    assert tr(catalogs, "nl", "Which language do you want to review?") in text_of(choose)
    assert [b.data for r in choose.replies for row in r.keyboard for b in row] == \
        ["q:lang:ar", "q:lang:ti"]
    started = await desk.button(BOTH, "q:lang:ti")
    assert data_of(started, "q:skip:").startswith("q:skip:ti-")


# -- reviewing -------------------------------------------------------------------------------


async def test_a_reviewer_judges_texts_one_at_a_time(
        desk: Desk, db: Database, catalogs: BabelCatalogs) -> None:
    await sleutelpersoon(db, SELAM, "Selam", {"ti"})
    first = await desk.command(SELAM, "review")
    shown = text_of(first)
    ti = catalogs.translator("ti").gettext
    assert "Review the bot's texts in Tigrinya" in shown
    assert "Reviewed now: 0 · still to review: " in shown
    assert f"<b>English:</b>\n<blockquote>{FIRST}</blockquote>" in shown
    assert "<b>Where:</b> The bot's own words, in bot/services/amounts.py:" in shown
    assert f"<b>Now (draft, not reviewed yet):</b>\n<blockquote>{ti(FIRST)}</blockquote>" in shown
    left = int(shown.split("still to review: ")[1].split()[0])
    assert left == len(await desk.review.catalog("ti"))  # every Tigrinya text is a draft
    key = shown_key(first)
    assert desk.review._entries["ti"][key].msgid == FIRST

    # ✅ Correct: the next text, one reviewed
    second = await desk.button(SELAM, data_of(first, "q:ok:"))
    assert f"<blockquote>{SECOND}</blockquote>" in text_of(second)
    assert f"Reviewed now: 1 · still to review: {left - 1}" in text_of(second)

    # ✏️ Improve: asked for the text, with the text now to copy
    asked = await desk.button(SELAM, data_of(second, "q:edit:"))
    assert "Write the Tigrinya text in one message." in text_of(asked)
    assert f"<code>{ti(SECOND)}</code>" in text_of(asked)
    lost = await desk.text(SELAM, "ካብ {date} ጀሚሩ {new}")  # {old} is gone
    assert text_of(lost) == ("Please keep these exactly as in the English text: {date}  "
                             "{new}  {old}. Send your text again.")
    extra = await desk.text(SELAM, "ካብ {date}: {new} ኣብ ክንዲ {old} <b>ሓድሽ</b>")
    assert "The English text has no" not in text_of(extra)
    assert "Please keep these exactly" in text_of(extra)  # a tag the English has not
    better = "ካብ {date} ጀሚሩ፡ ኣብ ክንዲ {old}፡ {new}።"
    saved = await desk.text(SELAM, better)
    assert text_of(saved).startswith("✅ Saved. Thank you!")
    assert f"Reviewed now: 2 · still to review: {left - 2}" in text_of(saved)

    # ⏭ Skip: the next one, not counted; 🏁 Stop
    skipped = await desk.button(SELAM, data_of(saved, "q:skip:"))
    assert f"Reviewed now: 2 · still to review: {left - 3}" in text_of(skipped)
    stopped = await desk.button(SELAM, "q:stop")
    assert text_of(stopped) == ("Thank you! Texts you reviewed in this session: 2. Send "
                                "/review to go on another time.")

    stored = await votes(db)
    assert [(v.msgid, v.verdict, v.judged, v.proposed, v.reviewer) for v in stored][:2] == [
        (FIRST, cr.Verdict.CORRECT, ti(FIRST), None, SELAM.telegram_id),
        (SECOND, cr.Verdict.IMPROVED, ti(SECOND), better, SELAM.telegram_id)]
    assert stored[2].verdict is cr.Verdict.SKIPPED and len(stored) == 3

    # Next time: never one they voted on or skipped
    again = await desk.command(SELAM, "review")
    assert shown_key(again) not in {v.key for v in stored}
    assert f"still to review: {left - 3}" in text_of(again)


async def test_a_second_reviewer_agrees_and_apply_reviews_writes_the_texts(
        desk: Desk, db: Database, catalogs: BabelCatalogs, clock: FixedClock,
        tmp_path: Path) -> None:
    await sleutelpersoon(db, SELAM, "Selam Tesfay", {"ti"})
    await sleutelpersoon(db, AMAL, "Amal", {"ti"})
    first = await desk.command(SELAM, "review")
    second = await desk.button(SELAM, data_of(first, "q:ok:"))
    await desk.button(SELAM, data_of(second, "q:edit:"))
    better = "ካብ {date} ጀሚሩ፡ ኣብ ክንዲ {old}፡ {new}።"
    await desk.text(SELAM, better)

    # Amal sees the texts Selam judged first; the improved one with Selam's suggestion
    shown = await desk.command(AMAL, "review")
    assert f"<blockquote>{FIRST}</blockquote>" in text_of(shown)
    assert "Suggested by another reviewer" not in text_of(shown)
    suggested = await desk.button(AMAL, data_of(shown, "q:ok:"))
    assert f"<b>Suggested by another reviewer:</b>\n<blockquote>{better}</blockquote>" in \
        text_of(suggested)
    assert "✅ Correct agrees with this suggestion." in text_of(suggested)
    await desk.button(AMAL, data_of(suggested, "q:ok:"))

    locales = locales_copy(tmp_path)
    result = await write_accepted(db, locales, clock)
    assert [(a.msgid, a.text, a.reviewers) for a in result.applied] == [
        (FIRST, catalogs.translator("ti").gettext(FIRST), ("Selam_Tesfay", "Amal")),
        (SECOND, better, ("Selam_Tesfay", "Amal"))]
    catalog = cs.read_catalog(cs.po_path(locales, "ti"), "ti")
    for msgid in (FIRST, SECOND):
        message = catalog.get(msgid)
        assert message is not None and not message.fuzzy
        assert cs.status_of(message) is cs.Status.REVIEWED
        assert message.user_comments[-2:] == [
            f"reviewed-by: Selam_Tesfay {clock.now.date().isoformat()}",
            f"reviewed-by: Amal {clock.now.date().isoformat()}"]
    assert catalog.get(SECOND).string == better
    assert all(v.applied_at is not None for v in await votes(db))
    again = await write_accepted(db, locales, clock)  # nothing is written twice
    assert again.applied == () and again.written == ()


async def test_a_language_lead_alone_makes_a_text_reviewed(
        desk: Desk, db: Database, clock: FixedClock, tmp_path: Path) -> None:
    await coordinator(db, COORDINATOR)
    await sleutelpersoon(db, SELAM, "Selam", {"ti", "nl"})
    overview = await desk.command(COORDINATOR, "leads")
    assert "Nobody leads a language yet." in text_of(overview)
    appoint = data_of(overview, "l:on-ti:")
    assert [b.label for r in overview.replies for row in r.keyboard for b in row] == [
        "⭐ Selam: lead for Tigrinya", "⭐ Selam: lead for Dutch"]
    done = await desk.button(COORDINATOR, appoint)
    assert "Done: Selam is now a language lead for Tigrinya." in text_of(done)
    assert "• Selam: lead for Tigrinya" in text_of(done)
    assert data_of(done, "l:off-ti:")
    async with db.uow() as uow:
        assert [(x.telegram_id, x.language, x.appointed_by) for x in
                await uow.reviews.leads()] == [(SELAM.telegram_id, "ti", COORDINATOR.telegram_id)]
        told = [e for e in await uow.audit.of(COORDINATOR.telegram_id)
                if e.action is audit.Act.LANGUAGE_LEAD]
        assert [(e.allowed, e.municipality) for e in told] == [(True, "leiden")]
    async with db.uow() as uow:
        due = await uow.outbox.claim_due(clock.now + timedelta(days=1), 10)
    assert any("language lead for Tigrinya" in d.message.text for d in due)

    await desk.command(SELAM, "review")  # Tigrinya or Dutch?
    shown = await desk.button(SELAM, "q:lang:ti")
    await desk.button(SELAM, data_of(shown, "q:ok:"))
    [vote] = await votes(db)
    assert vote.by_lead
    result = await write_accepted(db, locales_copy(tmp_path), clock)
    assert [(a.msgid, a.reviewers) for a in result.applied] == [(FIRST, ("Selam",))]

    # A coordinator of another municipality cannot end it; ending the role ends the lead
    await coordinator(db, DELFT, "delft")
    refused = await desk.button(DELFT, data_of(done, "l:off-ti:"))
    assert text_of(refused) == ("You are not a coordinator for this municipality. Nothing "
                                "was changed.")
    [entry] = await refusals(db, DELFT, audit.Act.LANGUAGE_LEAD)
    assert entry.reason is audit.Reason.OTHER_MUNICIPALITY and entry.municipality == "leiden"
    roles = await desk.command(COORDINATOR, "roles")
    [end] = [b.data for r in roles.replies for row in r.keyboard for b in row
             if b.data.startswith("c:rv:") and b.data.endswith(f"-{SELAM.telegram_id}")]
    confirm = await desk.button(COORDINATOR, end)
    await desk.button(COORDINATOR, data_of(confirm, "c:rvy:"))
    async with db.uow() as uow:
        assert await uow.reviews.leads() == []


async def test_leads_refuse_who_may_not_and_what_does_not_fit(
        desk: Desk, db: Database, catalogs: BabelCatalogs) -> None:
    await coordinator(db, COORDINATOR)
    await sleutelpersoon(db, NOOR, "Noor", {"ar"})
    overview = await desk.command(COORDINATOR, "leads")
    role_ref = data_of(overview, "l:on-ar:").split(":")[2]
    refused = await desk.button(COORDINATOR, f"l:on-ti:{role_ref}")
    assert text_of(refused) == "Only sleutelpersonen who speak Tigrinya can lead it."
    forged = await desk.button(COORDINATOR, "l:on-xx:1-2")
    assert text_of(forged) == "I do not recognise this button."
    gone = await desk.button(COORDINATOR, f"l:on-ar:{role_ref.split('-')[0]}-999")
    assert "no longer exists" in text_of(gone)
    reasons = [e.reason for e in await refusals(db, COORDINATOR, audit.Act.LANGUAGE_LEAD)]
    assert reasons == [audit.Reason.NOT_ELIGIBLE, audit.Reason.FORGED,
                       audit.Reason.UNKNOWN_TARGET]
    newcomer = await desk.command(NEWCOMER, "leads")
    assert text_of(newcomer) == "Only coordinators can do this. Nothing was changed."
    by_noor = await desk.button(NOOR, f"l:on-ar:{role_ref}")
    assert text_of(by_noor) == tr(catalogs, "ar", "Only coordinators can do this. Nothing "
                                                  "was changed.")
    async with db.uow() as uow:
        assert await uow.reviews.leads() == []


async def test_forged_stale_and_foreign_review_buttons_are_refused_and_audited(
        desk: Desk, db: Database, catalogs: BabelCatalogs) -> None:
    await sleutelpersoon(db, SELAM, "Selam", {"ti"})
    await sleutelpersoon(db, NOOR, "Noor", {"ar"})
    shown = await desk.command(SELAM, "review")
    ok = data_of(shown, "q:ok:")
    await desk.button(SELAM, ok)
    replayed = await desk.button(SELAM, ok)
    assert text_of(replayed).startswith("You have already reviewed this text.")
    assert "<blockquote>" in text_of(replayed)  # and the next text to review
    _language, key, _text = ok.split(":")[2].split("-")
    other = await desk.command(SELAM, "review")
    changed = f"q:ok:ti-{shown_key(other)}-00000000"  # not the text it shows
    assert text_of(await desk.button(SELAM, changed)).startswith(
        "This button is from an older message.")
    for forged in ("q:ok:ti-zzzzzzzzzzzz-00000000", "q:ok:xx-" + key + "-00000000",
                   "q:nope:ti", "q:skip:ti", "q:lang:ti-" + key):
        assert text_of(await desk.button(SELAM, forged)) == "I do not recognise this button."
    by_noor = await desk.button(NOOR, ok)
    assert text_of(by_noor) == tr(catalogs, "ar", "Only sleutelpersonen who speak {language} "
                                                  "can review these texts.").format(
        language=language_name("ti", "ar"))
    by_newcomer = await desk.button(NEWCOMER, ok)
    assert text_of(by_newcomer) == "Only sleutelpersonen can do this. Nothing was changed."
    reasons = [e.reason for e in await refusals(db, SELAM, audit.Act.CATALOG_REVIEW)]
    assert reasons == [audit.Reason.STALE, audit.Reason.STALE] + [audit.Reason.FORGED] * 5
    assert [e.reason for e in await refusals(db, NOOR, audit.Act.CATALOG_REVIEW)] == \
        [audit.Reason.NOT_ELIGIBLE]
    assert len(await votes(db)) == 1


async def test_text_written_while_a_text_is_shown_is_not_taken_for_a_review(
        desk: Desk, db: Database) -> None:
    await sleutelpersoon(db, SELAM, "Selam", {"ti"})
    shown = await desk.command(SELAM, "review")
    await desk.text(SELAM, "huurtoeslag")  # not after ✏️: not a better text
    assert await votes(db) == []
    still = await desk.button(SELAM, data_of(shown, "q:ok:"))  # the screen still works
    assert "Reviewed now: 1" in text_of(still)
    assert len(await votes(db)) == 1


async def test_delete_keeps_the_votes_without_the_person(
        desk: Desk, db: Database, clock: FixedClock, tmp_path: Path) -> None:
    await sleutelpersoon(db, SELAM, "Selam", {"ti"})
    await sleutelpersoon(db, AMAL, "Amal", {"ti"})
    shown = await desk.command(SELAM, "review")
    skipped = await desk.button(SELAM, data_of(shown, "q:ok:"))
    await desk.button(SELAM, data_of(skipped, "q:skip:"))
    mydata = await desk.command(SELAM, "mydata")
    [document] = [r.document for r in mydata.replies if r.document]
    assert b'"translation_reviews"' in document.content and FIRST.encode() in document.content

    await desk.command(SELAM, "delete")
    await desk.button(SELAM, "d:yes")
    [left] = await votes(db)
    assert left.reviewer is None and left.msgid == FIRST  # the skip went with them
    amal = await desk.command(AMAL, "review")
    await desk.button(AMAL, data_of(amal, "q:ok:"))
    result = await write_accepted(db, locales_copy(tmp_path), clock)
    [written] = result.applied
    unnamed, named = written.reviewers
    assert unnamed.startswith("reviewer-") and named == "Amal"


async def test_where_a_text_appears_is_said_in_plain_words(
        chat: ChatService, knowledge: Knowledge, store: MemoryStore) -> None:
    """From the entry's context (flows and knowledge), else the file in the code."""
    desk = Desk(chat, knowledge)
    async with store() as uow:
        person = await uow.people.add(1, 1, datetime.now(UTC))
        turn = Turn(uow, chat.turns.catalogs, Caller(1, 1, "en"), person, None,
                    datetime.now(UTC), datetime.now(UTC).date())
    entries = await desk.review.catalog("ti")
    by_context = {e.context: e for e in entries.values()}
    title = desk.chat.topics.title(turn, desk.chat.topics.flows["begeleiding"])
    expected = {
        "flow begeleiding: title": f"Topic “{title}”: its title",
        "flow begeleiding: summary": f"Topic “{title}”: its short description",
        "flow begeleiding, step intro": f"Topic “{title}”, step “intro”",
        "flow begeleiding, step status, button yes":
            f"Topic “{title}”, step “status”: the button “yes”",
        "flow begeleiding, step find, link": f"Topic “{title}”, step “find”: the label of "
                                             "a link",
        "haarlem: flow begeleiding, step find": f"Topic “{title}”, step “find”, only in "
                                                "Haarlem",
        "glossary beschikking": "Explained word: beschikking",
        "calendar insurance-new-year": "Calendar: insurance-new-year",
    }
    for context, said in expected.items():
        assert desk.review.place(turn, by_context[context]) == said, context
    organisation = desk.review.place(turn, by_context["organisation dft-koffienl"])
    assert organisation.startswith("Organisation: ") and "dft-koffienl" not in organisation
    first = next(iter(entries.values()))
    assert desk.review.place(turn, first) == \
        f"The bot's own words, in {first.locations[0]}"


async def test_votes_go_two_years_after_they_were_cast(db: Database, clock: FixedClock) -> None:
    async with db.uow() as uow:
        for who, days in ((1, 800), (2, 10)):
            await uow.reviews.add(cr.Vote("ti", cr.entry_key("", FIRST), "", FIRST, who,
                                          cr.Verdict.CORRECT, "ጽሑፍ",
                                          clock.now - timedelta(days=days)))
        assert await uow.reviews.purge(clock.now - cr.RETENTION) == 1
        await uow.commit()
    assert [v.reviewer for v in await votes(db)] == [2]
