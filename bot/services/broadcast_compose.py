"""/broadcast for coordinators: write an announcement once (Dutch or English, optionally
with one photo or document), choose who gets it and when, get each language's version
from sleutelpersonen (bot.services.broadcast_versions), preview it, and send it; cancel
one that waits or runs.

The draft lives in the broadcasts table from the first step (state DRAFT), the person's
conversation only says which draft and step: a crash halfway loses nothing. Every button
(scope "x") names the broadcast and is checked against the caller's coordinator roles;
forged, stale and foreign ones are refused and audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit
from bot.domain import broadcast as b
from bot.domain.handoff import Media
from bot.domain.incoming import Posted
from bot.domain.person import Role
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
Step = Callable[[Turn, b.Broadcast, str], Awaitable[Outcome]]
FLOW = "broadcast"
COUNT_BATCH = 2000  # people read at a time to count an audience
MEDIA = frozenset({Media.PHOTO.value, Media.DOCUMENT.value})
OPEN_STATES = [b.State.DRAFT, b.State.CONFIRMED, b.State.SENDING]
BEGELEIDING_NEXT = {b.BegeleidingFilter.ANY: b.BegeleidingFilter.RUNNING,
                    b.BegeleidingFilter.RUNNING: b.BegeleidingFilter.ENDED,
                    b.BegeleidingFilter.ENDED: b.BegeleidingFilter.ANY}


def _(message: str) -> str:
    return message  # marks a string for extraction; translated where it is shown


# Shown after "Begeleiding: ".
BEGELEIDING_LABELS = {b.BegeleidingFilter.ANY: _("everyone"),
                      b.BegeleidingFilter.RUNNING: _("still running"),
                      b.BegeleidingFilter.ENDED: _("ended")}


class BroadcastCompose:
    def __init__(self, knowledge: Knowledge, runner: Broadcasts, versions: BroadcastVersions,
                 *, paid: bool = False) -> None:
        self._knowledge = knowledge
        self._runner = runner
        self._versions = versions
        self._paid = paid
        # Buttons while it is a draft, and those that work until it starts (languages).
        self._draft_actions: dict[str, Step] = {
            "src": self._source, "text": self._again, "audience": self._audience,
            "lang": self._toggle_language, "beg": self._cycle_begeleiding,
            "staff": self._toggle_staff, "when": self._when, "now": self._now, "at": self._at,
            "urgent": self._urgent, "send": self._send}
        self._version_actions: dict[str, Step] = {
            "preview": self._preview, "ask": self._ask, "source": self._fallback}

    # -- /broadcast ---------------------------------------------------------------------

    async def command(self, turn: Turn) -> Outcome:
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.BROADCAST, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR),
                                      target="/broadcast")
        _ = turn.gettext
        open_ = await turn.uow.broadcasts.in_municipalities(mine, OPEN_STATES)
        if not open_ and len(mine) == 1:
            return await self._new(turn, mine[0])
        lines = [_("<b>Announcements</b>")]
        keyboard: list[tuple[Button, ...]] = []
        for found in open_:
            lines.append("• " + self._line(turn, found))
            if found.state is not b.State.SENDING:
                keyboard.append((button(turn.fill(_("Open {number}"), number=f"#{found.id}"),
                                        SCOPE, "open", str(found.id)),))
            keyboard.append((button(turn.fill(_("✖️ Cancel {number}"), number=f"#{found.id}"),
                                    SCOPE, "cancel", str(found.id)),))
        if not open_:
            lines.append(_("No announcement is being prepared or sent."))
        for municipality in mine:
            keyboard.append((button(turn.fill(_("➕ New announcement to {place}"),
                                              place=self._place(municipality)),
                                    SCOPE, "new", municipality),))
        return Outcome([Reply("\n".join(lines), tuple(keyboard))])

    def _line(self, turn: Turn, found: b.Broadcast) -> str:
        _ = turn.gettext
        state = {b.State.DRAFT: _("being written"), b.State.CONFIRMED: _("confirmed, waiting"),
                 b.State.SENDING: _("being sent")}.get(found.state, found.state.value)
        return turn.fill(_("{number} to {place}: {state}"), number=f"#{found.id}",
                         place=self._place(found.audience.municipality), state=state)

    async def _new(self, turn: Turn, municipality: str) -> Outcome:
        source = turn.language if turn.language in b.SOURCE_LANGUAGES else "nl"
        draft = b.Broadcast(0, b.Audience(municipality), source, b.State.DRAFT, turn.now,
                            turn.person.telegram_id, paid=self._paid)
        broadcast_id = await turn.uow.broadcasts.add(draft)
        await staff.record(turn, audit.Act.BROADCAST, allowed=True,
                           target=f"broadcast:{broadcast_id}", municipality=municipality)
        turn.conversation = Conversation(FLOW, "source", {"id": str(broadcast_id)})
        _ = turn.gettext
        text = turn.fill(_("<b>New announcement to {place}</b>\nIn which language will you "
                           "write it? Sleutelpersonen write the other languages."),
                         place=self._place(municipality))
        return Outcome([Reply(text, (
            (button("Nederlands", SCOPE, "src", f"{broadcast_id}-nl"),
             button("English", SCOPE, "src", f"{broadcast_id}-en")),))])

    # -- buttons ------------------------------------------------------------------------

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        mine = await staff.where(turn, Role.COORDINATOR)
        if not mine:
            return await staff.refuse(turn, audit.Act.BROADCAST, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.COORDINATOR), target=data[:40])
        _ = turn.gettext
        if action is not None and action.name == "new":
            if action.value not in mine:
                return await staff.refuse(turn, audit.Act.BROADCAST,
                                          audit.Reason.OTHER_MUNICIPALITY,
                                          _("You are not a coordinator there. Nothing was "
                                            "changed."), target=data[:40])
            return await self._new(turn, action.value)
        number, _sep, arg = (action.value if action else "").partition("-")
        found = await turn.uow.broadcasts.get(int(number)) \
            if number.isdigit() and len(number) <= 9 else None
        if action is None or found is None:
            return await staff.refuse(turn, audit.Act.BROADCAST, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=data[:40])
        target = f"broadcast:{found.id}"
        if found.audience.municipality not in mine:
            return await staff.refuse(turn, audit.Act.BROADCAST,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      _("This announcement belongs to another municipality. "
                                        "Nothing was changed."), target=target,
                                      municipality=found.audience.municipality)
        if action.name == "cancel":
            return await self._cancel(turn, found)
        if action.name == "open":
            return await self._open(turn, found)
        if found.state is b.State.DRAFT and action.name in self._draft_actions:
            return await self._draft_actions[action.name](turn, found, arg)
        if found.state in (b.State.DRAFT, b.State.CONFIRMED) and action.name in \
                self._version_actions:
            return await self._version_actions[action.name](turn, found, arg)
        return await staff.refuse(turn, audit.Act.BROADCAST, audit.Reason.STALE,
                                  _("This button is from an older message. Open the "
                                    "announcement again with /broadcast."), target=target)

    async def _open(self, turn: Turn, found: b.Broadcast) -> Outcome:
        if found.state is b.State.DRAFT:
            versions = await turn.uow.broadcasts.versions(found.id)
            if found.source not in versions:
                return self._ask_text(turn, found)
        if found.state not in (b.State.DRAFT, b.State.CONFIRMED):
            return Outcome([Reply(self._line(turn, found))])
        return await self.summary(turn, found)

    async def _source(self, turn: Turn, found: b.Broadcast, arg: str) -> Outcome:
        if arg not in b.SOURCE_LANGUAGES:
            return await self.summary(turn, found)
        found = replace(found, source=arg)
        await turn.uow.broadcasts.save_draft(found)
        return self._ask_text(turn, found)

    def _ask_text(self, turn: Turn, found: b.Broadcast) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "text", {"id": str(found.id)})
        text = turn.fill(_("Write the announcement in {language}, in plain words, as one "
                           "message (at most {limit} characters). You may send one photo or "
                           "document with the text as its caption instead (then at most "
                           "{short} characters)."),
                         language=language_name(found.source, turn.language),
                         limit=str(a.max_text(False)), short=str(a.max_text(True)))
        return Outcome([Reply(text)])

    async def _again(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        return self._ask_text(turn, found)

    # -- messages while composing -------------------------------------------------------

    def composing(self, turn: Turn) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == FLOW

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        """The text (or photo/document with caption), or the chosen time."""
        conv = turn.conversation
        assert conv is not None
        _ = turn.gettext
        number = conv.data.get("id", "")
        found = await turn.uow.broadcasts.get(int(number)) if number.isdigit() else None
        if found is None or found.state is not b.State.DRAFT \
                or found.audience.municipality not in await staff.where(turn, Role.COORDINATOR):
            turn.conversation = None
            return Outcome([Reply(_("This announcement can no longer be changed. Start a new "
                                    "one with /broadcast."))])
        if conv.step == "time":
            return await self._time(turn, found, posted.text or "")
        if conv.step != "text":
            return Outcome([Reply(_("Please choose one of the buttons."))])
        media = posted.media in MEDIA
        if not posted.is_text and not media:
            return Outcome([Reply(_("Only a photo or a document can go with an announcement. "
                                    "Send the text, or a photo or document with the text as "
                                    "its caption."))])
        text = (posted.text or "").strip()
        if not a.fits(text, media):
            return Outcome([Reply(turn.fill(
                _("The text must be 1 to {limit} characters. Please send it again."),
                limit=str(a.max_text(media))))])
        found = replace(found, media=b.Media(posted.media, turn.person.chat_id,
                                             posted.message_id) if media else None)
        await turn.uow.broadcasts.save_draft(found)
        await turn.uow.broadcasts.put_version(found.id, b.Version(
            found.source, text, b.VersionState.WRITTEN, author_id=turn.person.telegram_id),
            turn.now)
        return await self._audience(turn, found, "")

    # -- audience and time ----------------------------------------------------------------

    async def _audience(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "audience", {"id": str(found.id)})
        audience = found.audience
        counts = await self.counts(turn, audience)
        lines = [_("<b>Who gets it?</b> Tap to change."),
                 turn.fill(_("People in this audience now: {count}"),
                           count=str(sum(counts.values())))]
        chosen = audience.codes
        rows: list[tuple[Button, ...]] = [tuple(
            button(("✅ " if code in chosen else "▫️ ") + language_name(code, turn.language),
                   SCOPE, "lang", f"{found.id}-{code}") for code in b.ALL_LANGUAGES)]
        if not audience.sleutelpersonen_only:
            rows.append((button(turn.fill(_("Begeleiding: {which}"),
                                          which=_(BEGELEIDING_LABELS[audience.begeleiding])),
                                SCOPE, "beg", str(found.id)),))
        rows.append((button(_("Only sleutelpersonen: yes") if audience.sleutelpersonen_only
                            else _("Only sleutelpersonen: no"), SCOPE, "staff", str(found.id)),))
        rows.append((button(_("Next ➡️"), SCOPE, "when", str(found.id)),))
        return Outcome([Reply("\n".join(lines), tuple(rows))])

    async def _toggle_language(self, turn: Turn, found: b.Broadcast, code: str) -> Outcome:
        if code in b.ALL_LANGUAGES:
            chosen = set(found.audience.codes) ^ {code}
            if chosen:  # never none: all four is the empty set
                every = chosen == set(b.ALL_LANGUAGES)
                found = replace(found, audience=replace(
                    found.audience, languages=frozenset() if every else frozenset(chosen)))
                await turn.uow.broadcasts.save_draft(found)
        return await self._audience(turn, found, "")

    async def _cycle_begeleiding(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        if not found.audience.sleutelpersonen_only:
            found = replace(found, audience=replace(
                found.audience, begeleiding=BEGELEIDING_NEXT[found.audience.begeleiding]))
            await turn.uow.broadcasts.save_draft(found)
        return await self._audience(turn, found, "")

    async def _toggle_staff(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        only = not found.audience.sleutelpersonen_only
        found = replace(found, audience=replace(found.audience, sleutelpersonen_only=only,
                                                begeleiding=b.BegeleidingFilter.ANY))
        await turn.uow.broadcasts.save_draft(found)
        return await self._audience(turn, found, "")

    async def _when(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "when", {"id": str(found.id)})
        quiet = self._runner.quiet
        hours = f"{quiet.start:%H:%M}–{quiet.end:%H:%M}" if quiet else ""
        lines = [_("<b>When should it go?</b>")]
        if quiet is not None:
            lines.append(turn.fill(_("Announcements wait for the morning in quiet hours "
                                     "({hours}), unless they are urgent."), hours=hours))
        return Outcome([Reply("\n".join(lines), (
            (button(_("As soon as possible"), SCOPE, "now", str(found.id)),),
            (button(_("At a time I choose"), SCOPE, "at", str(found.id)),),
            (button(_("🚨 Urgent: now, also in quiet hours"), SCOPE, "urgent",
                    str(found.id)),)))])

    async def _now(self, turn: Turn, found: b.Broadcast, arg: str) -> Outcome:
        found = replace(found, scheduled_at=None, urgent=arg == "urgent")
        await turn.uow.broadcasts.save_draft(found)
        return await self.summary(turn, found)

    async def _urgent(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        return await self._now(turn, found, "urgent")

    async def _at(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "time", {"id": str(found.id)})
        example = (turn.now.astimezone(self._runner.zone)).strftime("%Y-%m-%d") + " 18:30"
        return Outcome([Reply(turn.fill(_("Type the date and time, for example {example} "
                                          "(Dutch time)."), example=example))])

    async def _time(self, turn: Turn, found: b.Broadcast, typed: str) -> Outcome:
        _ = turn.gettext
        try:
            local = datetime.strptime(" ".join(typed.split()), "%Y-%m-%d %H:%M")
            moment = b.scheduled_utc(local, self._runner.zone, turn.now)
        except ValueError:
            return Outcome([Reply(turn.fill(_("I could not read that as a date and time in "
                                              "the future. Type it like {example}."),
                                            example="2027-01-15 18:30"))])
        found = replace(found, scheduled_at=moment, urgent=False)
        await turn.uow.broadcasts.save_draft(found)
        return await self.summary(turn, found)

    # -- summary, preview, send -----------------------------------------------------------

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

    async def summary(self, turn: Turn, found: b.Broadcast) -> Outcome:
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

    async def _preview(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
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
        summary = await self.summary(turn, found)
        return Outcome(replies + summary.replies)

    async def _send(self, turn: Turn, found: b.Broadcast, arg: str) -> Outcome:
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

    async def _cancel(self, turn: Turn, found: b.Broadcast) -> Outcome:
        _ = turn.gettext
        if found.state is b.State.DRAFT:
            done = await turn.uow.broadcasts.move(found.id, b.State.DRAFT, b.State.CANCELLED,
                                                  turn.now)
        else:
            done = await self._runner.cancel(turn.uow, found, turn.now)
        if not done:
            text = _("This announcement has already ended. Nothing was changed.")
            return Outcome([Reply(text)], notice=text)
        if self.composing(turn):
            turn.conversation = None
        await staff.record(turn, audit.Act.BROADCAST, allowed=True,
                           target=f"broadcast:{found.id}:cancel",
                           municipality=found.audience.municipality)
        text = turn.fill(_("Announcement {number} is cancelled: nothing more is sent."),
                         number=f"#{found.id}")
        return Outcome([Reply(text)], notice=text)

    async def _ask(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        counts = await self.counts(turn, found.audience) if found.state is b.State.DRAFT \
            else dict(found.counts)
        notice = await self._versions.ask(turn, found, language, counts.get(language))
        outcome = await self.summary(turn, found)
        outcome.replies.insert(0, Reply(notice))
        return outcome

    async def _fallback(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        await self._versions.toggle_fallback(turn, found, language)
        return await self.summary(turn, found)

    def _place(self, municipality: str) -> str:
        return staff.municipality_name(self._knowledge, municipality)

