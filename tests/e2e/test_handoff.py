"""The human handoff over real aiogram and HTTP: a newcomer asks for a person, sleutelpersonen
of their municipality who speak their language are asked to take it, one claims it, and the
bot relays messages both ways with copyMessage (text, voice notes, photos, documents,
stickers, videos), keeping reply-to links in both chats; the sleutelpersoon closes it and the
newcomer rates the answer.

Also: forged and replayed buttons are refused and audited, /delete during a conversation
ends it neutrally and leaves no trace, an emergency is answered with 112 first, and a relay
committed before a crash is copied exactly once after the restart.

Texts may still be English in ti/ar/nl while the catalogs are filled: compare with tr().
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.bot_api import MEDIA_KINDS, FakeBotAPI, RecordedCall
from harness import Person, RunningBot
from sqlalchemy import text as sql_text
from test_invitations import LINK, operator
from test_resilience import eventually, quick_onboard
from texts import data, seen, tr

from bot.domain import handoff as h
from bot.services import relay_copy
from bot.services.relay import CLAIMED
from bot.storage.database import Database

# Texts of the handoff, as the code says them (translated with tr()).
WAITING = ("⏳ Your question is waiting. A person who speaks {language} will answer; "
           "usually within a day. You will get a message here. You can add more messages.")
WRITE = ("Write your question in one message. You can also send a voice note, or a photo "
         "of a letter.")
CARD = "🙋 <b>A newcomer asks for a person</b>"
YOURS = "✅ <b>You answer this question</b>"
TAKEN = "Someone else already took this question, or the newcomer cancelled it. Thank you!"
RETIRED = "✅ Another sleutelpersoon has taken this question. Thank you!"
PRIVACY = ("🔒 Letters and documents hold personal data, such as your name, address and BSN. "
           "Only the sleutelpersoon who takes your question will see this. You may cover "
           "numbers you do not want to share. Pass it on?")
CLOSE_HOW = "Close the conversation with Newcomer {name}? How did it end?"
CLOSED = "Closed. Thank you for helping Newcomer {name}!"
DID_IT_HELP = "{name} closed the conversation. Did this help you?"
COMMENT = ("Thank you! If you like, write a short comment now (it helps us improve). Or go "
           "on with the menu.")
ENDED = "Newcomer {name} ended the conversation. Thank you for your help."
NOT_YOURS = "This conversation is not (or no longer) yours. Nothing was changed."
GONE = "This conversation has already ended. Nothing was changed."
EMERGENCY = ("🚨 <b>Life in danger? Call 112 now.</b>\n"
             "Urgent, but not life-threatening, in the evening, at night or at the weekend: "
             "call the huisartsenpost. Its number is on your own GP's voicemail or website.\n"
             "Thinking about suicide: call 113 (free). Violence at home: Veilig Thuis "
             "0800-2000 (free, day and night).\n"
             "Your message is still passed on to a person.")
LANGUAGE_NAMES = {"ti": "ትግርኛ", "ar": "العربية"}  # CLDR, each in its own language


@pytest.fixture(autouse=True)
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to claim are proactive: at night they would wait for the morning."""
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")


# -- people ---------------------------------------------------------------------------------


async def heard(person: Person, count: int = 1) -> list[RecordedCall]:
    """The next messages the bot sends to `person`: answers to what they sent with the
    fake's user_* helpers, and messages through the outbox (copies, requests, notices)."""
    calls = await person.api.next_messages(person.id, count, timeout=10)
    person.last = calls[-1]
    return calls


async def appoint(api: FakeBotAPI, bot: RunningBot, telegram_id: int,
                  municipality: str) -> Person:
    """The operator makes `telegram_id` coordinator of `municipality` on the command line."""
    out = await operator(bot.data_dir, "roles", "grant", "--telegram-id", str(telegram_id),
                         "--role", "coordinator", "--municipality", municipality)
    assert f"Granted coordinator in {municipality} to {telegram_id}" in out
    return Person(api, telegram_id)


