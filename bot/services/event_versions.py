"""An event's text in another language, written by a sleutelpersoon who speaks it.

A coordinator asks from the message after publishing (a:ask:<event>-<language>): every
sleutelpersoon of the municipality who speaks the language and is not on a pause gets a
request with the event's text (scope "y"). One of them writes the title on the first line
and the description below it, sees it as its readers will, and approves it; from then on
newcomers read the event in their language (not marked as a draft), and the coordinators
are told who wrote it. The first approved version counts; a later one replaces it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, outbox
from bot.domain import events as ev
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.domain.sleutelpersoon import Profile
from bot.services import event_cards as cards
from bot.services import staff
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = "y"  # y:write:<event>-<language>, y:ok:<event>-<language>
FLOW = "event-version"
LANGUAGES = ("ar", "ti", "en", "nl")
Writers = Callable[[UnitOfWork, str, str], Awaitable[list[tuple[int, Profile, str]]]]


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is shown."""
    return message


def _target(value: str) -> tuple[int, str] | None:
    number, _sep, language = value.partition("-")
    if not number.isdigit() or len(number) > 9 or language not in LANGUAGES:  # an int32
        return None
    return int(number), language


class EventVersions:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, writers: Writers) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._writers = writers

    # -- the coordinator asks (a:ask, routed by bot.services.event_overview) ------------

    async def ask(self, turn: Turn, value: str) -> Outcome:
        _ = turn.gettext
        target = _target(value)
        event = await turn.uow.events.event(target[0]) if target else None
        if target is None or event is None or event.source is not ev.Source.BOT:
            return await staff.refuse(turn, audit.Act.EVENT_VERSION, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=value)
        if event.municipality not in await staff.where(turn, Role.COORDINATOR):
            return await staff.refuse(turn, audit.Act.EVENT_VERSION,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      staff.no_role(turn, Role.COORDINATOR), target=value,
                                      municipality=event.municipality)
        language = target[1]
        name = language_name(language, turn.language)
        writers = await self._writers(turn.uow, event.municipality, language)
        if not writers:
            return Outcome([Reply(turn.fill(_(
                "No sleutelpersoon here speaks {language} (or all are on a pause). Invite "
                "one with /invite."), language=name))])
        for person_id, profile, reader_language in writers:
            reader = Reader(self._catalogs, reader_language)
            await turn.uow.outbox.add(outbox.Outgoing(
                person_id, outbox.Kind.NOTIFICATION, self._request(reader, event, language),
                f"event:{event.id}:ask:{language}:{profile.telegram_id}"), turn.now)
        await staff.record(turn, audit.Act.EVENT_VERSION, allowed=True,
                           target=f"event:{event.id}:{language}",
                           municipality=event.municipality)
        text = turn.fill(_("Asked {count} sleutelpersonen who speak {language}: {names}."),
                         count=str(len(writers)), language=name,
                         names=", ".join(p.display_name for _id, p, _lang in writers))
        return Outcome([Reply(text)], notice=text)

    def _request(self, reader: Reader, event: ev.Event, language: str) -> outbox.Message:
        source, texts = event.text_in("nl")
        place = staff.municipality_name(self._knowledge, event.municipality)
        name = language_name(language, reader.language)
        lines = [reader.fill(reader.gettext(
                     "📅 The coordinators in {place} ask you to write the {language} text of "
                     "an event."), place=place, language=name),
                 reader.fill(reader.gettext("Their text in {language}:"),
                             language=language_name(source, reader.language)),
                 f"<blockquote><b>{reader.fill('{t}', t=texts.title)}</b>"
                 + (f"\n{reader.fill('{d}', d=texts.description)}" if texts.description
                    else "") + "</blockquote>",
                 reader.gettext("Write the title on the first line and the description "
                                "below it, in plain words. Newcomers see it only after you "
                                "approve it.")]
        keyboard = ((Button(reader.fill(reader.gettext("✍️ Write the {language} text"),
                                        language=name),
                            f"{SCOPE}:write:{event.id}-{language}"),),)
        # A machine draft to start from, when a model serves the pair: the title on the
        # first line, as they are asked to write it.
        draft = outbox.Translate("\n".join(t for t in (texts.title, texts.description) if t),
                                 source, language, reader.language)
        return replace(reader.readable(outbox.Message("\n".join(lines), keyboard)),
                       draft=draft)

    # -- the sleutelpersoon writes and approves ------------------------------------------

    def is_open(self, turn: Turn) -> bool:
        return turn.conversation is not None and turn.conversation.flow == FLOW

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        _ = turn.gettext
        action = actions.parse(data)
        target = _target(action.value) if action else None
        if action is None or target is None or action.name not in ("write", "ok"):
            return await staff.refuse(turn, audit.Act.EVENT_VERSION, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=data[:64])
        if not await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, audit.Act.EVENT_VERSION, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=data[:64])
        event = await turn.uow.events.event(target[0])
        refusal = await self._may_write(turn, event, target[1], data)
        if refusal is not None or event is None:
            return refusal or Outcome([])
        language = target[1]
        if action.name == "write":
            turn.conversation = Conversation(FLOW, "write", {"id": str(event.id),
                                                             "lang": language})
            return Outcome([Reply(turn.fill(_(
                "Write the {language} text now: the title on the first line, the "
                "description below it, in one message."),
                language=language_name(language, turn.language)))])
        conv = turn.conversation
        if not self.is_open(turn) or conv is None or conv.data.get("id") != str(event.id) \
                or conv.data.get("lang") != language or "title" not in conv.data:
            return Outcome([Reply(_("This button is from an older message."))])
        texts = ev.Texts(conv.data["title"], conv.data.get("desc", ""))
        await turn.uow.events.put_text(event.id, language, texts, turn.now)
        await staff.record(turn, audit.Act.EVENT_VERSION, allowed=True,
                           target=f"event:{event.id}:{language}",
                           municipality=event.municipality)
        turn.conversation = None
        await self._tell_coordinators(turn, event, language)
        return Outcome([Reply(_("Thank you! Newcomers now read this event in their own "
                                "language."))])

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        _ = turn.gettext
        conv = turn.conversation
        assert conv is not None
        text = (posted.text or "").strip() if posted.is_text else ""
        title, _sep, description = text.partition("\n")
        if not title.strip() or len(title) > 120 or len(description) > 1500:
            return Outcome([Reply(_("Please send the text as one message: a title of at most "
                                    "120 characters on the first line, the description "
                                    "below it."))])
        conv.data["title"], conv.data["desc"] = title.strip(), description.strip()
        event = await turn.uow.events.event(int(conv.data["id"]))
        if event is None:
            turn.conversation = None
            return Outcome([Reply(_("I cannot find this event any more."))])
        language = conv.data["lang"]
        shown = ev.Event(**{**vars(event), "texts": {
            language: ev.Texts(conv.data["title"], conv.data["desc"])}})
        reader = Reader(self._catalogs, language)
        preview = "\n".join([
            f"<b>{reader.fill('{t}', t=cards.title(reader, shown))}</b>",
            reader.fill("{d}", d=conv.data["desc"])])
        value = f"{event.id}-{language}"
        return Outcome([
            Reply(_("This is how its readers will see it:")), Reply(preview),
            Reply(_("Approve it, or send a better text."),
                  ((button(_("✅ Approve"), SCOPE, "ok", value),),))])

    async def _may_write(self, turn: Turn, event: ev.Event | None, language: str,
                         data: str) -> Outcome | None:
        """A sleutelpersoon of the event's municipality who speaks the language."""
        if event is None or event.source is not ev.Source.BOT:
            return await staff.refuse(turn, audit.Act.EVENT_VERSION,
                                      audit.Reason.UNKNOWN_TARGET,
                                      turn.gettext("I cannot find this event any more."),
                                      target=data[:64])
        if event.municipality not in await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, audit.Act.EVENT_VERSION,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      staff.no_role(turn, Role.SLEUTELPERSOON), target=data[:64],
                                      municipality=event.municipality)
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        if profile is None or language not in profile.languages:
            return await staff.refuse(turn, audit.Act.EVENT_VERSION,
                                      audit.Reason.NOT_ELIGIBLE, turn.fill(turn.gettext(
                                          "Only sleutelpersonen who speak {language} can "
                                          "write this text."), language=language_name(
                                              language, turn.language)),
                                      target=data[:64], municipality=event.municipality)
        return None

    async def _tell_coordinators(self, turn: Turn, event: ev.Event, language: str) -> None:
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        name = profile.display_name if profile else "?"
        for grant in await turn.uow.roles.in_municipality(event.municipality):
            if grant.role is not Role.COORDINATOR:
                continue
            person = await turn.uow.people.by_telegram_id(grant.telegram_id)
            if person is None:
                continue
            reader = Reader(self._catalogs, person.language)
            text = reader.fill(reader.gettext("✅ {name} wrote the {language} text of {title}."),
                               name=name, language=language_name(language, reader.language),
                               title=cards.title(reader, event))
            await turn.uow.outbox.add(outbox.Outgoing(
                person.id, outbox.Kind.NOTIFICATION, reader.readable(outbox.Message(text)),
                f"event:{event.id}:done:{language}:{person.id}:{int(turn.now.timestamp())}"),
                turn.now)
