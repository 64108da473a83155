"""/broadcast for coordinators: write an announcement once (Dutch or English, optionally
with one photo or document) and choose who gets it and when; then its summary
(bot.services.broadcast_summary): each language's version from sleutelpersonen
(bot.services.broadcast_versions), the preview, sending, cancelling.

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
from bot.domain import broadcast_timing as t
from bot.domain.handoff import Media
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.services import announcements as a
from bot.services import staff
from bot.services.broadcast_summary import FLOW, BroadcastSummary
from bot.services.broadcast_versions import BroadcastVersions
from bot.services.broadcasts import Broadcasts
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = a.SCOPE
Step = Callable[[Turn, b.Broadcast, str], Awaitable[Outcome]]
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
        self.summary = BroadcastSummary(knowledge, runner, versions)
        # Buttons while it is a draft, and those that work until it starts (languages).
        self._draft_actions: dict[str, Step] = {
            "src": self._source, "text": self._again, "audience": self._audience,
            "lang": self._toggle_language, "beg": self._cycle_begeleiding,
            "staff": self._toggle_staff, "when": self._when, "now": self._now, "at": self._at,
            "urgent": self._urgent, "send": self.summary.send}
        self._version_actions: dict[str, Step] = {
            "preview": self.summary.preview, "ask": self.summary.ask,
            "source": self.summary.fallback}

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
            return await self.summary.cancel(turn, found)
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
        return await self.summary.show(turn, found)

    async def _source(self, turn: Turn, found: b.Broadcast, arg: str) -> Outcome:
        if arg not in b.SOURCE_LANGUAGES:
            return await self.summary.show(turn, found)
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
        outdated = await self._new_text(turn, found, text)
        outcome = await self._audience(turn, found, "")
        if outdated:  # versions of the old text: written again from the new one
            outcome.replies.insert(0, Reply(turn.fill(
                _("The versions in {languages} were written for the old text: ask for them "
                  "again."), languages=", ".join(language_name(code, turn.language)
                                                 for code in outdated))))
        return outcome

    @staticmethod
    async def _new_text(turn: Turn, found: b.Broadcast, text: str) -> list[str]:
        """Save the coordinator's text; versions of another text no longer count. Returns
        the languages whose version was set back."""
        versions = await turn.uow.broadcasts.versions(found.id)
        old = versions.get(found.source)
        await turn.uow.broadcasts.put_version(found.id, b.Version(
            found.source, text, b.VersionState.WRITTEN, author_id=turn.person.telegram_id),
            turn.now)
        outdated = []
        for language, version in versions.items():
            if language == found.source or version.state is b.VersionState.MISSING \
                    or (old is not None and old.text == text):
                continue
            await turn.uow.broadcasts.put_version(found.id, b.Version(
                language, "", b.VersionState.MISSING, version.fallback), turn.now)
            outdated.append(language)
        return outdated

    # -- audience and time ----------------------------------------------------------------

    async def _audience(self, turn: Turn, found: b.Broadcast, _arg: str) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "audience", {"id": str(found.id)})
        audience = found.audience
        counts = await self.summary.counts(turn, audience)
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
        return await self.summary.show(turn, found)

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
            moment = t.scheduled_utc(local, self._runner.zone, turn.now)
        except ValueError:
            return Outcome([Reply(turn.fill(_("I could not read that as a date and time in "
                                              "the future. Type it like {example}."),
                                            example="2027-01-15 18:30"))])
        found = replace(found, scheduled_at=moment, urgent=False)
        await turn.uow.broadcasts.save_draft(found)
        return await self.summary.show(turn, found)

    def _place(self, municipality: str) -> str:
        return staff.municipality_name(self._knowledge, municipality)

