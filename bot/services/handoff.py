"""Asking a person (the newcomer's side of the handoff): write the question, see an honest
status, add to it, cancel it, and rate the answer.

The first message opens the question and routing asks sleutelpersonen to take it
(bot.services.handoff_routing). Until someone does, messages are kept as references (the
messages stay in the newcomer's own chat) and copied to the claimer when they take it;
after that every message is copied at once (bot.services.relay). A message that signals an
emergency is answered with 112 and the huisartsenpost first, whatever else happens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.content.knowledge import OTHER_MUNICIPALITY
from bot.domain import handoff as h
from bot.domain import routing
from bot.domain.incoming import Posted
from bot.domain.person import Person
from bot.domain.questions import Conversation
from bot.domain.replies import Keyboard, Outcome, Reply
from bot.services import relay_copy
from bot.services.handoff_routing import Router
from bot.services.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.profile_questions import language_name
from bot.services.topics import PREFIX as TOPIC_PREFIX
from bot.services.turn import Turn, button

SCOPE = "h"
FLOW = "handoff"
WRITE = "write"  # writing the question
HOLD = "hold"  # a photo or document waits for "pass it on"
COMMENT = "comment"  # an optional comment after rating
NAME = "name"  # the first name they chose to share with their sleutelpersoon
PATH_STEPS = 5  # of the flow path shown to the sleutelpersoon
Emergency = Callable[[str], bool]


class AskPerson:
    def __init__(self, router: Router, emergency: Emergency) -> None:
        self._router = router
        self._emergency = emergency

    # -- opening -------------------------------------------------------------------------

    async def ask(self, turn: Turn, source: h.Source, topic: str | None = None) -> Outcome:
        """'Talk to a person': the status of an open question, else ask them to write."""
        existing = await turn.uow.handoffs.open_of(turn.person.id)
        if existing is not None:
            return self.status(turn, existing)
        _ = turn.gettext
        municipality, language = turn.person.municipality, turn.person.language
        if municipality in (None, OTHER_MUNICIPALITY) or language is None \
                or not await self._router.reachable(turn.uow, municipality, language):
            # Sleutelpersonen help where Wegwijs takes part; say so, never let a question
            # wait for nobody.
            return Outcome([Reply(_("Asking a person works in the municipalities that take "
                                    "part in Wegwijs. In your municipality, ask the "
                                    "municipality (gemeente) or your begeleider; the topics "
                                    "list free help that works everywhere."),
                                  ((button(_("📚 All topics"), "m", "topics"),
                                    button(_("🏠 Menu"), "m", "menu")),))])
        data = {"source": source.value, "path": self._path(turn)}
        if topic and self._router.has_topic(topic):  # a forged id is not carried along
            data["topic"] = topic
        turn.conversation = Conversation(FLOW, WRITE, data)
        text = "\n\n".join([
            turn.fill(_("🙋 <b>Ask a person</b>\nA sleutelpersoon who speaks {language} can "
                        "help: a volunteer from your own community. They see your question "
                        "and a code name, never your name or phone number."),
                      language=self._language(turn)),
            _("Write your question in one message. You can also send a voice note, or a "
              "photo of a letter.")])
        return Outcome([Reply(text, ((button(_("✖️ Cancel"), SCOPE, "stop"),),))])

    async def ask_now(self, turn: Turn, source: h.Source, topic: str | None = None,
                      summary: str = "", path: str = "", intro: str | None = None) -> Outcome:
        """Open the question at once, without waiting for a first message: "I need help"
        in a check-in. What they write next is added to it."""
        existing = await turn.uow.handoffs.open_of(turn.person.id)
        if existing is not None:
            return self.status(turn, existing)
        person = turn.person
        if person.municipality in (None, OTHER_MUNICIPALITY) or person.language is None \
                or not await self._router.reachable(turn.uow, person.municipality,
                                                    person.language):
            return await self.ask(turn, source, topic)  # says who can help instead
        handoff, decision = await opened(turn.uow, self._router, person, source, turn.now,
                                         topic=topic, summary=summary, path=path)
        coordinators = routing.Action.NOTIFY_COORDINATORS in decision.actions \
            and await self._router.has_coordinators(turn.uow, handoff.municipality)
        if self.is_writing(turn):
            turn.conversation = None
        status = self.status(turn, handoff, waiting_for_anyone=bool(
            decision.eligible or decision.opening) or not coordinators)
        _ = turn.gettext
        status.replies.insert(0, Reply(intro or _(
            "Thank you for telling us. You can write here what is going on, in your own "
            "words, or send a voice note.")))
        return status

    async def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        """Buttons h:<name>[:<value>]; None when the button is not one of ours (forged)."""
        match name, value:
            case "flow", topic if topic:
                return await self.ask(turn, h.Source.FLOW, topic)
            case ("search" | "draft" | "menu"), "":
                return await self.ask(turn, h.Source(name))
            case "stop", "":
                return self._stop_writing(turn)
            case "status", "":
                found = await turn.uow.handoffs.open_of(turn.person.id)
                return self.status(turn, found) if found else self._nothing_open(turn)
            case "cancel", ref if (handoff_id := h.row_id(ref)) is not None:
                return await self._cancel(turn, handoff_id)
            case "pass", ref:
                return await self._pass_on(turn, ref)
            case "rate", ref:
                return await self._rate(turn, ref)
            case "name", ref if (handoff_id := h.row_id(ref)) is not None:
                return await self._ask_name(turn, handoff_id)
        return None

    def is_writing(self, turn: Turn) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == FLOW

    # -- messages -------------------------------------------------------------------------

    async def on_posted(self, turn: Turn, posted: Posted,
                        open_question: h.Handoff | None) -> Outcome:
        """A message while writing the question, a comment, or one added to an open question."""
        conv = turn.conversation
        urgent = posted.text is not None and self._emergency(posted.text)
        first = [self._emergency_reply(turn)] if urgent else []
        if conv is not None and conv.flow == FLOW and conv.step == COMMENT:
            return self._with(first, await self._comment(turn, conv, posted))
        if conv is not None and conv.flow == FLOW and conv.step == NAME and posted.is_text:
            return self._with(first, await self._share_name(turn, conv, posted.text or ""))
        if open_question is None:
            if conv is None or conv.flow != FLOW or conv.step != WRITE:
                turn.conversation = None
                return self._with(first, self._nothing_open(turn))
            return self._with(first, await self._open(turn, conv, posted, urgent))
        return self._with(first, await self._add(turn, open_question, posted, urgent))

    async def _open(self, turn: Turn, conv: Conversation, posted: Posted,
                    urgent: bool) -> Outcome:
        person = turn.person
        if person.municipality is None or person.language is None:
            turn.conversation = None
            return self._nothing_open(turn)
        media = h.media_of(posted.media)
        handoff = await turn.uow.handoffs.add(h.Handoff(
            id=0, newcomer_id=person.id, language=person.language,
            municipality=person.municipality, pseudonym=h.new_pseudonym(),
            status=h.Status.WAITING, created_at=turn.now,
            source=h.Source(conv.data.get("source", h.Source.COMMAND.value)),
            topic=conv.data.get("topic") or None, path=conv.data.get("path", ""),
            summary=h.summary(posted.text), first_media=media))
        turn.conversation = None
        held = await self._keep(turn, handoff, posted, media)
        decision = await self._router.route(turn.uow, handoff, turn.now, urgent=urgent,
                                            told=True)
        coordinators = routing.Action.NOTIFY_COORDINATORS in decision.actions \
            and await self._router.has_coordinators(turn.uow, handoff.municipality)
        # "We asked the coordinators" only when they were; else someone who fits is full
        # and is asked when a place frees (the routing looks again).
        status = self.status(turn, handoff, waiting_for_anyone=bool(
            decision.eligible or decision.opening) or not coordinators)
        return Outcome(held + status.replies)

    async def _add(self, turn: Turn, handoff: h.Handoff, posted: Posted,
                   urgent: bool) -> Outcome:
        media = h.media_of(posted.media)
        if self.is_writing(turn) and turn.conversation is not None \
                and turn.conversation.step != HOLD:
            turn.conversation = None
        if handoff.status is h.Status.CLAIMED:
            held = await self._keep(turn, handoff, posted, media)
            if urgent:  # the sleutelpersoon should know at once, not only from the text
                await relay_copy.alert_helper(turn, self._router, handoff)
            return Outcome(held)
        held = await self._keep(turn, handoff, posted, media)
        _ = turn.gettext
        note = _("✓ Added to your question. The person who takes it will see it.")
        return Outcome(held or [Reply(note, self._status_keyboard(turn, handoff))])

    async def _keep(self, turn: Turn, handoff: h.Handoff, posted: Posted,
                    media: h.Media) -> list[Reply]:
        """Pass a message on (or keep it for the claimer); a first letter or document waits
        for the newcomer's word that it may be passed on."""
        if media in h.PRIVATE_MEDIA and not handoff.private_media_ok:
            held = turn.conversation.data.get("held", "") if (
                turn.conversation is not None and turn.conversation.step == HOLD) else ""
            # Each held message keeps its kind and reply link: "id:media:reply_to".
            ids = [*[i for i in held.split(",") if i][-9:],
                   f"{posted.message_id}:{media.value}:{posted.reply_to or ''}"]
            turn.conversation = Conversation(FLOW, HOLD, {"id": str(handoff.id),
                                                          "held": ",".join(ids)})
            return [self._privacy_question(turn, handoff)]
        await relay_copy.from_newcomer(turn, self._router, handoff, posted.message_id, media,
                                       posted.reply_to, posted.text)
        return []

    def _privacy_question(self, turn: Turn, handoff: h.Handoff) -> Reply:
        _ = turn.gettext
        text = _("🔒 Letters and documents hold personal data, such as your name, address "
                 "and BSN. Only the sleutelpersoon who takes your question will see this. "
                 "You may cover numbers you do not want to share. Pass it on?")
        return Reply(text, ((button(_("✅ Pass it on"), SCOPE, "pass", f"{handoff.id}-yes"),
                             button(_("✖️ Do not pass it on"), SCOPE, "pass",
                                    f"{handoff.id}-no")),))

    async def _pass_on(self, turn: Turn, ref: str) -> Outcome | None:
        number, _sep, answer = ref.partition("-")
        handoff_id = h.row_id(number)
        if handoff_id is None or answer not in ("yes", "no"):
            return None
        conv = turn.conversation
        handoff = await turn.uow.handoffs.get(handoff_id)
        if (conv is None or conv.flow != FLOW or conv.step != HOLD
                or conv.data.get("id") != str(handoff_id) or handoff is None
                or handoff.newcomer_id != turn.person.id or not handoff.open):
            return self._older(turn)
        turn.conversation = None
        _ = turn.gettext
        if answer == "no":
            return Outcome([Reply(_("Not passed on. You can delete the photo in your chat."),
                                  self._status_keyboard(turn, handoff))])
        handoff.private_media_ok = True
        await turn.uow.handoffs.save_details(handoff)
        for held in conv.data.get("held", "").split(","):
            message_id, _sep, rest = held.partition(":")
            kind, _sep, reply_to = rest.partition(":")
            if message_id.isdigit():
                await relay_copy.from_newcomer(turn, self._router, handoff, int(message_id),
                                               h.media_of(kind or "photo"),
                                               int(reply_to) if reply_to.isdigit() else None)
        text = _("✓ Passed on.") if handoff.status is h.Status.CLAIMED else _(
            "✓ Added to your question. The person who takes it will see it.")
        return Outcome([Reply(text, self._status_keyboard(turn, handoff))])

    # -- status, cancel, rating ---------------------------------------------------------

    def status(self, turn: Turn, handoff: h.Handoff, *,
               waiting_for_anyone: bool = True) -> Outcome:
        _ = turn.gettext
        language = self._language(turn)
        if handoff.status is h.Status.CLAIMED:
            text = _("💬 A sleutelpersoon is answering your question. Write here: your "
                     "messages go to them. /menu still works.")
        elif waiting_for_anyone:
            text = turn.fill(_("⏳ Your question is waiting. A person who speaks {language} "
                               "will answer; usually within a day. You will get a message "
                               "here. You can add more messages."), language=language)
        else:
            text = turn.fill(_("⏳ Your question is waiting. Right now nobody who speaks "
                               "{language} can answer here, so we asked the coordinators to "
                               "find someone. This can take longer than a day. You can add "
                               "more messages."), language=language)
        return Outcome([Reply(text, self._status_keyboard(turn, handoff))])

    def _status_keyboard(self, turn: Turn, handoff: h.Handoff) -> Keyboard:
        _ = turn.gettext
        end = _("✖️ End the conversation") if handoff.status is h.Status.CLAIMED \
            else _("✖️ Cancel my question")
        name = ((button(_("🙂 Share my first name"), SCOPE, "name", str(handoff.id)),),) \
            if handoff.status is h.Status.CLAIMED and handoff.shared_name is None else ()
        return (*name, (button(end, SCOPE, "cancel", str(handoff.id)),
                        button(_("🏠 Menu"), "m", "menu")))

    async def _cancel(self, turn: Turn, handoff_id: int) -> Outcome:
        handoff = await turn.uow.handoffs.get(handoff_id)
        if handoff is None or handoff.newcomer_id != turn.person.id \
                or not await turn.uow.handoffs.cancel(handoff_id, turn.person.id, turn.now):
            return self._older(turn)
        await self._router.retire_requests(turn.uow, handoff, turn.now)
        if handoff.status is h.Status.CLAIMED:
            await relay_copy.tell_helper_ended(turn, self._router, handoff)
        if self.is_writing(turn):
            turn.conversation = None
        _ = turn.gettext
        return Outcome([Reply(_("Your question is closed. You can ask again at any time "
                                "with /person."), ((button(_("🏠 Menu"), "m", "menu"),),))])

    async def _rate(self, turn: Turn, ref: str) -> Outcome | None:
        number, _sep, answer = ref.partition("-")
        handoff_id = h.row_id(number)
        if handoff_id is None or answer not in ("up", "down"):
            return None
        if not await turn.uow.handoffs.rate(handoff_id, turn.person.id,
                                            1 if answer == "up" else -1):
            return self._older(turn)
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, COMMENT, {"id": str(handoff_id)})
        return Outcome([Reply(_("Thank you! If you like, write a short comment now (it "
                                "helps us improve). Or go on with the menu."),
                                ((button(_("🏠 Menu"), "m", "menu"),),))])

    async def _comment(self, turn: Turn, conv: Conversation, posted: Posted) -> Outcome:
        turn.conversation = None
        _ = turn.gettext
        handoff_id = conv.data.get("id", "")
        if posted.text and handoff_id.isdigit():
            await turn.uow.handoffs.comment(int(handoff_id), turn.person.id,
                                            posted.text.strip())
        return Outcome([Reply(_("Thank you for your comment."),
                              ((button(_("🏠 Menu"), "m", "menu"),),))])

    async def before_delete(self, turn: Turn) -> None:
        """/delete: the person's open questions end (their sleutelpersoon is told, neutrally),
        conversations they answer go back to the others, and no trace of them stays."""
        me = turn.person
        for handoff in await turn.uow.handoffs.involving(me.id, me.telegram_id):
            if handoff.newcomer_id == me.id:
                if await turn.uow.handoffs.cancel(handoff.id, me.id, turn.now) \
                        and handoff.status is h.Status.CLAIMED:
                    await relay_copy.tell_helper_ended(turn, self._router, handoff)
            elif await turn.uow.handoffs.release(handoff.id, me.telegram_id,
                                                 frozenset({me.telegram_id})):
                released = await turn.uow.handoffs.get(handoff.id)
                if released is not None:
                    await self._router.route(turn.uow, released, turn.now)
        # Copies of their messages not sent yet never go (keys: bot.services.relay_copy).
        for prefix in relay_copy.keys_of_chat(me.chat_id):
            await turn.uow.outbox.withdraw(prefix, turn.now)
        await turn.uow.handoffs.forget_newcomer(me.id, me.chat_id)
        await turn.uow.handoffs.forget_helper(me.telegram_id)

    async def _ask_name(self, turn: Turn, handoff_id: int) -> Outcome:
        handoff = await turn.uow.handoffs.get(handoff_id)
        if handoff is None or handoff.newcomer_id != turn.person.id \
                or handoff.status is not h.Status.CLAIMED:
            return self._older(turn)
        turn.conversation = Conversation(FLOW, NAME, {"id": str(handoff_id)})
        _ = turn.gettext
        return Outcome([Reply(_("Which first name may your sleutelpersoon see? Type it (or "
                                "only a nickname). Your Telegram name is never shown."),
                              ((button(_("✖️ Cancel"), SCOPE, "stop"),),))])

    async def _share_name(self, turn: Turn, conv: Conversation, text: str) -> Outcome:
        _ = turn.gettext
        name = " ".join(text.split())
        if not 1 <= len(name) <= h.NAME_LENGTH:
            return Outcome([Reply(turn.fill(_("Please type a name of at most {n} characters."),
                                            n=str(h.NAME_LENGTH)))])
        turn.conversation = None
        handoff = await turn.uow.handoffs.get(int(conv.data.get("id", "0") or 0))
        if handoff is None or handoff.newcomer_id != turn.person.id \
                or handoff.status is not h.Status.CLAIMED:
            return self._older(turn)
        code = handoff.pseudonym
        handoff.shared_name = name
        await turn.uow.handoffs.save_details(handoff)
        await relay_copy.tell_helper_name(turn, self._router, handoff, code)
        return Outcome([Reply(turn.fill(_("Done: your sleutelpersoon now sees the name {name}."),
                                        name=name))])

    # -- helpers ------------------------------------------------------------------------

    def _stop_writing(self, turn: Turn) -> Outcome:
        if self.is_writing(turn):
            turn.conversation = None
        _ = turn.gettext
        return Outcome([Reply(_("Nothing was sent."), ((button(_("🏠 Menu"), "m", "menu"),),))])

    def _nothing_open(self, turn: Turn) -> Outcome:
        _ = turn.gettext
        return Outcome([Reply(_("You have no open question for a person. To ask one, use "
                                "/person."), ((button(_("🏠 Menu"), "m", "menu"),),))])

    def _older(self, turn: Turn) -> Outcome:
        note = turn.gettext("This button is from an older message.")
        return Outcome([Reply(note, ((button(turn.gettext("🏠 Menu"), "m", "menu"),),))],
                       notice=note)

    def _emergency_reply(self, turn: Turn) -> Reply:
        _ = turn.gettext
        # The same facts, from the same sources, as the gp-and-emergency flow.
        return Reply(_("🚨 <b>Life in danger? Call 112 now.</b>\n"
                       "Urgent, but not life-threatening, in the evening, at night or at the "
                       "weekend: call the huisartsenpost. Its number is on your own GP's "
                       "voicemail or website.\n"
                       "Thinking about suicide: call 113 (free). Violence at home: Veilig "
                       "Thuis 0800-2000 (free, day and night).\n"
                       "Your message is still passed on to a person."),
                     ((button(_("🚑 Emergency or a doctor at night"), "m", "emergency"),),))

    @staticmethod
    def _with(first: list[Reply], outcome: Outcome) -> Outcome:
        outcome.replies[0:0] = first
        return outcome

    def _language(self, turn: Turn) -> str:
        return language_name(turn.person.language or turn.language, turn.language)

    @staticmethod
    def _path(turn: Turn) -> str:
        """Where in the explainers the newcomer was: the last few steps, latest first."""
        conv = turn.conversation
        if conv is None or not conv.flow.startswith(TOPIC_PREFIX):
            return ""
        here = f"{conv.flow.removeprefix(TOPIC_PREFIX)}/{conv.step}"
        trail = [t for t in conv.data.get("trail", "").split(",") if t]
        return " ← ".join([here, *reversed(trail)][:PATH_STEPS])



