"""An announcement on one screen (bot.services.broadcast_compose writes it): who gets it
in which language and with which text, the buttons to ask sleutelpersonen for a version or
send a language the coordinator's own text, the preview exactly as readers get it, sending
(a second confirmation above 1,000 people) and cancelling."""

from __future__ import annotations

from dataclasses import replace

from bot.content.knowledge import Knowledge
from bot.domain import audit
from bot.domain import broadcast as b
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.services import announcements as a
from bot.services import staff
from bot.services.broadcast_versions import BroadcastVersions
from bot.services.broadcasts import Broadcasts, plan_of, text_for
from bot.services.handoff_routing import Reader
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = a.SCOPE
FLOW = "broadcast"
COUNT_BATCH = 2000  # people read at a time to count an audience


class BroadcastSummary:
    def __init__(self, knowledge: Knowledge, runner: Broadcasts,
                 versions: BroadcastVersions) -> None:
        self._knowledge = knowledge
        self._runner = runner
        self._versions = versions

    async def counts(self, turn: Turn, audience: b.Audience) -> dict[str, int]:
        counts = dict.fromkeys(audience.codes, 0)
        after = 0
        while batch := await turn.uow.broadcasts.candidates(audience, after, COUNT_BATCH):
            for language, n in b.count_by_language(batch, audience).items():
                counts[language] += n
            after = batch[-1].person_id
            if len(batch) < COUNT_BATCH:
                break
        return counts

    async def show(self, turn: Turn, found: b.Broadcast) -> Outcome:
        """Everything about it on one screen, with what can be done next."""
        _ = turn.gettext
        turn.conversation = None if found.state is not b.State.DRAFT else \
            Conversation(FLOW, "summary", {"id": str(found.id)})
        versions = await turn.uow.broadcasts.versions(found.id)
        counts = await self.counts(turn, found.audience) if found.state is b.State.DRAFT \
            else dict(found.counts)
        plan = plan_of(replace(found, counts=counts), versions)
        lines = [turn.fill(_("<b>Announcement {number} to {place}</b>"), number=f"#{found.id}",
                           place=self._place(found.audience.municipality)),
                 self._when_line(turn, found)]
        keyboard: list[tuple[Button, ...]] = []
        for language in plan.languages:
            lines.append("• " + self._versions.state_line(turn, found, language, versions))
            keyboard += self._versions.buttons(turn, found, language, versions)
        if not plan.languages:
            lines.append(_("Nobody is in this audience yet."))
        if plan.holding:
            lines.append(_("It goes out once every language has a text: an approved version, "
                           "or yours."))
        keyboard.append((button(_("👁 Preview"), SCOPE, "preview", str(found.id)),))
        if found.state is b.State.DRAFT:
            keyboard.append((button(_("✏️ Text"), SCOPE, "text", str(found.id)),
                             button(_("👥 Audience"), SCOPE, "audience", str(found.id)),
                             button(_("🕒 Time"), SCOPE, "when", str(found.id))))
            keyboard.append((button(_("✅ Send"), SCOPE, "send", str(found.id)),))
        keyboard.append((button(_("✖️ Cancel"), SCOPE, "cancel", str(found.id)),))
        return Outcome([Reply("\n".join(lines), tuple(keyboard))])

    def _when_line(self, turn: Turn, found: b.Broadcast) -> str:
        _ = turn.gettext
        if found.urgent:
            return _("When: as soon as possible, urgent (also in quiet hours)")
        if found.scheduled_at is None:
            return _("When: as soon as possible (not in quiet hours)")
        return turn.fill(_("When: {time}"), time=a.moment(
            Reader(self._versions.catalogs, turn.language), found.scheduled_at, turn.now,
            self._runner.zone))

    async def preview(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        """Each language exactly as its readers will get it, with how many they are."""
        _ = turn.gettext
        versions = await turn.uow.broadcasts.versions(found.id)
        counts = await self.counts(turn, found.audience) if found.state is b.State.DRAFT \
            else dict(found.counts)
        replies: list[Reply] = []
        place = self._place(found.audience.municipality)
        for language, count in counts.items():
            if not count:
                continue
            name = language_name(language, turn.language)
            text = text_for(found, versions, language)
            if text is None:
                replies.append(Reply(turn.fill(_("👁 {language} ({count} people): no text "
                                                 "yet."), language=name, count=str(count))))
                continue
            replies.append(Reply(turn.fill(_("👁 {language} ({count} people) will read:"),
                                           language=name, count=str(count))))
            message = a.announcement(Reader(self._versions.catalogs, language), place, text,
                                     found)
            if message.copy is not None:  # with its photo or document, as they get it
                kind = _("photo") if found.media and found.media.kind == "photo" \
                    else _("document")
                replies.append(Reply(turn.fill(_("(with the {kind} you sent)"), kind=kind)))
                replies.append(Reply(message.copy.caption or ""))
            else:
                replies.append(Reply(message.text))
        summary = await self.show(turn, found)
        return Outcome(replies + summary.replies)

    async def send(self, turn: Turn, found: b.Broadcast, arg: str) -> Outcome:
        _ = turn.gettext
        counts = await self.counts(turn, found.audience)
        recipients = sum(counts.values())
        confirmations = 2 if arg == "sure" else 1
        reason = b.refusal(found.state, b.State.CONFIRMED, recipients=recipients,
                           confirmations=confirmations)
        if reason is b.Refusal.NO_RECIPIENTS:
            return Outcome([Reply(_("Nobody is in this audience: change the audience "
                                    "first."))])
        if reason is b.Refusal.SECOND_CONFIRMATION:
            text = turn.fill(_("This announcement goes to {count} people. Are you sure?"),
                             count=str(recipients))
            return Outcome([Reply(text, (
                (button(turn.fill(_("Yes, send it to {count} people"),
                                  count=str(recipients)), SCOPE, "send", f"{found.id}-sure"),),
                (button(_("Not yet"), SCOPE, "open", str(found.id)),)))])
        if reason is not None or not await turn.uow.broadcasts.move(
                found.id, b.State.DRAFT, b.State.CONFIRMED, turn.now):
            return Outcome([Reply(_("This announcement was changed meanwhile. Open it again "
                                    "with /broadcast."))])
        versions = await turn.uow.broadcasts.versions(found.id)
        source = versions.get(found.source)
        if source is not None and source.state is not b.VersionState.APPROVED:
            await turn.uow.broadcasts.put_version(found.id, replace(
                source, state=b.VersionState.APPROVED, reviewer_id=turn.person.telegram_id),
                turn.now)  # confirming approves the coordinator's own text
        found = replace(found, state=b.State.CONFIRMED, counts=counts, recipients=recipients)
        await turn.uow.broadcasts.save_draft(found)
        await staff.record(turn, audit.Act.BROADCAST, allowed=True,
                           target=f"broadcast:{found.id}",
                           municipality=found.audience.municipality)
        turn.conversation = None
        plan = plan_of(found, await turn.uow.broadcasts.versions(found.id))
        lines = [turn.fill(_("Confirmed: announcement {number} goes to {count} people."),
                           number=f"#{found.id}", count=str(recipients))]
        if plan.holding:
            lines.append(turn.fill(_("It waits for the texts in: {languages}."),
                                   languages=", ".join(language_name(code, turn.language)
                                                       for code in plan.holding)))
        lines.append(_("A status message follows when it starts; it counts up as it goes."))
        return Outcome([Reply("\n".join(lines))])

    async def cancel(self, turn: Turn, found: b.Broadcast) -> Outcome:
        _ = turn.gettext
        if found.state is b.State.DRAFT:
            done = await turn.uow.broadcasts.move(found.id, b.State.DRAFT, b.State.CANCELLED,
                                                  turn.now)
        else:
            done = await self._runner.cancel(turn.uow, found, turn.now)
        if not done:
            text = _("This announcement has already ended. Nothing was changed.")
            return Outcome([Reply(text)], notice=text)
        if turn.conversation is not None and turn.conversation.flow == FLOW:
            turn.conversation = None
        await staff.record(turn, audit.Act.BROADCAST, allowed=True,
                           target=f"broadcast:{found.id}:cancel",
                           municipality=found.audience.municipality)
        text = turn.fill(_("Announcement {number} is cancelled: nothing more is sent."),
                         number=f"#{found.id}")
        return Outcome([Reply(text)], notice=text)

    async def ask(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        counts = await self.counts(turn, found.audience) if found.state is b.State.DRAFT \
            else dict(found.counts)
        notice = await self._versions.ask(turn, found, language, counts.get(language))
        outcome = await self.show(turn, found)
        outcome.replies.insert(0, Reply(notice))
        return outcome

    async def fallback(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        await self._versions.toggle_fallback(turn, found, language)
        return await self.show(turn, found)

    def _place(self, municipality: str) -> str:
        return staff.municipality_name(self._knowledge, municipality)