async def invite(coordinator: Person, municipality: str, telegram_id: int, language: str,
                 name: str) -> Person:
    """The coordinator invites a sleutelpersoon by link, who opens it in `language`, speaks
    it, and can be reached any time (no hours), two conversations at once."""
    await coordinator.say("/invite")
    [created] = await coordinator.press(f"c:isp:{municipality}")
    code = seen(created).split(LINK, 1)[1].split()[0]
    person = Person(coordinator.api, telegram_id, language_code=language)
    await person.say(f"/start {code}")
    await person.press(f"i:lang:{language}", replies=2 if language == "ti" else 1)
    await person.press("i:ok:yes")
    await person.say(name)
    await person.press(f"i:spk:{language}")
    await person.press("i:done:spk")
    await person.press("i:done:top")
    await person.press("i:hrs:any")
    await person.press("i:cap:2")
    [told] = await heard(coordinator)  # "Your invitation was accepted by ..."
    assert name in seen(told)
    return person


async def newcomer_of(api: FakeBotAPI, telegram_id: int, language: str) -> Person:
    """An onboarded newcomer in Leiden."""
    person = Person(api, telegram_id, language_code=language)
    await quick_onboard(person, language)
    return person


async def ask(newcomer: Person, question: str, *, replies: int = 1
              ) -> tuple[int, int, list[RecordedCall]]:
    """/person, then the question as text: the handoff's id, the question's message id and
    the replies (the status last)."""
    [prompt] = await newcomer.say("/person")
    assert tr(newcomer.language_code, WRITE) in seen(prompt)
    message_id, _media = sent_by(newcomer.api.user_message(
        newcomer.id, question, language_code=newcomer.language_code))
    answers = await heard(newcomer, replies)
    [cancel] = [d for d in data(answers[-1]) if d.startswith("h:cancel:")]
    return int(cancel.rsplit(":", 1)[1]), message_id, answers


async def claim(helper: Person, handoff_id: int) -> RecordedCall:
    """`helper` takes the question from the request to claim it; returns the card (the
    newcomer's messages so far follow it)."""
    [request] = await heard(helper)
    assert data(request) == [f"r:claim:{handoff_id}"]
    [card] = await helper.press(f"r:claim:{handoff_id}")
    assert seen(card).startswith(tr(helper.language_code, YOURS))
    return card


@dataclass
class Talk:
    """A claimed conversation: who, which handoff, the helper's card, and the newcomer's
    question (its message id, and its copy in the helper's chat)."""

    newcomer: Person
    helper: Person
    handoff_id: int
    card: RecordedCall
    question_id: int
    question_copy: RecordedCall


async def talk(api: FakeBotAPI, bot: RunningBot, *, base: int, language: str = "ti",
               question: str = "ደብዳቤ ካብ Belastingdienst መጺኡኒ። እንታይ ክገብር ኣለኒ?") -> Talk:
    """Coordinator `base`, sleutelpersoon `base+1` (named Amal) and newcomer `base+2`, all
    in Leiden; the newcomer asks, Amal takes the question."""
    coordinator = await appoint(api, bot, base, "leiden")
    helper = await invite(coordinator, "leiden", base + 1, language, "Amal")
    newcomer = await newcomer_of(api, base + 2, language)
    handoff_id, question_id, _status = await ask(newcomer, question)
    card = await claim(helper, handoff_id)
    [question_copy] = await heard(helper)
    assert question_copy.method == "copyMessage" and question_copy.text == question
    [told] = await heard(newcomer)
    assert seen(told) == "🙋 " + tr(language, CLAIMED).format(name="Amal")
    return Talk(newcomer, helper, handoff_id, card, question_id, question_copy)


def sent_by(update: dict[str, Any]) -> tuple[int, tuple[str, str] | None]:
    """message_id and (kind, file_id) of a message a user sent (an update of the fake)."""
    message = update["message"]
    kind = next((k for k in MEDIA_KINDS if k in message), None)
    if kind is None:
        return int(message["message_id"]), None
    item = message[kind][-1] if kind == "photo" else message[kind]
    return int(message["message_id"]), (kind, str(item["file_id"]))


def pseudonym(bot: RunningBot, handoff_id: int) -> str:
    [(name,)] = bot.rows("SELECT pseudonym FROM handoffs WHERE id = ?", handoff_id)
    return str(name)


async def copied_from(bot: RunningBot, chat_id: int, call: RecordedCall) -> tuple[int, int]:
    """(chat, message) a copy in `chat_id` was made of, from the relay mapping (written just
    after the copy was sent)."""
    query = ("SELECT source_chat_id, source_message_id FROM relay_messages "
             "WHERE copy_chat_id = ? AND copy_message_id = ?")
    await eventually(lambda: bool(bot.rows(query, chat_id, call.message_id)))
    [(chat, message)] = bot.rows(query, chat_id, call.message_id)
    return chat, message


