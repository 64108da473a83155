"""The sleutelpersoon's side of the handoff: take a question, answer it through the bot,
send a quick answer from the explainers, switch between conversations, and close, release
or transfer one.

Every button names only what is asked for (r:claim:<id>, ...); whether it is allowed is
decided here, in the unit of work: the role in the question's municipality, the language,
the capacity, and for an open conversation that it is yours. A refusal changes nothing, is
answered in the person's language and audited (bot.services.staff).
"""

from __future__ import annotations

from datetime import timedelta

from bot.content.knowledge import Knowledge
from bot.content.search import SearchIndex
from bot.domain import actions, audit, routing
from bot.domain import handoff as h
from bot.domain.incoming import Posted
from bot.domain.person import Person, Role
from bot.domain.replies import Button, Keyboard, Outcome, Reply
from bot.services import quick_answers, relay_copy, staff
from bot.services.checkin_areas import PATH_PREFIX
from bot.services.end_month import EndMonth
from bot.services.handoff import SCOPE as NEWCOMER_SCOPE
from bot.services.handoff_routing import HELPER_SCOPE, Reader, Router
from bot.services.topics import Topics
from bot.services.turn import Turn, button


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


COMMANDS = ("conversations", "answer", "begeleiding")
CLAIMED = _("{name} will answer your question. Write here: your messages go to {name}.")
# A sleutelpersoon took a coordinator's request to reach out (a check-in did not reach them).
REACHED_OUT = _("Hello! {name} is a sleutelpersoon of Wegwijs and speaks your language. "
                "{name} would like to know how you are, and can help with letters or other "
                "questions. Write here: your messages go to {name}.")
# The same, from someone who reads the newcomer through machine translation.
REACHED_OUT_TRANSLATED = _(
    "Hello! {name} is a sleutelpersoon of Wegwijs. {name} would like to know how you are, "
    "and can help with letters or other questions. Write here: your messages go to {name}.")
TRANSLATED = _("🤖 {name} does not speak your language. Wegwijs translates your messages "
               "for them by machine, and theirs for you; a machine translation may contain "
               "mistakes, so write short, simple sentences.")
RELEASED = _("Your question goes to another sleutelpersoon. You will get a message when "
             "someone takes it.")
# A transferred question waits this long for the colleague asked, then routing goes on.
TRANSFER_PATIENCE = timedelta(hours=1)
RESULTS: dict[str, h.Result] = {"answered": h.Result.ANSWERED, "referred": h.Result.REFERRED,
                                "follow": h.Result.FOLLOW_UP}


