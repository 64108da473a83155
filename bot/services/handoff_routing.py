"""Asking sleutelpersonen to take a question, and escalating it when nobody does.

bot.domain.routing decides (who, when, which escalation step); this module gathers the
candidates and carries the decision out: a request to claim for each person asked, a note
to the municipality's coordinators, and once a word to the newcomer that it takes longer.
Every message goes through the outbox, in the unit of work that changes the question.
The tick decides again for questions whose `wake_at` has come (a window opens, escalation
is due), with one indexed query: never a job per question.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.content import contexts
from bot.content.knowledge import Knowledge
from bot.domain import handoff as h
from bot.domain import languages, outbox, routing
from bot.domain.person import Role
from bot.domain.replies import Button
from bot.domain.sleutelpersoon import Profile
from bot.services import staff
from bot.services.checkin_areas import AREA_LABELS, area_of_path
from bot.services.ports import Catalogs, MachineTranslation, UnitOfWork, UnitOfWorkFactory
from bot.services.profile_questions import language_name
from bot.services.turns import rtl_safe

log = logging.getLogger(__name__)
HELPER_SCOPE = "r"  # sleutelpersoon buttons of the handoff (bot.services.relay)
TICK_BATCH = 20
RECHECK = timedelta(minutes=30)  # a waiting question with nothing planned is looked at again
MEDIA_ICONS: dict[h.Media, str] = {
    h.Media.PHOTO: "📷", h.Media.DOCUMENT: "📄", h.Media.VOICE: "🎤", h.Media.AUDIO: "🎵",
    h.Media.VIDEO: "🎬", h.Media.VIDEO_NOTE: "🎬", h.Media.STICKER: "🙂", h.Media.OTHER: "📎",
}


def asking_key(handoff_id: int) -> str:
    """The start of the outbox keys of requests to take a question (see withdraw)."""
    return f"handoff:{handoff_id}:ask:"


class Reader:
    """Someone other than the caller, for a message written to them through the outbox:
    their language, and templates filled safely for it (escaped, isolated in RTL)."""

    def __init__(self, catalogs: Catalogs, language: str | None) -> None:
        self.language = language or "en"
        self.tr = catalogs.translator(self.language)

    def gettext(self, message: str) -> str:
        return self.tr.gettext(message)

    def fill(self, template: str, /, **values: str) -> str:
        return staff.fill_for(self.language, template, **values)

    def readable(self, message: outbox.Message) -> outbox.Message:
        """A rendered message made safe for this reader (as turns do: for_reader)."""
        safe = rtl_safe(self.language, message.reply())
        return replace(message, text=safe.text, keyboard=safe.keyboard)


class Router:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, topic_titles: dict[str, str],
                 policy: routing.RoutingPolicy = routing.DEFAULT_POLICY,
                 translation: MachineTranslation | None = None) -> None:
        self._knowledge = knowledge
        self.catalogs = catalogs
        self._titles = topic_titles  # flow id -> English title (translated per reader)
        self.policy = policy
        self.translation = translation

    def request_of(self, handoff: h.Handoff) -> routing.Request:
        """The question as routing sees it, with the languages machine translation bridges
        to and from the newcomer's (both ways: the replies are translated back)."""
        request = handoff.request()
        if self.translation is None:
            return request
        bridged = frozenset(other for other in languages.CODES
                            if self.translation.can(request.language, other)
                            and self.translation.can(other, request.language))
        return replace(request, translated=bridged)

    def through_translation(self, profile: Profile, handoff: h.Handoff) -> bool:
        """Whether this sleutelpersoon would read the newcomer through machine translation."""
        return not routing.speaks(profile, handoff.language) and routing.understands(
            profile, self.request_of(handoff))

    async def candidates(self, uow: UnitOfWork, handoff: h.Handoff) -> list[routing.Candidate]:
        """Sleutelpersonen of the question's municipality: a profile that serves it and the
        role there (a profile outlives nothing: it goes with the last role, but be sure)."""
        holders = {g.telegram_id for g in await uow.roles.in_municipality(handoff.municipality)
                   if g.role is Role.SLEUTELPERSOON}
        newcomer = await uow.people.get(handoff.newcomer_id) if handoff.newcomer_id else None
        profiles = [p for p in await uow.profiles.serving(handoff.municipality)
                    if p.telegram_id in holders
                    and (newcomer is None or p.telegram_id != newcomer.telegram_id)]
        loads = await uow.handoffs.loads([p.telegram_id for p in profiles])
        return [routing.Candidate(p, loads.get(p.telegram_id, routing.Load())) for p in profiles]

    async def reachable(self, uow: UnitOfWork, municipality: str, language: str) -> bool:
        """Whether a question in `language` can reach anyone here: a sleutelpersoon who
        speaks it and is not paused, or a coordinator (who is told and can find someone)."""
        grants = await uow.roles.in_municipality(municipality)
        if any(g.role is Role.COORDINATOR for g in grants):
            return True
        holders = {g.telegram_id for g in grants if g.role is Role.SLEUTELPERSOON}
        return any(p.telegram_id in holders and language in p.languages and not p.paused
                   for p in await uow.profiles.serving(municipality))

    async def speaks(self, uow: UnitOfWork, municipality: str, language: str) -> bool:
        """Whether a sleutelpersoon here speaks `language` (paused or not: they may be back)."""
        holders = {g.telegram_id for g in await uow.roles.in_municipality(municipality)
                   if g.role is Role.SLEUTELPERSOON}
        return any(p.telegram_id in holders and language in p.languages
                   for p in await uow.profiles.serving(municipality))

    async def has_coordinators(self, uow: UnitOfWork, municipality: str) -> bool:
        return any(g.role is Role.COORDINATOR
                   for g in await uow.roles.in_municipality(municipality))

    async def route(self, uow: UnitOfWork, handoff: h.Handoff, now: datetime, *,
                    urgent: bool = False, told: bool = False) -> routing.Decision:
        """Decide and act for a waiting question. `told`: the newcomer just read an honest
        status, so "it takes longer" needs no message of its own this time."""
        candidates = await self.candidates(uow, handoff)
        decision = routing.decide(self.request_of(handoff), candidates, now, handoff.progress,
                                  self.policy)
        for candidate in decision.notify:
            await self._ask_to_claim(uow, handoff, candidate, now, urgent=urgent,
                                     widened=decision.widened)
        if routing.Action.NOTIFY_COORDINATORS in decision.actions:
            await self._tell_coordinators(uow, handoff, bool(decision.eligible), now)
        if routing.Action.TELL_NEWCOMER in decision.actions and not told:
            await self._tell_newcomer_slow(uow, handoff, now)
        handoff.progress = handoff.progress.after(decision)
        # Nothing planned (everyone who fits is full, or nobody fits yet): look again now
        # and then, so a freed place or a newly invited sleutelpersoon is asked too.
        handoff.wake_at = decision.wake_at or now + RECHECK
        await uow.handoffs.save_routing(handoff)
        return decision

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Decide again for every waiting question whose time has come; returns how many."""
        handled = 0
        while True:
            async with uow_factory() as uow:
                due = await uow.handoffs.due(now, TICK_BATCH)
                for handoff in due:
                    await self.route(uow, handoff, now)
                await uow.commit()
            handled += len(due)
            if len(due) < TICK_BATCH:
                return handled

    async def retire_requests(self, uow: UnitOfWork, handoff: h.Handoff, now: datetime, *,
                              taken_by: int | None = None) -> None:
        """The question was taken (by `taken_by`) or cancelled: requests not sent yet never
        go, and those sent are edited to say so, without the button."""
        await uow.outbox.withdraw(asking_key(handoff.id), now)
        for recipient_id, message_id in await uow.outbox.sent_under(asking_key(handoff.id)):
            person = await uow.people.get(recipient_id)
            if person is None or person.telegram_id == taken_by:
                continue
            reader = Reader(self.catalogs, person.language)
            _ = reader.gettext
            text = _("✅ Another sleutelpersoon has taken this question. Thank you!") \
                if taken_by is not None else _("This question was cancelled by the newcomer.")
            await uow.outbox.add(outbox.Outgoing(
                recipient_id, outbox.Kind.NOTIFICATION,
                outbox.Message(f"{self.about(reader, handoff)}\n{text}", edit_of=message_id),
                f"handoff:{handoff.id}:retired:{message_id}"), now)

    # -- the messages ------------------------------------------------------------------

    def claim_card(self, reader: Reader, handoff: h.Handoff, media: list[h.Media], *,
                   urgent: bool = False, widened: bool = False, transfer_from: str = "",
                   translated: bool = False) -> str:
        """What a sleutelpersoon reads before taking a question: never who the newcomer is."""
        _ = reader.gettext
        lines = [_("🙋 <b>A newcomer asks for a person</b>") if handoff.source
                 is not h.Source.REACH_OUT else _("👋 <b>A newcomer to reach out to</b>"),
                 self.about(reader, handoff)]
        if handoff.source is h.Source.CHECKIN:
            lines.append(_("From a check-in after their begeleiding ended: they asked for "
                           "help."))
            if (area := area_of_path(handoff.path)) is not None:
                lines.append(_("What is difficult:") + " " + _(AREA_LABELS[area]))
        elif handoff.source is h.Source.ACCOMPANY:
            lines.append(_("🤝 They would like someone who speaks their language to go with "
                           "them to this event. Take it to agree where to meet."))
        elif handoff.source is h.Source.REACH_OUT:
            lines.append(_("A coordinator asks for someone who speaks their language: they "
                           "did not answer the check-ins after their begeleiding ended. Take "
                           "it, and Wegwijs tells them you would like to know how they are; "
                           "their reply comes to you."))
        if handoff.summary:
            lines.append(f"“{staff.fill_for(reader.language, '{s}', s=handoff.summary)}”")
        extra = [m for m in media if m is not h.Media.TEXT]
        if extra:
            lines.append(reader.fill(_("Attached: {what}. You see it after taking the "
                                       "question."), what=" ".join(MEDIA_ICONS[m]
                                                                   for m in extra)))
        if translated:
            lines.append(reader.fill(_(
                "🤖 Nobody who speaks {language} can take it now. Their messages come to you "
                "with a machine translation, and yours go to them translated; it may contain "
                "mistakes, so write short, simple sentences."),
                language=language_name(handoff.language, reader.language)))
        if urgent:
            lines.append(_("⚠️ The message may be about an emergency. The newcomer was shown "
                           "112 and the huisartsenpost."))
        if transfer_from:
            lines.append(reader.fill(_("{name} asks you to take over this conversation."),
                                     name=transfer_from))
        elif widened:
            lines.append(_("Nobody has taken it yet, so more sleutelpersonen are asked now."))
        return "\n".join(lines)

    def about(self, reader: Reader, handoff: h.Handoff) -> str:
        """'Newcomer A7F3 · Tigrinya · Leiden · Topic: Toeslagen' in the reader's language."""
        _ = reader.gettext
        parts = [reader.fill(_("Newcomer {name}"), name=handoff.label()),
                 reader.fill("{x}", x=language_name(handoff.language, reader.language)),
                 reader.fill("{x}", x=staff.municipality_name(self._knowledge,
                                                                  handoff.municipality))]
        if handoff.topic and handoff.topic in self._titles:
            parts.append(reader.fill(_("Topic: {topic}"), topic=self.topic_title(
                reader, handoff.topic)))
        return " · ".join(parts)

    def has_topic(self, topic: str) -> bool:
        return topic in self._titles

    def topic_title(self, reader: Reader, topic: str) -> str:
        return reader.tr.pgettext(contexts.flow_title(topic), self._titles[topic])

    async def _ask_to_claim(self, uow: UnitOfWork, handoff: h.Handoff,
                            candidate: routing.Candidate, now: datetime, *, urgent: bool,
                            widened: bool) -> None:
        person = await uow.people.by_telegram_id(candidate.telegram_id)
        if person is None:
            return
        reader = Reader(self.catalogs, person.language)
        text = self.claim_card(reader, handoff, await uow.handoffs.media_of(handoff.id),
                               urgent=urgent, widened=widened,
                               translated=self.through_translation(candidate.profile, handoff))
        keyboard = ((Button(reader.gettext("✋ Take this question"),
                            f"{HELPER_SCOPE}:claim:{handoff.id}"),),)
        # Someone who set hours asked to be asked in them, evenings too; without hours,
        # quiet hours keep a request from waking them at night.
        await uow.outbox.add(outbox.Outgoing(
            person.id, outbox.Kind.NOTIFICATION, outbox.Message(text, keyboard),
            # Asked again after a release is a new request: when, and how many had been
            # asked then, tell them apart.
            f"{asking_key(handoff.id)}{candidate.telegram_id}:{now.isoformat()}:"
            f"{len(handoff.progress.asked)}",
            awaited=bool(candidate.profile.windows) or urgent), now)

    async def _tell_coordinators(self, uow: UnitOfWork, handoff: h.Handoff,
                                 someone_available: bool, now: datetime) -> None:
        coordinators = {g.telegram_id for g in await uow.roles.in_municipality(
            handoff.municipality) if g.role is Role.COORDINATOR}
        for telegram_id in sorted(coordinators):
            person = await uow.people.by_telegram_id(telegram_id)
            if person is None:
                continue
            reader = Reader(self.catalogs, person.language)
            _ = reader.gettext
            lines = [_("⏳ <b>A question is waiting for a sleutelpersoon</b>"),
                     self.about(reader, handoff)]
            lines.append(_("All sleutelpersonen who could take it have been asked now.")
                         if someone_available else reader.fill(
                _("Nobody who speaks {language} and helps in this municipality can take it "
                  "now (none, all paused, or all full). Please find someone, or invite a "
                  "sleutelpersoon with /invite."),
                language=language_name(handoff.language, reader.language)))
            lines.append(_("/queue shows every open question."))
            await uow.outbox.add(outbox.Outgoing(
                person.id, outbox.Kind.NOTIFICATION, outbox.Message("\n".join(lines)),
                f"handoff:{handoff.id}:coordinator:{telegram_id}"), now)

    async def _tell_newcomer_slow(self, uow: UnitOfWork, handoff: h.Handoff,
                                  now: datetime) -> None:
        if handoff.newcomer_id is None or handoff.source is h.Source.REACH_OUT:
            return  # they did not ask: someone will write to them, or nobody
        newcomer = await uow.people.get(handoff.newcomer_id)
        if newcomer is None:
            return
        reader = Reader(self.catalogs, newcomer.language)
        text = reader.fill(reader.gettext(
            "Finding a person who speaks {language} takes longer than usual. We have asked "
            "more people. Your question stays open: you can add messages, or cancel it with "
            "/person."), language=language_name(handoff.language, reader.language))
        await uow.outbox.add(outbox.Outgoing(
            newcomer.id, outbox.Kind.NOTIFICATION, outbox.Message(text),
            f"handoff:{handoff.id}:slow", awaited=True), now)