# -- 1. the whole handoff in Tigrinya ----------------------------------------------------------


async def test_the_whole_handoff_in_tigrinya(api: FakeBotAPI, bot: RunningBot) -> None:
    coordinator = await appoint(api, bot, 5001, "leiden")
    selam = await invite(coordinator, "leiden", 5002, "ti", "Selam")
    yonas = await invite(coordinator, "leiden", 5003, "ti", "Yonas")
    names = {5002: "Selam", 5003: "Yonas"}

    # The newcomer reads about toeslagen and asks a person from there.
    newcomer = await newcomer_of(api, 6001, "ti")
    await newcomer.say("/topics")
    [step] = await newcomer.press("t:toeslagen")
    assert "h:flow:toeslagen" in data(step)
    [prompt] = await newcomer.press("h:flow:toeslagen")
    assert tr("ti", WRITE) in seen(prompt)
    question = "ሓገዝ ክራይ (huurtoeslag) ክሓትት ይኽእል ዶ? ደብዳቤ መጺኡኒ።"
    asked = api.user_message(6001, question, language_code="ti")
    [status] = await heard(newcomer)
    assert seen(status) == tr("ti", WAITING).format(language=LANGUAGE_NAMES["ti"])
    [(handoff_id, source, topic)] = bot.rows("SELECT id, source, topic FROM handoffs")
    assert (source, topic) == ("flow", "toeslagen")

    # Both sleutelpersonen are asked to take it, and press at the same moment.
    requests = {p.id: (await heard(p))[0] for p in (selam, yonas)}
    for request in requests.values():
        assert seen(request).startswith(tr("ti", CARD)) and question in seen(request)
        assert data(request) == [f"r:claim:{handoff_id}"]
    answers = await asyncio.gather(*(p.press(f"r:claim:{handoff_id}", on=requests[p.id])
                                     for p in (selam, yonas)))
    refused = [p for p, [first] in zip((selam, yonas), answers, strict=True)
               if seen(first) == tr("ti", TAKEN)]
    assert len(refused) == 1, [seen(a) for [a] in answers]
    winner = yonas if refused[0] is selam else selam
    [card] = answers[(selam, yonas).index(winner)]
    assert seen(card).startswith(tr("ti", YOURS))
    assert f"r:close:{handoff_id}" in data(card)
    assert bot.rows("SELECT status, helper_id FROM handoffs") == [("claimed", winner.id)]
    assert bot.rows("SELECT telegram_id, allowed FROM audit_log WHERE action = "
                    "'handoff.claim'") == [(winner.id, 1)]

    # The winner gets the question as a copy; the newcomer is told who answers.
    [copied] = await heard(winner)
    assert copied.method == "copyMessage" and copied.text == question
    assert int(copied.params["from_chat_id"]) == 6001
    assert int(copied.params["message_id"]) == sent_by(asked)[0]
    [told] = await heard(newcomer)
    assert seen(told) == "🙋 " + tr("ti", CLAIMED).format(name=names[winner.id])

    # The winner answers with a voice note; the newcomer receives a copy of it.
    voice_id, voice = sent_by(api.user_voice(winner.id, language_code="ti"))
    [voice_copy] = await heard(newcomer)
    assert voice_copy.method == "copyMessage" and voice_copy.media == voice
    assert api.chat_log(6001)[-1]["voice"]["file_id"] == voice[1]

    # The newcomer answers the voice note with a photo of the letter: first asked whether
    # it may be passed on, then it goes to the winner as a reply to their voice note.
    photo_id, photo = sent_by(api.user_photo(6001, language_code="ti",
                                             reply_to=voice_copy.message_id))
    [privacy] = await heard(newcomer)
    assert seen(privacy) == tr("ti", PRIVACY)
    assert data(privacy) == [f"h:pass:{handoff_id}-yes", f"h:pass:{handoff_id}-no"]
    [passed] = await newcomer.press(f"h:pass:{handoff_id}-yes")
    assert seen(passed) == tr("ti", "✓ Passed on.")
    [photo_copy] = await heard(winner)
    assert photo_copy.method == "copyMessage" and photo_copy.media == photo
    assert photo_copy.reply_to == voice_id
    assert await copied_from(bot, winner.id, photo_copy) == (6001, photo_id)

    # The winner closes: answered. The newcomer is asked whether it helped, and says yes.
    label = pseudonym(bot, handoff_id)
    [how] = await winner.press(f"r:close:{handoff_id}", on=card)
    assert seen(how) == tr("ti", CLOSE_HOW).format(name=label)
    [closed] = await winner.press(f"r:done:{handoff_id}-answered")
    assert seen(closed) == tr("ti", CLOSED).format(name=label)
    [rate] = await heard(newcomer)
    assert seen(rate) == tr("ti", DID_IT_HELP).format(name=names[winner.id])
    assert data(rate)[:2] == [f"h:rate:{handoff_id}-up", f"h:rate:{handoff_id}-down"]
    [thanks] = await newcomer.press(f"h:rate:{handoff_id}-up")
    assert seen(thanks) == tr("ti", COMMENT)
    [noted] = await newcomer.say("ብጣዕሚ ሓጊዙኒ። የቐንየለይ!")
    assert seen(noted) == tr("ti", "Thank you for your comment.")
    assert bot.rows("SELECT status, result, rating, comment, helper_id FROM handoffs") == [
        ("closed", "answered", 1, "ብጣዕሚ ሓጊዙኒ። የቐንየለይ!", winner.id)]
    # The loser was told it is taken, and the request they received now says so, without
    # its button (an edit, through the outbox); nothing else.
    late = [c for c in api.messages_to(refused[0].id)
            if c.method in ("sendMessage", "editMessageText")][-2:]
    [edited] = [c for c in late if c.method == "editMessageText"]
    assert seen(edited).endswith(tr("ti", RETIRED)) and data(edited) == []
    assert [seen(c) for c in late if c is not edited] == [tr("ti", TAKEN)]


