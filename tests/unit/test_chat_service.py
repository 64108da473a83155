"""ChatService end to end over the in-memory store: onboarding, settings, privacy, bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest
from memory_store import MemoryStore

from bot.content.catalogs import BabelCatalogs
from bot.domain.bidi import FSI, strip_controls
from bot.domain.incoming import Caller
from bot.domain.person import Begeleiding, Role, RoleGrant
from bot.domain.replies import Outcome
from bot.services import menu
from bot.services.chat import ChatService

ME = Caller(telegram_id=42, chat_id=42, language_code="en-US")


def data_of(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row]


def texts(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.replies)


async def onboard(chat: ChatService, caller: Caller = ME, lang: str = "en") -> Outcome:
    await chat.command(caller, "start")
    await chat.button(caller, f"o:lang:{lang}")
    await chat.button(caller, "o:consent:yes")
    await chat.button(caller, "o:muni:leiden")
    await chat.button(caller, "o:beg:running")
    await chat.button(caller, "o:year:2027")
    return await chat.button(caller, "o:month:3")


async def test_start_shows_the_picker_with_the_telegram_language_preselected(
        chat: ChatService, catalogs: BabelCatalogs) -> None:
    outcome = await chat.command(Caller(7, 7, "ar-SY"), "start")
    [reply] = outcome.replies
    labels = [strip_controls(b.label) for row in reply.keyboard for b in row]
    assert any(label.startswith("✓") and "العربية" in label for label in labels)
    assert sum(label.startswith("✓") for label in labels) == 1
    assert data_of(outcome) == ["o:lang:ar", "o:lang:ti", "o:lang:en", "o:lang:nl"]
    # The prompt is written in all four languages, the likely one first.
    lines = strip_controls(reply.text).splitlines()
    assert lines[0] == catalogs.translator("ar").gettext("Choose your language.")
    assert len(lines) == 4


async def test_full_onboarding_stores_the_answers_and_ends_on_the_menu(
        chat: ChatService, store: MemoryStore) -> None:
    final = await onboard(chat)
    assert data_of(final) == ["m:topics", "m:emergency", "m:person", "m:events",
        "m:directory", "m:settings", "m:privacy", "m:help"]
    [person] = store.state.people.values()
    assert person.language == "en" and person.municipality == "leiden"
    assert person.begeleiding == Begeleiding.RUNNING
    assert person.begeleiding_end == date(2027, 3, 1)
    assert person.consented_at is not None and person.onboarded
    assert store.state.conversations == {}


async def test_consent_screen_explains_what_is_stored_and_how_to_delete(
        chat: ChatService) -> None:
    await chat.command(ME, "start")
    outcome = await chat.button(ME, "o:lang:en")
    text = texts(outcome)
    assert "not the municipality" in text and "not the IND" in text
    assert "/delete" in text and "/mydata" in text
    assert data_of(outcome) == ["o:consent:yes", "o:consent:no"]


async def test_declining_consent_keeps_nothing(chat: ChatService, store: MemoryStore) -> None:
    await chat.command(ME, "start")
    await chat.button(ME, "o:lang:nl")
    outcome = await chat.button(ME, "o:consent:no")
    assert "/start" in texts(outcome)
    assert store.state.people == {} and store.state.conversations == {}


async def test_onboarding_resumes_where_the_person_was(chat: ChatService) -> None:
    await chat.command(ME, "start")
    await chat.button(ME, "o:lang:en")
    await chat.button(ME, "o:consent:yes")
    outcome = await chat.command(ME, "start")  # e.g. after a restart
    assert "o:muni:leiden" in data_of(outcome)


async def test_menu_before_onboarding_continues_onboarding(chat: ChatService) -> None:
    await chat.command(ME, "start")
    outcome = await chat.command(ME, "menu")
    assert "o:lang:ar" in data_of(outcome)
    assert "finish a few questions" in texts(outcome)


async def test_begeleiding_ended_skips_the_end_date(chat: ChatService,
                                                    store: MemoryStore) -> None:
    await chat.command(ME, "start")
    for data in ("o:lang:en", "o:consent:yes", "o:muni:other"):
        await chat.button(ME, data)
    outcome = await chat.button(ME, "o:beg:ended")
    assert "m:settings" in data_of(outcome)
    [person] = store.state.people.values()
    assert person.municipality == "other" and person.begeleiding_end is None


async def test_year_buttons_offer_no_past_and_months_skip_past_months(
        chat: ChatService) -> None:
    await chat.command(ME, "start")
    for data in ("o:lang:en", "o:consent:yes", "o:muni:delft"):
        await chat.button(ME, data)
    years = await chat.button(ME, "o:beg:running")
    assert data_of(years) == ["o:year:2026", "o:year:2027", "o:year:2028", "o:year:unknown"]
    months = await chat.button(ME, "o:year:2026")
    assert data_of(months) == ["o:month:11", "o:month:12", "o:month:unknown"]
    assert [b.label for r in months.replies for row in r.keyboard for b in row][:2] == \
        ["November", "December"]


async def test_arabic_month_buttons_name_both_forms_people_know(chat: ChatService) -> None:
    other = Caller(44, 44, "ar")
    await chat.command(other, "start")
    for data in ("o:lang:ar", "o:consent:yes", "o:muni:delft", "o:beg:running"):
        await chat.button(other, data)
    months = await chat.button(other, "o:year:2027")
    labels = [b.label for r in months.replies for row in r.keyboard for b in row]
    assert labels[:3] == ["يناير/كانون الثاني", "فبراير/شباط", "مارس/آذار"]
    assert len(months.replies[-1].keyboard[0]) == 2  # two long names to a row


async def test_a_stale_button_gets_a_polite_answer_and_the_current_step(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    outcome = await chat.button(ME, "o:muni:delft")  # from the old onboarding message
    assert outcome.notice == "This button is from an older message."
    assert "m:settings" in data_of(outcome)
    [person] = store.state.people.values()
    assert person.municipality == "leiden"


async def test_forged_callback_data_changes_nothing(chat: ChatService,
                                                     store: MemoryStore) -> None:
    await onboard(chat)
    before = dict(store.state.people)
    for forged in ("", "x" * 80, "o:muni:amsterdam", "zz:yy", "d:maybe", "o:lang:<b>",
                   "s:open:../../etc", "m:admin", "o:month:13"):
        outcome = await chat.button(ME, forged)
        assert outcome.notice and outcome.replies, forged
    assert [p.municipality for p in store.state.people.values()] == \
        [p.municipality for p in before.values()]


async def test_an_old_delete_confirmation_button_does_not_delete(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    outcome = await chat.button(ME, "d:yes")  # no confirmation was asked
    assert outcome.notice == "This button is from an older message."
    assert len(store.state.people) == 1


async def test_delete_after_confirmation_removes_person_and_roles(
        chat: ChatService, store: MemoryStore, clock) -> None:  # type: ignore[no-untyped-def]
    await onboard(chat)
    store.state.roles.append(RoleGrant(ME.telegram_id, Role.SLEUTELPERSOON, "leiden", clock.now))
    store.state.roles.append(RoleGrant(99, Role.COORDINATOR, "leiden", clock.now))
    outcome = await chat.command(ME, "delete")
    assert data_of(outcome) == ["d:yes", "d:no"]
    await chat.button(ME, "d:yes")
    assert store.state.people == {} and store.state.conversations == {}
    assert [r.telegram_id for r in store.state.roles] == [99]


async def test_delete_can_be_cancelled(chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    await chat.command(ME, "delete")
    outcome = await chat.button(ME, "d:no")
    assert "Nothing was deleted" in texts(outcome)
    assert len(store.state.people) == 1


async def test_mydata_sends_everything_as_json(chat: ChatService) -> None:
    await onboard(chat)
    outcome = await chat.command(ME, "mydata")
    [reply] = outcome.replies
    assert reply.document is not None and reply.document.filename.endswith(".json")
    data = json.loads(reply.document.content)
    assert data["person"]["telegram_id"] == 42
    assert data["person"]["municipality"] == "leiden"
    assert data["person"]["begeleiding_end"] == "2027-03-01"


async def test_stop_and_resume(chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    await chat.command(ME, "stop")
    assert next(iter(store.state.people.values())).paused
    await chat.command(ME, "resume")
    assert not next(iter(store.state.people.values())).paused


async def test_settings_change_municipality(chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    summary = await chat.command(ME, "settings")
    assert "s:open:muni" in data_of(summary) and "Leiden" in texts(summary)
    question = await chat.button(ME, "s:open:muni")
    assert "s:muni:haarlem" in data_of(question)
    saved = await chat.button(ME, "s:muni:haarlem")
    assert "Haarlem" in texts(saved) and "Saved." in texts(saved)
    assert next(iter(store.state.people.values())).municipality == "haarlem"


async def test_language_change_answers_in_the_new_language(chat: ChatService) -> None:
    await onboard(chat)
    await chat.command(ME, "language")
    outcome = await chat.button(ME, "s:lang:nl")
    assert "Opgeslagen." in texts(outcome) and "Gemeente: Leiden" in texts(outcome)


async def test_arabic_text_isolates_latin_runs(chat: ChatService) -> None:
    await onboard(chat, lang="ar")
    outcome = await chat.command(ME, "settings")
    text = texts(outcome)
    assert f"{FSI}Leiden" in text
    assert all(FSI in b.label for r in outcome.replies for row in r.keyboard for b in row
               if any(c.isascii() and c.isalpha() for c in b.label))


async def test_text_and_stickers_get_an_answer_in_the_persons_language(
        chat: ChatService) -> None:
    await onboard(chat, lang="nl")
    for outcome in (await chat.text(ME, "hallo?"), await chat.unsupported(ME),
                    await chat.command(ME, "doesnotexist")):
        assert outcome.replies and {"m:menu", "m:topics"} & set(data_of(outcome))
        assert "Sorry, I did not" not in texts(outcome)
        assert "I could not find" not in texts(outcome)


async def test_text_during_onboarding_repeats_the_question(chat: ChatService) -> None:
    await chat.command(ME, "start")
    await chat.button(ME, "o:lang:en")
    outcome = await chat.text(ME, "x" * 5000)
    assert "Please choose one of the buttons." in texts(outcome)
    assert data_of(outcome) == ["o:consent:yes", "o:consent:no"]


async def test_writing_again_makes_an_unreachable_person_reachable(
        chat: ChatService, store: MemoryStore, clock) -> None:  # type: ignore[no-untyped-def]
    await onboard(chat)
    person = next(iter(store.state.people.values()))
    person.unreachable_since = clock.now
    await chat.text(ME, "hello")
    assert next(iter(store.state.people.values())).unreachable_since is None


async def test_failure_message_is_in_the_persons_language_without_the_database(
        chat: ChatService, store: MemoryStore, catalogs: BabelCatalogs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    await onboard(chat, lang="nl")

    def broken(self: MemoryStore) -> None:
        raise AssertionError("the failure reply must not wait for the database")

    monkeypatch.setattr(MemoryStore, "__call__", broken)
    expected = menu.something_went_wrong(catalogs.translator("nl"))
    assert texts(chat.failure(ME)) == expected != menu.something_went_wrong(
        catalogs.translator("en"))
    stranger = Caller(telegram_id=7, chat_id=7, language_code="ar")  # never seen: their app's
    assert strip_controls(texts(chat.slow_down(stranger))) == strip_controls(
        menu.slow_down(catalogs.translator("ar")))


async def test_text_between_year_and_month_keeps_the_chosen_year(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    await chat.button(ME, "s:open:beg")
    await chat.button(ME, "s:beg:running")
    await chat.button(ME, "s:year:2028")
    again = await chat.text(ME, "what?")
    assert "2028" in texts(again) and "s:month:1" in data_of(again)
    await chat.button(ME, "s:month:5")
    assert next(iter(store.state.people.values())).begeleiding_end == date(2028, 5, 1)


async def test_picking_tigrinya_says_once_that_its_texts_are_drafts(
        chat: ChatService, catalogs: BabelCatalogs) -> None:
    # Every Tigrinya text is a draft until a native speaker reviews it: "the texts", not "some".
    assert catalogs.all_drafts("ti") and not catalogs.has_drafts("ar")
    notice = catalogs.translator("ti").gettext(
        "The texts in this language are drafts that a native speaker has not checked yet; "
        "in the topics they are marked ✎. If something is unclear, you can switch to "
        "another language with /language.")
    await chat.command(ME, "start")
    picked = await chat.button(ME, "o:lang:ti")
    ask = catalogs.translator("ti").gettext("Or ask a person who speaks your language: /person")
    assert strip_controls(picked.replies[0].text) == f"{notice}\n\n{ask}"
    assert not picked.replies[0].keyboard  # no municipality yet: nobody to ask, words only
    assert data_of(picked) == ["o:consent:yes", "o:consent:no"]
    agreed = await chat.button(ME, "o:consent:yes")
    assert notice not in texts(agreed)
    other = Caller(43, 43, "ar")
    await chat.command(other, "start")
    arabic = await chat.button(other, "o:lang:ar")
    assert len(arabic.replies) == 1


async def test_cancelling_delete_closes_the_question(chat: ChatService,
                                                     store: MemoryStore) -> None:
    await onboard(chat)
    await chat.command(ME, "delete")
    await chat.button(ME, "d:no")
    assert store.state.conversations == {}
    after = await chat.text(ME, "hi")
    assert "d:yes" not in data_of(after)
    late = await chat.button(ME, "d:yes")  # the old confirmation button
    assert late.notice == "This button is from an older message."
    assert len(store.state.people) == 1


async def test_language_change_during_onboarding_skips_what_is_answered(
        chat: ChatService, store: MemoryStore) -> None:
    await chat.command(ME, "start")
    await chat.button(ME, "o:lang:en")
    await chat.button(ME, "o:consent:yes")
    consented = next(iter(store.state.people.values())).consented_at
    picker = await chat.command(ME, "language")
    assert "o:lang:nl" in data_of(picker)
    where = await chat.button(ME, "o:lang:nl")
    assert "o:muni:leiden" in data_of(where)  # not the consent question again
    assert next(iter(store.state.people.values())).consented_at == consented


async def test_start_at_the_year_question_resumes_it(chat: ChatService,
                                                     store: MemoryStore) -> None:
    await chat.command(ME, "start")
    for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:running"):
        await chat.button(ME, answer)
    again = await chat.command(ME, "start")
    assert "o:year:2027" in data_of(again)
    assert not next(iter(store.state.people.values())).onboarded


async def test_abandoning_a_settings_change_keeps_the_stored_end_date(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    await chat.button(ME, "s:open:beg")
    await chat.button(ME, "s:beg:running")
    await chat.command(ME, "menu")
    person = next(iter(store.state.people.values()))
    assert person.begeleiding_end == date(2027, 3, 1)


async def test_a_month_that_has_passed_is_refused_after_new_year(
        chat: ChatService, store: MemoryStore, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    clock.now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    await chat.command(ME, "start")
    for answer in ("o:lang:en", "o:consent:yes", "o:muni:leiden", "o:beg:running"):
        await chat.button(ME, answer)
    await chat.button(ME, "o:year:2026")
    clock.now = datetime(2027, 1, 2, 12, 0, tzinfo=UTC)
    outcome = await chat.button(ME, "o:month:12")
    assert outcome.notice == "This button is from an older message."
    assert next(iter(store.state.people.values())).begeleiding_end is None


async def test_privacy_commands_during_onboarding_keep_the_question_in_view(
        chat: ChatService) -> None:
    await chat.command(ME, "start")
    await chat.button(ME, "o:lang:en")
    for command in ("stop", "resume", "mydata", "help"):
        outcome = await chat.command(ME, command)
        assert data_of(outcome)[-2:] == ["o:consent:yes", "o:consent:no"], command


async def test_several_messages_in_another_language_ask_once_whether_to_switch(
        chat: ChatService, store: MemoryStore) -> None:
    arabic = Caller(telegram_id=43, chat_id=43, language_code="ar")
    await onboard(chat, arabic, "ar")
    # A quoted Dutch letter and two English questions: no single message switches anything.
    for said in ("Ik heb een brief van de Belastingdienst gekregen",
                 "I got a letter from the tax office",
                 "Where can I find a doctor?"):
        outcome = await chat.text(arabic, said)
        assert not any(d.startswith("s:open:switch") for d in data_of(outcome))
    third = await chat.text(arabic, "How do I apply for health care allowance?")
    assert data_of(third)[-2:] == ["s:open:switch-en", "s:open:switch-keep"]
    question = strip_controls(third.replies[-1].text)
    assert question.startswith("You have written to me in English a few times.")
    assert "الإنجليزية" in question.split("\n\n")[1]  # then in Arabic, in its words
    # Never asked again about English, whatever they answer.
    kept = await chat.button(arabic, "s:open:switch-keep")
    assert "العربية" in strip_controls(texts(kept))
    for said in ("Thank you very much for the help", "I will call them tomorrow morning",
                 "Can you explain this letter to me?"):
        outcome = await chat.text(arabic, said)
        assert not any(d.startswith("s:open:switch") for d in data_of(outcome))


async def test_the_switch_button_changes_the_language(chat: ChatService) -> None:
    dutch = Caller(telegram_id=44, chat_id=44, language_code="nl")
    await onboard(chat, dutch, "nl")
    for said in ("I have a question about my rent", "My landlord sent me a letter today",
                 "What should I do with this letter?"):
        outcome = await chat.text(dutch, said)
    assert "s:open:switch-en" in data_of(outcome)
    switched = await chat.button(dutch, "s:open:switch-en")
    assert "Saved." in texts(switched)
    forged = await chat.button(dutch, "s:open:switch-xx")
    assert "I do not recognise this button." in texts(forged)