class Relay:
    def __init__(self, router: Router, knowledge: Knowledge, search: SearchIndex,
                 topics: Topics, end_month: EndMonth) -> None:
        self._router = router
        self._answers = quick_answers.QuickAnswers(knowledge, search, topics)
        self._end_month = end_month

    # -- entry points ----------------------------------------------------------------------

    async def on_command(self, turn: Turn, name: str, args: str = "") -> Outcome:
        if not await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, audit.Act.HANDOFF_MESSAGE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON))
        if name == "answer":
            return await self._answers.search(turn, args)
        if name == "begeleiding":
            return await self._end_month.command(turn, args)
        return await self.conversations(turn)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        ref, _sep, extra = (action.value if action else "").partition("-")
        handoff_id = h.row_id(ref)
        handoff = await turn.uow.handoffs.get(handoff_id) if handoff_id is not None else None
        if action is None or action.scope != HELPER_SCOPE:
            return await self._forged(turn, data)
        if not await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, _act(action.name), audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=_target(handoff) if handoff else "",
                                      municipality=handoff.municipality if handoff else None)
        if action.name in quick_answers.KINDS:
            sent = await self._answers.send(turn, action.name, action.value)
            return sent or await self._forged(turn, data)
        if action.name == "list" and not action.value:
            return await self.on_command(turn, "conversations")
        if handoff is None:
            return await self._forged(turn, data)
        if not await self._serves(turn, handoff):
            return await self._refuse_role(turn, handoff, _act(action.name))
        match action.name, extra:
            case "claim", "":
                return await self._claim(turn, handoff)
        if handoff.helper_id != turn.person.telegram_id or handoff.status is not h.Status.CLAIMED:
            return await staff.refuse(
                turn, _act(action.name), audit.Reason.NOT_YOURS, turn.gettext(
                    "This conversation is not (or no longer) yours. Nothing was changed."),
                target=_target(handoff), municipality=handoff.municipality)
        match action.name, extra:
            case "close", "":
                return self._ask_result(turn, handoff)
            case "done", result if result in RESULTS:
                return await self._close(turn, handoff, RESULTS[result])
            case "release", "":
                return await self._release(turn, handoff)
            case "transfer", "":
                return await self._colleagues(turn, handoff)
            case "to", colleague if colleague.isdigit():
                return await self._transfer(turn, handoff, int(colleague))
            case "focus", "":
                return await self._focus(turn, handoff)
        return await self._forged(turn, data)

    async def on_posted(self, turn: Turn, posted: Posted, helping: list[h.Handoff]) -> Outcome:
        """A sleutelpersoon's message: to the conversation it replies to, else the one they
        chose last, else their only one; with several and no way to tell, they choose."""
        target = await self._target(turn, posted, helping)
        _ = turn.gettext
        if target is None:
            return Outcome([Reply(_("You have several conversations. Reply to a message of "
                                    "the newcomer you mean (swipe it), or choose one and send "
                                    "your message again:"), self._switch_keyboard(
                                        turn, helping))])
        media = h.media_of(posted.media)
        if not await relay_copy.from_helper(turn, self._router, target, posted.message_id,
                                            media, posted.reply_to, posted.text):
            return Outcome([Reply(_("This newcomer has left Wegwijs; your message was not "
                                    "sent."))])
        await turn.uow.handoffs.set_focus(turn.person.telegram_id, focus=target.id)
        if len(helping) == 1:
            return Outcome()  # like any chat: the message is sent, nothing to confirm
        return Outcome([Reply(turn.fill(_("↪️ to Newcomer {name}"), name=target.label()))])

    # -- claiming ---------------------------------------------------------------------------

    async def _claim(self, turn: Turn, handoff: h.Handoff) -> Outcome:
        _ = turn.gettext
        me = turn.person.telegram_id
        if handoff.status is not h.Status.WAITING:
            if not handoff.open:
                return await self._gone(turn)
            text = _("You already answer this question.") if handoff.helper_id == me else _(
                "Someone else already took this question, or the newcomer cancelled it. "
                "Thank you!")
            return Outcome([Reply(text)], notice=text)
        profile = await turn.uow.profiles.get(me)
        load = (await turn.uow.handoffs.loads([me])).get(me, routing.Load())
        if profile is None:
            return await staff.refuse(turn, audit.Act.HANDOFF_CLAIM, audit.Reason.NOT_ELIGIBLE,
                                      _("Fill in your profile first with /profile."),
                                      target=_target(handoff),
                                      municipality=handoff.municipality)
        reasons = routing.why_not(routing.Candidate(profile, load),
                                  self._router.request_of(handoff), None)
        if reasons:
            return await staff.refuse(turn, audit.Act.HANDOFF_CLAIM, audit.Reason.NOT_ELIGIBLE,
                                      self._why_not(turn, reasons), target=_target(handoff),
                                      municipality=handoff.municipality)
        if not await turn.uow.handoffs.claim(handoff.id, me, turn.now):  # someone was first
            text = _("Someone else already took this question, or the newcomer cancelled "
                     "it. Thank you!")
            return Outcome([Reply(text)], notice=text)
        handoff.status, handoff.helper_id, handoff.claimed_at = h.Status.CLAIMED, me, turn.now
        # Requests to the others that are still waiting (e.g. for the morning) never go;
        # those they received now say it is taken, without the button.
        await self._router.retire_requests(turn.uow, handoff, turn.now, taken_by=me)
        await staff.record(turn, audit.Act.HANDOFF_CLAIM, allowed=True, target=_target(handoff),
                           municipality=handoff.municipality)
        await turn.uow.handoffs.set_focus(me, focus=handoff.id, header=handoff.id)
        # The card, then the newcomer's messages, in order, all through the outbox: a reply
        # of this turn could arrive after the copies.
        await relay_copy.say(turn.uow, turn.person, self._card(turn, handoff),
                             f"handoff:{handoff.id}:claimed-card", turn.now,
                             self._conversation_keyboard(turn, handoff))
        await relay_copy.copy_waiting(turn.uow, self._router, handoff, turn.person, turn.now)
        translated = self._router.through_translation(profile, handoff)
        reached_out = REACHED_OUT_TRANSLATED if translated else REACHED_OUT
        await self._tell_newcomer(turn, handoff, profile.display_name, reached_out
                                  if handoff.source is h.Source.REACH_OUT else CLAIMED,
                                  "claimed", translated=translated)
        return Outcome(notice=_("✅ The question is yours."))

    def _card(self, turn: Turn, handoff: h.Handoff) -> str:
        _ = turn.gettext
        reader = Reader(self._router.catalogs, turn.language)
        lines = [_("✅ <b>You answer this question</b>"), self._router.about(reader, handoff)]
        if handoff.path and not handoff.path.startswith(PATH_PREFIX):  # a check-in's area
            lines.append(turn.fill(_("Where they were: {path}"), path=handoff.path))
        lines.append(_("Their messages follow. Everything you send here goes to them: text, "
                       "voice notes, photos. With several conversations, reply to (swipe) a "
                       "message to answer in its conversation, or choose one with "
                       "/conversations. /answer finds a topic to send them."))
        return "\n".join(lines)

    def _why_not(self, turn: Turn, reasons: frozenset[routing.Reason]) -> str:
        _ = turn.gettext
        if routing.Reason.LANGUAGE in reasons:
            return _("This question is in a language that is not in your profile. Nothing "
                     "was changed.")
        if routing.Reason.MUNICIPALITY in reasons:
            return _("You do not help in this municipality. Nothing was changed.")
        if routing.Reason.PAUSED in reasons:
            return _("Your profile is paused. Switch the pause off in /profile first.")
        return _("You already have as many conversations as your profile allows. Close one "
                 "first, or raise the number in /profile.")

    # -- closing, releasing, transferring -------------------------------------------------

    def _ask_result(self, turn: Turn, handoff: h.Handoff) -> Outcome:
        _ = turn.gettext
        ref = str(handoff.id)
        keyboard = (
            (button(_("✅ Answered"), HELPER_SCOPE, "done", f"{ref}-answered"),),
            (button(_("🤝 Referred to an organisation"), HELPER_SCOPE, "done",
                    f"{ref}-referred"),),
            (button(_("📌 Needs a follow-up"), HELPER_SCOPE, "done", f"{ref}-follow"),),
            (button(_("↩️ Not yet"), HELPER_SCOPE, "list"),),
        )
        return Outcome([Reply(turn.fill(_("Close the conversation with Newcomer {name}? How "
                                          "did it end?"), name=handoff.label()), keyboard)])

    async def _close(self, turn: Turn, handoff: h.Handoff, result: h.Result) -> Outcome:
        _ = turn.gettext
        if not await turn.uow.handoffs.close(handoff.id, turn.person.telegram_id, result,
                                             turn.now):
            return await self._gone(turn)
        await staff.record(turn, audit.Act.HANDOFF_CLOSE, allowed=True,
                           target=f"{_target(handoff)} {result.value}",
                           municipality=handoff.municipality)
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        newcomer = await self._newcomer(turn, handoff)
        if newcomer is not None:
            reader = Reader(self._router.catalogs, newcomer.language)
            name = profile.display_name if profile else reader.gettext("The sleutelpersoon")
            text = reader.fill(reader.gettext(
                "{name} closed the conversation. Did this help you?"), name=name)
            ref = str(handoff.id)
            keyboard = ((Button(reader.gettext("👍 Yes"), f"{NEWCOMER_SCOPE}:rate:{ref}-up"),
                         Button(reader.gettext("👎 No"), f"{NEWCOMER_SCOPE}:rate:{ref}-down")),
                        (Button(reader.gettext("🙋 Ask a new question"),
                                f"{NEWCOMER_SCOPE}:menu"),))
            await relay_copy.say(turn.uow, newcomer, text, f"handoff:{handoff.id}:closed",
                                 turn.now, keyboard)
        left = await turn.uow.handoffs.claimed_by(turn.person.telegram_id)
        note = turn.fill(_("Closed. Thank you for helping Newcomer {name}!"),
                         name=handoff.label())
        if left:
            await turn.uow.handoffs.set_focus(turn.person.telegram_id, focus=left[-1].id)
            return await self.conversations(turn, note)
        return Outcome([Reply(note)])

    async def _release(self, turn: Turn, handoff: h.Handoff) -> Outcome:
        _ = turn.gettext
        me = turn.person.telegram_id
        # Everyone else may be asked again: the requests they had now say it was taken.
        asked = frozenset({me})
        if not await turn.uow.handoffs.release(handoff.id, me, asked):
            return await self._gone(turn)
        await staff.record(turn, audit.Act.HANDOFF_RELEASE, allowed=True,
                           target=_target(handoff), municipality=handoff.municipality)
        released = await turn.uow.handoffs.get(handoff.id)
        assert released is not None
        await self._router.route(turn.uow, released, turn.now)
        await self._tell_newcomer(turn, handoff, "", RELEASED,
                                  f"released:{turn.now.isoformat()}")
        return Outcome([Reply(turn.fill(_("Released: other sleutelpersonen are asked to take "
                                          "the question of Newcomer {name}."),
                                        name=handoff.label()))])

    async def _colleagues(self, turn: Turn, handoff: h.Handoff) -> Outcome:
        _ = turn.gettext
        others = [c for c in await self._router.candidates(turn.uow, handoff)
                  if c.telegram_id != turn.person.telegram_id
                  and routing.may_claim(c, self._router.request_of(handoff))]
        if not others:
            return Outcome([Reply(_("Nobody else who speaks this language and helps here "
                                    "can take it now. You can release it: then everyone "
                                    "eligible is asked when they are available."),
                                  self._conversation_keyboard(turn, handoff))])
        keyboard = tuple((button(c.profile.display_name, HELPER_SCOPE, "to",
                                 f"{handoff.id}-{c.telegram_id}"),)
                         for c in routing.rank(others, self._router.request_of(handoff))[:8])
        return Outcome([Reply(_("To whom? They are asked to take over; until they do, the "
                                "conversation is waiting."),
                              (*keyboard, (button(_("↩️ Not yet"), HELPER_SCOPE, "list"),)))])

    async def _transfer(self, turn: Turn, handoff: h.Handoff, colleague: int) -> Outcome:
        _ = turn.gettext
        me = turn.person.telegram_id
        candidate = next((c for c in await self._router.candidates(turn.uow, handoff)
                          if c.telegram_id == colleague and colleague != me
                          and routing.may_claim(c, self._router.request_of(handoff))), None)
        person = await turn.uow.people.by_telegram_id(colleague) if candidate else None
        if candidate is None or person is None:
            return await staff.refuse(turn, audit.Act.HANDOFF_TRANSFER,
                                      audit.Reason.NOT_ELIGIBLE, _(
                                          "This person cannot take it over now. Nothing was "
                                          "changed."), target=_target(handoff),
                                      municipality=handoff.municipality)
        if not await turn.uow.handoffs.release(handoff.id, me, frozenset({me, colleague})):
            return await self._gone(turn)
        await staff.record(turn, audit.Act.HANDOFF_TRANSFER, allowed=True,
                           target=f"{_target(handoff)} to:{colleague}",
                           municipality=handoff.municipality)
        moved = await turn.uow.handoffs.get(handoff.id)
        assert moved is not None
        moved.wake_at = turn.now + TRANSFER_PATIENCE  # then the others are asked as usual
        await turn.uow.handoffs.save_routing(moved)
        profile = await turn.uow.profiles.get(me)
        reader = Reader(self._router.catalogs, person.language)
        card = self._router.claim_card(reader, moved, await turn.uow.handoffs.media_of(
            moved.id), transfer_from=profile.display_name if profile else "")
        await relay_copy.say(turn.uow, person, card,
                             f"handoff:{handoff.id}:transfer:{turn.now.isoformat()}", turn.now,
                             ((Button(reader.gettext("✋ Take this question"),
                                      f"{HELPER_SCOPE}:claim:{handoff.id}"),),))
        await self._tell_newcomer(turn, handoff, "", RELEASED,
                                  f"released:{turn.now.isoformat()}")
        return Outcome([Reply(turn.fill(_("Asked {colleague} to take over the conversation "
                                          "with Newcomer {name}."),
                                        colleague=candidate.profile.display_name,
                                        name=handoff.label()))])

    # -- several conversations ------------------------------------------------------------

    async def conversations(self, turn: Turn, note: str | None = None) -> Outcome:
        _ = turn.gettext
        mine = await turn.uow.handoffs.claimed_by(turn.person.telegram_id)
        focus, _shown = await turn.uow.handoffs.focus(turn.person.telegram_id)
        reader = Reader(self._router.catalogs, turn.language)
        lines = [note] if note else []
        if not mine:
            lines.append(_("You have no open conversations. When a newcomer asks for a person, "
                           "you get a message with a button to take the question."))
            return Outcome([Reply("\n\n".join(lines))])
        lines.append(_("<b>Your conversations</b>"))
        for handoff in mine:
            mark = "✍️ " if handoff.id == focus else "• "
            lines.append(mark + self._router.about(reader, handoff))
        lines.append(_("✍️ = where your messages go now."))
        return Outcome([Reply("\n".join(lines), self._switch_keyboard(turn, mine,
                                                                     with_actions=True))])

    def _switch_keyboard(self, turn: Turn, mine: list[h.Handoff], *,
                         with_actions: bool = False) -> Keyboard:
        _ = turn.gettext
        rows: list[tuple[Button, ...]] = []
        for handoff in mine:
            row = [button(turn.fill(_("✍️ Write to {name}"), name=handoff.label()),
                          HELPER_SCOPE, "focus", str(handoff.id))]
            if with_actions:
                row.append(button(_("✔️ Close"), HELPER_SCOPE, "close", str(handoff.id)))
            rows.append(tuple(row))
        return tuple(rows)

    def _conversation_keyboard(self, turn: Turn, handoff: h.Handoff) -> Keyboard:
        _ = turn.gettext
        ref = str(handoff.id)
        return ((button(_("✔️ Close"), HELPER_SCOPE, "close", ref),
                 button(_("↩️ Release"), HELPER_SCOPE, "release", ref),
                 button(_("➡️ Transfer"), HELPER_SCOPE, "transfer", ref)),)

    async def _focus(self, turn: Turn, handoff: h.Handoff) -> Outcome:
        await turn.uow.handoffs.set_focus(turn.person.telegram_id, focus=handoff.id)
        reader = Reader(self._router.catalogs, turn.language)
        text = turn.fill(turn.gettext("Your messages now go to Newcomer {name}."),
                         name=handoff.label())
        return Outcome([Reply(text + "\n" + self._router.about(reader, handoff),
                              self._conversation_keyboard(turn, handoff))])

    async def _target(self, turn: Turn, posted: Posted,
                      helping: list[h.Handoff]) -> h.Handoff | None:
        by_id = {x.id: x for x in helping}
        if posted.reply_to is not None:
            found = await turn.uow.handoffs.found(turn.person.chat_id, posted.reply_to)
            if found is not None and found.handoff_id in by_id:
                return by_id[found.handoff_id]
        focus, _shown = await turn.uow.handoffs.focus(turn.person.telegram_id)
        if len(helping) == 1:
            return helping[0]
        return by_id.get(focus or 0)

    # -- helpers --------------------------------------------------------------------------

    async def _serves(self, turn: Turn, handoff: h.Handoff) -> bool:
        return handoff.municipality in await staff.where(turn, Role.SLEUTELPERSOON)

    async def _refuse_role(self, turn: Turn, handoff: h.Handoff, act: audit.Act) -> Outcome:
        has_any = bool(await staff.where(turn, Role.SLEUTELPERSOON))
        text = _text_other_place(turn) if has_any else staff.no_role(turn, Role.SLEUTELPERSOON)
        return await staff.refuse(turn, act, audit.Reason.OTHER_MUNICIPALITY if has_any
                                  else audit.Reason.NO_ROLE, text, target=_target(handoff),
                                  municipality=handoff.municipality)

    async def _forged(self, turn: Turn, data: str) -> Outcome:
        return await staff.refuse(turn, audit.Act.BUTTON, audit.Reason.FORGED, turn.gettext(
            "I do not recognise this button. Nothing was changed."), target=data[:80])

    async def _gone(self, turn: Turn) -> Outcome:
        text = turn.gettext("This conversation has already ended. Nothing was changed.")
        return Outcome([Reply(text)], notice=text)

    async def _newcomer(self, turn: Turn, handoff: h.Handoff) -> Person | None:
        return await turn.uow.people.get(handoff.newcomer_id) if handoff.newcomer_id else None

    async def _tell_newcomer(self, turn: Turn, handoff: h.Handoff, name: str, template: str,
                             key: str, *, translated: bool = False) -> None:
        newcomer = await self._newcomer(turn, handoff)
        if newcomer is None:
            return
        reader = Reader(self._router.catalogs, newcomer.language)
        text = reader.fill(reader.gettext(template), name=name)
        if translated:  # honest about who reads them, and how
            text += "\n\n" + reader.fill(reader.gettext(TRANSLATED), name=name)
        keyboard: Keyboard = ()
        if key == "claimed":  # what they can do now: share a first name, or end it
            ref = str(handoff.id)
            keyboard = ((Button(reader.gettext("🙂 Share my first name"),
                                f"{NEWCOMER_SCOPE}:name:{ref}"),),
                        (Button(reader.gettext("✖️ End the conversation"),
                                f"{NEWCOMER_SCOPE}:cancel:{ref}"),))
        await relay_copy.say(turn.uow, newcomer, "🙋 " + text, f"handoff:{handoff.id}:{key}",
                             turn.now, keyboard)


def _text_other_place(turn: Turn) -> str:
    return turn.gettext("This question is for the sleutelpersonen of another municipality. "
                        "Nothing was changed.")


def _target(handoff: h.Handoff) -> str:
    return f"handoff:{handoff.id}"


def _act(name: str) -> audit.Act:
    return {"claim": audit.Act.HANDOFF_CLAIM, "close": audit.Act.HANDOFF_CLOSE,
            "done": audit.Act.HANDOFF_CLOSE, "release": audit.Act.HANDOFF_RELEASE,
            "transfer": audit.Act.HANDOFF_TRANSFER, "to": audit.Act.HANDOFF_TRANSFER
            }.get(name, audit.Act.HANDOFF_MESSAGE)