# -- 2. the core path in Arabic --------------------------------------------------------------


async def test_the_core_path_in_arabic(api: FakeBotAPI, bot: RunningBot) -> None:
    question = "وصلتني رسالة من البلدية عن ضريبة النفايات. ماذا أفعل؟"
    coordinator = await appoint(api, bot, 5101, "leiden")
    amal = await invite(coordinator, "leiden", 5102, "ar", "أمل")
    newcomer = await newcomer_of(api, 6101, "ar")
    handoff_id, question_id, [status] = await ask(newcomer, question)
    assert seen(status) == tr("ar", WAITING).format(language=LANGUAGE_NAMES["ar"])

    [request] = await heard(amal)
    assert seen(request).startswith(tr("ar", CARD)) and question in seen(request)
    [card] = await amal.press(f"r:claim:{handoff_id}", on=request)
    assert seen(card).startswith(tr("ar", YOURS))
    [question_copy] = await heard(amal)
    assert question_copy.method == "copyMessage" and question_copy.text == question
    [told] = await heard(newcomer)
    assert seen(told) == "🙋 " + tr("ar", CLAIMED).format(name="أمل")

    # Amal answers the question (a reply to its copy): the newcomer's copy replies to the
    # newcomer's own question. The newcomer answers that: Amal's copy replies to hers.
    answer = "مرحباً! هل يمكنك إرسال صورة الرسالة؟"
    answer_id, _ = sent_by(api.user_message(5102, answer, language_code="ar",
                                            reply_to=question_copy.message_id))
    [answer_copy] = await heard(newcomer)
    assert answer_copy.method == "copyMessage" and answer_copy.text == answer
    assert answer_copy.reply_to == question_id
    thanks = "نعم، سأرسلها الآن. شكراً"
    api.user_message(6101, thanks, language_code="ar", reply_to=answer_copy.message_id)
    [thanks_copy] = await heard(amal)
    assert thanks_copy.text == thanks and thanks_copy.reply_to == answer_id

    # Amal closes (referred to an organisation); it did not help the newcomer.
    label = pseudonym(bot, handoff_id)
    [how] = await amal.press(f"r:close:{handoff_id}", on=card)
    assert seen(how) == tr("ar", CLOSE_HOW).format(name=label)
    [closed] = await amal.press(f"r:done:{handoff_id}-referred")
    assert seen(closed) == tr("ar", CLOSED).format(name=label)
    [rate] = await heard(newcomer)
    assert seen(rate) == tr("ar", DID_IT_HELP).format(name="أمل")
    [asked_comment] = await newcomer.press(f"h:rate:{handoff_id}-down")
    assert seen(asked_comment) == tr("ar", COMMENT)
    assert bot.rows("SELECT status, result, rating FROM handoffs") == [
        ("closed", "referred", -1)]


