"""Explainer flows in ChatService: navigation, Back, facts, overrides, glossary words."""

from __future__ import annotations

import html

from memory_store import MemoryStore

from bot.content import contexts
from bot.content.catalogs import BabelCatalogs
from bot.content.knowledge import Knowledge
from bot.content.schema import Category, Flow
from bot.domain.bidi import strip_controls
from bot.domain.incoming import Caller
from bot.domain.replies import Outcome, escape
from bot.services.chat import ChatService

ME = Caller(telegram_id=51, chat_id=51, language_code="en")


def data_of(outcome: Outcome) -> list[str]:
    return [b.data for r in outcome.replies for row in r.keyboard for b in row if b.data]


def texts(outcome: Outcome) -> str:
    return strip_controls("\n".join(r.text for r in outcome.replies))


async def onboard(chat: ChatService, municipality: str = "leiden", lang: str = "en") -> None:
    await chat.command(ME, "start")
    for answer in (f"o:lang:{lang}", "o:consent:yes", f"o:muni:{municipality}", "o:beg:ended"):
        await chat.button(ME, answer)


async def test_menu_lists_topics_and_emergency(chat: ChatService) -> None:
    await onboard(chat)
    menu = await chat.command(ME, "menu")
    assert data_of(menu)[:2] == ["m:topics", "m:emergency"]
    emergency = await chat.button(ME, "m:emergency")  # one tap from the main menu
    assert "112" in texts(emergency) and "huisartsenpost" in texts(emergency)
    topics = await chat.button(ME, "m:topics")
    assert len([d for d in data_of(topics) if d.startswith("t:")]) == 20


async def test_crisis_lines_are_two_taps_from_the_main_menu(
        chat: ChatService, flows: dict[str, Flow], catalogs: BabelCatalogs) -> None:
    await onboard(chat, lang="ar")
    await chat.command(ME, "menu")
    emergency = await chat.button(ME, "m:emergency")
    assert "t:gp-and-emergency:crisis" in data_of(emergency)
    lines = texts(await chat.button(ME, "t:gp-and-emergency:crisis"))
    for number in ("112", "113", "0800-2000", "0900-0101"):
        assert number in lines, number
    for name in ("Veilig Thuis", "Slachtofferhulp", "Kindertelefoon"):
        assert name in lines, name
    step = flows["gp-and-emergency"].steps["crisis"]
    arabic = catalogs.translator("ar").pgettext(contexts.step_text("gp-and-emergency", "crisis"),
                                                step.text or "")
    assert arabic != step.text and strip_controls(arabic).split("\n")[0] in lines


async def test_next_back_and_position_survive_in_the_database(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat)
    start = await chat.button(ME, "t:digid")
    assert "t:digid:have-it" in data_of(start) and "b:back" in data_of(start)
    question = await chat.button(ME, "t:digid:have-it")
    assert "b:back" in data_of(question)
    [conversation] = store.state.conversations.values()
    assert (conversation.flow, conversation.step) == ("topic:digid", "have-it")
    back = await chat.button(ME, "b:back")
    assert texts(back) == texts(start)
    again = await chat.text(ME, "zzz")  # text inside a topic is a new question, not an error
    assert again.notice is None and "t:digid" in data_of(again)
    assert (conversation.flow, conversation.step) == ("topic:digid", "have-it")


async def test_forged_topic_buttons_change_nothing(chat: ChatService) -> None:
    await onboard(chat)
    here = await chat.button(ME, "t:digid")
    for forged in ("t:nope", "t:digid:nope", "b:forward", "t:digid:have-it:x"):
        outcome = await chat.button(ME, forged)
        assert outcome.notice == "I do not recognise this button.", forged
        assert texts(outcome).endswith(texts(here)), forged  # the same step again


async def test_amounts_come_from_the_facts_file_with_their_year(chat: ChatService) -> None:
    await onboard(chat)
    await chat.button(ME, "t:toeslagen")
    await chat.button(ME, "t:toeslagen:huur")
    shown = await chat.button(ME, "t:toeslagen:huur-rules")  # Next
    assert "per month (in 2026)" in texts(shown) and "{fact:" not in texts(shown)


async def test_a_municipality_override_replaces_the_step_text(chat: ChatService) -> None:
    await onboard(chat, municipality="haarlem")
    await chat.button(ME, "t:begeleiding")
    haarlem = await chat.button(ME, "t:begeleiding:how-long")
    assert "12 months" in texts(haarlem) and "Elsewhere" not in texts(haarlem)