async def opened(uow: UnitOfWork, router: Router, newcomer: Person, source: h.Source,
                 now: datetime, *, topic: str | None = None, summary: str = "",
                 pseudonym: str | None = None, path: str = ""
                 ) -> tuple[h.Handoff, routing.Decision]:
    """A question opened for a newcomer without a first message (a check-in's "I need help",
    a coordinator's request to reach out), routed at once."""
    assert newcomer.municipality is not None and newcomer.language is not None
    handoff = await uow.handoffs.add(h.Handoff(
        id=0, newcomer_id=newcomer.id, language=newcomer.language,
        municipality=newcomer.municipality, pseudonym=pseudonym or h.new_pseudonym(),
        status=h.Status.WAITING, created_at=now, source=source,
        topic=topic if topic and router.has_topic(topic) else None, path=path,
        summary=h.summary(summary)))
    return handoff, await router.route(uow, handoff, now, told=True)


async def purge_content(uow_factory: UnitOfWorkFactory, now: datetime,
                        retention: timedelta = h.CONTENT_RETENTION) -> int:
    """Retention: what was said in conversations that ended `retention` ago goes (by
    default CONTENT_RETENTION, 90 days); the anonymous counts stay."""
    async with uow_factory() as uow:
        emptied = await uow.handoffs.purge_content(now - retention)
        await uow.commit()
    return emptied