# -- 3. every kind of media, both ways -------------------------------------------------------


async def test_every_kind_of_media_is_relayed_both_ways_with_its_reply_link(
        api: FakeBotAPI, bot: RunningBot) -> None:
    t = await talk(api, bot, base=5201)
    helper, newcomer = t.helper, t.newcomer

    # A first letter waits for the newcomer's word; after that, media go straight on.
    _, letter = sent_by(api.user_photo(newcomer.id, language_code="ti"))
    [privacy] = await heard(newcomer)
    assert seen(privacy) == tr("ti", PRIVACY)
    await newcomer.press(f"h:pass:{t.handoff_id}-yes")
    [letter_copy] = await heard(helper)
    assert letter_copy.media == letter

    # The newcomer answers one message of the sleutelpersoon with each kind ...
    anchor_id, _ = sent_by(api.user_message(helper.id, "Stuur maar!", language_code="ti"))
    [anchor_copy] = await heard(newcomer)
    for kind in MEDIA_KINDS:
        _, media = sent_by(api.user_media(newcomer.id, kind, language_code="ti",
                                          reply_to=anchor_copy.message_id))
        [copied] = await heard(helper)
        assert (copied.method, copied.media, copied.reply_to) == (
            "copyMessage", media, anchor_id), kind
    # ... and the sleutelpersoon answers one message of the newcomer with each kind.
    for kind in MEDIA_KINDS:
        _, media = sent_by(api.user_media(helper.id, kind, language_code="ti",
                                          reply_to=t.question_copy.message_id))
        [copied] = await heard(newcomer)
        assert (copied.method, copied.media, copied.reply_to) == (
            "copyMessage", media, t.question_id), kind

    # Nothing else was said to either of them, and the mappings know each kind.
    assert api.messages_to(helper.id)[-1] is helper.last
    assert api.messages_to(newcomer.id)[-1] is newcomer.last
    kinds = bot.rows("SELECT side, media FROM relay_messages WHERE media != 'text' "
                     "ORDER BY id")
    assert kinds == [("newcomer", "photo"), *(("newcomer", k) for k in MEDIA_KINDS),
                     *(("helper", k) for k in MEDIA_KINDS)]


async def test_a_letter_held_for_consent_keeps_its_reply_link_and_kind(
        api: FakeBotAPI, bot: RunningBot) -> None:
    t = await talk(api, bot, base=5251)
    voice_id, _ = sent_by(api.user_voice(t.helper.id, language_code="ti"))
    [voice_copy] = await heard(t.newcomer)
    # A photo and then a document (both letters), each answering the voice note.
    for kind in ("photo", "document"):
        api.user_media(t.newcomer.id, kind, language_code="ti",
                       reply_to=voice_copy.message_id)
        [privacy] = await heard(t.newcomer)
        assert seen(privacy) == tr("ti", PRIVACY)
    [passed] = await t.newcomer.press(f"h:pass:{t.handoff_id}-yes")
    assert seen(passed) == tr("ti", "✓ Passed on.")
    copies = await heard(t.helper, 2)
    assert [c.media[0] for c in copies if c.media] == ["photo", "document"]
    assert bot.rows("SELECT media FROM relay_messages WHERE side = 'newcomer' AND "
                    "media != 'text' ORDER BY id") == [("photo",), ("document",)]
    assert [c.reply_to for c in copies] == [voice_id, voice_id]


# -- 4. forged and replayed buttons ----------------------------------------------------------


def audited(bot: RunningBot, telegram_id: int) -> list[tuple[Any, ...]]:
    return bot.rows("SELECT action, target, municipality, allowed, reason FROM audit_log "
                    "WHERE telegram_id = ? ORDER BY id", telegram_id)