async def test_organisations_are_local_then_national(
        chat: ChatService, knowledge: Knowledge) -> None:
    await onboard(chat, municipality="leidschendam-voorburg")
    await chat.button(ME, "t:begeleiding")
    shown = texts(await chat.button(ME, "t:begeleiding:help-beg"))
    local = [o.name for o in knowledge.local["leidschendam-voorburg"]
             if Category.BEGELEIDING in o.categories]
    national = [o.name for o in knowledge.national if Category.BEGELEIDING in o.categories]
    assert local and national
    places = [shown.find(f"• <b>{html.escape(name)}</b>") for name in [*local, *national]]
    assert -1 not in places and places == sorted(places), places


async def test_dutch_words_are_explained_in_any_message(
        chat: ChatService, catalogs: BabelCatalogs, knowledge: Knowledge) -> None:
    await onboard(chat)
    english = await chat.text(ME, "what is aanmaning?")
    assert texts(english).startswith("📖 <b>aanmaning</b>\nA formal demand to pay")
    await chat.command(ME, "language")
    await chat.button(ME, "s:lang:ar")
    arabic = await chat.text(ME, "ما معنى beschikking")
    term = knowledge.term_by_word("beschikking")
    assert term is not None
    in_arabic = catalogs.translator("ar").pgettext(contexts.glossary(term.term), term.explanation)
    assert in_arabic != term.explanation
    assert texts(arabic).startswith(f"📖 <b>beschikking</b>\n{escape(in_arabic)}")
    word = await chat.command(ME, "word", "eigen risico")
    assert texts(word).startswith("📖 <b>eigen risico</b>\n")
    unknown = await chat.command(ME, "word", "blabla")
    assert "blabla" in texts(unknown) and "📖" not in texts(unknown)


async def test_back_after_a_jump_to_another_topic_returns_to_the_question(
        chat: ChatService) -> None:
    await onboard(chat)
    await chat.button(ME, "t:digid")
    await chat.button(ME, "t:digid:have-it")
    question = await chat.button(ME, "t:digid:address")
    jumped = await chat.button(ME, "t:digid:register-first")  # a goto: registration-bsn
    assert "BRP" in texts(jumped) and "t:registration-bsn:situation" in data_of(jumped)
    back = await chat.button(ME, "b:back")
    assert texts(back) == texts(question)  # not the jump again
    assert "t:digid:register-first" in data_of(back)


async def test_back_on_the_first_step_goes_to_the_topic_list(chat: ChatService) -> None:
    await onboard(chat)
    start = await chat.button(ME, "t:debts")
    assert "b:back" in data_of(start)
    back = await chat.button(ME, "b:back")
    assert "t:debts" in data_of(back) and "t:digid" in data_of(back)


async def test_a_question_by_municipality_is_answered_from_the_profile(
        chat: ChatService, store: MemoryStore) -> None:
    await onboard(chat, municipality="haarlem")
    await chat.button(ME, "t:municipal-taxes")
    flow = chat.topics.flows["municipal-taxes"]
    where = next(s for s, step in flow.steps.items() if step.by_municipality)
    haarlem = next(o.next for o in flow.steps[where].options if o.id == "haarlem")
    shown = await chat.button(ME, f"t:municipal-taxes:{where}")  # "Next" after the intro
    assert texts(shown) == (flow.steps[haarlem].text or "").strip()  # not the question
    assert "Cocensus" in texts(shown)
    [conversation] = store.state.conversations.values()
    assert (conversation.flow, conversation.step) == ("topic:municipal-taxes", haarlem)


async def test_text_without_a_match_keeps_the_place_in_a_topic(chat: ChatService) -> None:
    await onboard(chat)
    start = await chat.button(ME, "t:digid")
    await chat.button(ME, "t:digid:have-it")
    nothing = await chat.text(ME, "qwxz")
    assert "t:digid" in data_of(nothing)  # the topic list, to choose from
    back = await chat.button(ME, "b:back")  # the Back button still on screen
    assert back.notice is None and texts(back) == texts(start)  # one step before the question


async def test_a_word_explanation_does_not_repeat_its_topic_as_a_button(
        chat: ChatService, knowledge: Knowledge) -> None:
    await onboard(chat)
    term = knowledge.term_by_word("aanmaning")
    assert term is not None and term.flow
    outcome = await chat.text(ME, "aanmaning")
    topics = [d for d in data_of(outcome) if d.startswith("t:")]
    assert topics.count(f"t:{term.flow}") == 1  # on the explanation, not again among hits
    assert len(topics) > 1 and len(topics) == len(set(topics))
    lookup = await chat.command(ME, "word", "leges")
    assert texts(lookup).startswith("📖 <b>leges</b>") and "m:menu" in data_of(lookup)