async def test_forged_and_replayed_buttons_are_refused_and_audited(
        api: FakeBotAPI, bot: RunningBot) -> None:
    coordinator = await appoint(api, bot, 5301, "leiden")
    helper = await invite(coordinator, "leiden", 5302, "ti", "Amal")
    delft = await invite(await appoint(api, bot, 5311, "delft"), "delft", 5312, "ti", "Saba")
    newcomer = await newcomer_of(api, 6301, "ti")
    handoff_id, _question_id, _status = await ask(newcomer, "ብዛዕባ DigiD ሕቶ ኣሎኒ")
    target = f"handoff:{handoff_id}"
    waiting = bot.rows("SELECT status, helper_id FROM handoffs")
    assert waiting == [("waiting", None)]

    # The newcomer presses a sleutelpersoon's button (a forged callback).
    api.press_raw_callback(newcomer.id, f"r:claim:{handoff_id}")
    [refused] = await heard(newcomer)
    assert seen(refused) == tr("ti", "Only sleutelpersonen can do this. Nothing was changed.")
    assert audited(bot, newcomer.id) == [("handoff.claim", target, "leiden", 0, "no-role")]

    # A sleutelpersoon of Delft who speaks Tigrinya was not asked, and may not take it.
    assert not [c for c in api.messages_to(delft.id) if f"r:claim:{handoff_id}" in data(c)]
    api.press_raw_callback(delft.id, f"r:claim:{handoff_id}")
    [refused] = await heard(delft)
    assert seen(refused) == tr("ti", "This question is for the sleutelpersonen of another "
                                     "municipality. Nothing was changed.")
    assert audited(bot, delft.id)[-1] == (
        "handoff.claim", target, "leiden", 0, "other-municipality")
    assert bot.rows("SELECT status, helper_id FROM handoffs") == waiting

    # Garbage in the callback data, from the sleutelpersoon asked to take it.
    [request] = await heard(helper)
    assert data(request) == [f"r:claim:{handoff_id}"]
    api.press_raw_callback(helper.id, "r:claim:abc")
    [refused] = await heard(helper)
    assert seen(refused) == tr("ti", "I do not recognise this button. Nothing was changed.")
    assert audited(bot, helper.id)[-1] == ("button", "r:claim:abc", None, 0, "forged")
    assert bot.rows("SELECT status, helper_id FROM handoffs") == waiting

    # The right sleutelpersoon takes it and closes it; the old buttons then do nothing.
    [card] = await helper.press(f"r:claim:{handoff_id}", on=request)
    await heard(helper)  # the question's copy
    await heard(newcomer)  # "Amal will answer your question"
    await helper.press(f"r:close:{handoff_id}", on=card)
    await helper.press(f"r:done:{handoff_id}-answered")
    await heard(newcomer)  # "Did this help you?"
    closed = bot.rows("SELECT status, result, helper_id, closed_at FROM handoffs")
    assert closed[0][:3] == ("closed", "answered", helper.id)
    for replayed in (f"r:close:{handoff_id}", f"r:done:{handoff_id}-follow"):
        # As a replayed callback arrives (the old buttons themselves are retired).
        api.press_raw_callback(helper.id, replayed)
        [refused] = await heard(helper)
        assert seen(refused) == tr("ti", NOT_YOURS), replayed
        assert audited(bot, helper.id)[-1] == (
            "handoff.close", target, "leiden", 0, "not-yours")
    assert bot.rows("SELECT status, result, helper_id, closed_at FROM handoffs") == closed
    # Someone else's replayed close changes nothing either.
    api.press_raw_callback(delft.id, f"r:close:{handoff_id}")
    await heard(delft)
    assert bot.rows("SELECT status, result, helper_id, closed_at FROM handoffs") == closed
    assert api.messages_to(newcomer.id)[-1] is newcomer.last  # nothing new


async def test_a_replayed_claim_after_closing_says_the_conversation_ended(
        api: FakeBotAPI, bot: RunningBot) -> None:
    t = await talk(api, bot, base=5351)
    await t.helper.press(f"r:close:{t.handoff_id}", on=t.card)
    await t.helper.press(f"r:done:{t.handoff_id}-answered")
    api.press_raw_callback(t.helper.id, f"r:claim:{t.handoff_id}")
    [answer] = await heard(t.helper)
    assert seen(answer) == tr("ti", GONE)


# -- 5. /delete in the middle of a conversation ----------------------------------------------


async def test_delete_during_a_conversation_ends_it_neutrally_and_leaves_no_trace(
        api: FakeBotAPI, bot: RunningBot) -> None:
    coordinator = await appoint(api, bot, 5401, "leiden")
    helper = await invite(coordinator, "leiden", 5402, "ti", "Amal")
    newcomer = await newcomer_of(api, 6401, "ti")
    await newcomer.say("/topics")
    await newcomer.press("t:toeslagen")
    await newcomer.press("h:flow:toeslagen")
    await newcomer.say("ብዛዕባ zorgtoeslag ሕቶ ኣሎኒ")
    [(handoff_id, path)] = bot.rows("SELECT id, path FROM handoffs")
    assert path  # where in the explainers they asked from
    await claim(helper, handoff_id)
    await heard(helper)  # the question's copy
    await heard(newcomer)  # "Amal will answer your question"
    api.user_voice(helper.id, language_code="ti")
    await heard(newcomer)
    api.user_message(newcomer.id, "ሕራይ", language_code="ti")
    await heard(helper)
    assert bot.rows("SELECT count(*) FROM relay_messages") == [(3,)]
    label = pseudonym(bot, handoff_id)

    [confirm] = await newcomer.say("/delete")
    assert data(confirm) == ["d:yes", "d:no"]
    [deleted] = await newcomer.press("d:yes")
    assert "/start" in seen(deleted)
    [ended] = await heard(helper)
    assert seen(ended) == tr("ti", ENDED).format(name=label)  # no reason given

    assert bot.rows("SELECT newcomer_id, summary, path, comment, status FROM handoffs") == [
        (None, "", "", None, "cancelled")]
    assert bot.rows("SELECT count(*) FROM relay_messages") == [(0,)]
    assert bot.rows("SELECT count(*) FROM people WHERE telegram_id = ?", newcomer.id) == [(0,)]
    # The sleutelpersoon writing on is not relayed to anyone.
    api.user_message(helper.id, "ሰላም?", language_code="ti")
    await heard(helper)
    assert not [c for c in api.messages_to(newcomer.id) if c.method == "copyMessage"
                and c.text == "ሰላም?"]


# -- 6. emergencies --------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "message"), [
    ("ti", "I can't breathe, my child is unconscious"),
    ("ti", "ወደይ ንቕሓቱ ስሒቱ፣ ክተንፍስ ኣይክእልን"),
    ("ar", "ابني فاقد الوعي ولا يتنفس"),
])
async def test_an_emergency_question_is_answered_with_112_first(
        api: FakeBotAPI, bot: RunningBot, language: str, message: str) -> None:
    await appoint(api, bot, 6500, "leiden")  # someone the question can reach
    newcomer = await newcomer_of(api, 6501, language)
    _id, _message_id, [first, status] = await ask(newcomer, message, replies=2)
    assert seen(first) == tr(language, EMERGENCY) and "112" in seen(first)
    assert "112" not in seen(status)  # the question is still open, for a person
    assert bot.rows("SELECT status FROM handoffs") == [("waiting",)]


async def test_an_emergency_during_a_conversation_alerts_the_sleutelpersoon(
        api: FakeBotAPI, bot: RunningBot) -> None:
    t = await talk(api, bot, base=5551)
    api.user_message(t.newcomer.id, "ወደይ ንቕሓቱ ስሒቱ!", language_code="ti")
    [first] = await heard(t.newcomer)
    assert seen(first) == tr("ti", EMERGENCY)
    copied, alert = await heard(t.helper, 2)
    assert copied.method == "copyMessage" and copied.text == "ወደይ ንቕሓቱ ስሒቱ!"
    assert seen(alert) == tr("ti", "⚠️ The last message of Newcomer {name} may be about an "
                                   "emergency. They were shown 112 and the huisartsenpost."
                             ).format(name=pseudonym(bot, t.handoff_id))


# -- 7. exactly once across a crash ----------------------------------------------------------


async def test_a_relay_committed_before_a_crash_is_copied_once_after_the_restart(
        api: FakeBotAPI, bot: RunningBot) -> None:
    t = await talk(api, bot, base=5601)
    await bot.stop()
    # The newcomer writes; the process handled it, committed the copy and its mapping, and
    # died before sending the copy and before confirming the update to Telegram (which so
    # delivers it again after the restart).
    text = "ካልእ ሕቶ፦ ክንደይ ግዜ ይወስድ?"
    message_id, _ = sent_by(api.user_message(t.newcomer.id, text, language_code="ti"))
    database = Database(bot.settings().db_url)
    try:
        async with database.uow() as uow:
            helper = await uow.people.by_telegram_id(t.helper.id)
            assert helper is not None
            # The very call the newcomer's turn makes for a claimed conversation.
            await relay_copy._copy(uow, h.Relayed(t.handoff_id, h.Side.NEWCOMER,
                                                  t.newcomer.id, message_id),
                                   h.Media.TEXT, helper, None, datetime.now(UTC))
            await uow.commit()
    finally:
        await database.dispose()
    assert bot.rows("SELECT status FROM outbox WHERE key = ?",
                    f"relay:{t.newcomer.id}:{message_id}") == [("pending",)]

    await bot.start()  # the drainer sends the row; the update is handled a second time
    [copied] = await heard(t.helper)
    assert copied.method == "copyMessage" and copied.text == text
    # The newcomer's next message is handled after the redelivered one (one turn at a time
    # per person): once its copy is there, the first was handled twice and copied once.
    api.user_message(t.newcomer.id, "ሓደ ተወሳኺ", language_code="ti")
    [after] = await heard(t.helper)
    assert after.text == "ሓደ ተወሳኺ"
    copies = [c for c in api.messages_to(t.helper.id, ["copyMessage"])
              if int(c.params["message_id"]) == message_id
              and int(c.params["from_chat_id"]) == t.newcomer.id]
    assert copies == [copied]
    # The copy's mapping was completed after the restart: a reply to it reaches the
    # newcomer as a reply to their own message.
    api.user_message(t.helper.id, "ሰሙን", language_code="ti", reply_to=copied.message_id)
    [reply] = await heard(t.newcomer)
    assert reply.text == "ሰሙን" and reply.reply_to == message_id
    await eventually(lambda: bot.rows("SELECT DISTINCT status FROM outbox") == [("sent",)])


async def test_nobody_takes_it_escalates_with_a_fake_clock(
        api: FakeBotAPI, bot: RunningBot) -> None:
    """Four sleutelpersonen: the best three are asked; five hours later (the question's
    times set back, then the tick) the fourth is asked too, the coordinator is told, and
    the newcomer hears once that it takes longer, in Tigrinya."""
    coordinator = await appoint(api, bot, 7701, "leiden")
    helpers = [await invite(coordinator, "leiden", 7702 + i, "ti", name)
               for i, name in enumerate(("Amal", "Berhe", "Dawit", "Eden"))]
    newcomer = await newcomer_of(api, 7710, "ti")
    handoff_id, _question, _status = await ask(newcomer, "ሕቶ ብዛዕባ zorgtoeslag ኣለኒ")
    await asyncio.sleep(0.5)  # the drainer sends the requests it was woken for
    asked = [h for h in helpers if any(f"r:claim:{handoff_id}" in data(c)
                                       for c in api.messages_to(h.id))]
    assert len(asked) == 3
    [waiting] = [h for h in helpers if h not in asked]

    # Five hours pass: the question was asked five hours ago and its time to look again
    # has come (the clock moves, not the messages: what the tick writes is due now).
    assert bot.runner is not None and bot.runner.app is not None
    app = bot.runner.app
    earlier = datetime.now(UTC) - timedelta(hours=5)

    async def set_back(**times: datetime) -> None:  # through the bot's own engine: no lock
        assignments = ", ".join(f"{column} = :{column}" for column in times)
        async with app.database.engine.begin() as connection:
            await connection.execute(sql_text(
                f"UPDATE handoffs SET {assignments} WHERE id = :id"), {**times, "id": handoff_id})

    await set_back(created_at=earlier, wake_at=earlier)
    assert await app.chat.router.tick(app.uow, datetime.now(UTC)) == 1  # wakes the drainer
    [request] = await heard(waiting)
    assert data(request) == [f"r:claim:{handoff_id}"]
    [note] = await heard(coordinator)
    assert "⏳" in seen(note)
    [slower] = await heard(newcomer)
    slow = tr("ti", "Finding a person who speaks {language} takes longer than usual. We "
                    "have asked more people. Your question stays open: you can add messages, "
                    "or cancel it with /person.")
    assert seen(slower).startswith(slow.split("{language}")[0])
    await set_back(wake_at=earlier)
    await app.chat.router.tick(app.uow, datetime.now(UTC) + timedelta(hours=30))
    await asyncio.sleep(0.3)
    assert len([c for c in api.messages_to(newcomer.id) if c.text == slower.text]) == 1
