"""A broadcast's versions per language, written and approved by sleutelpersonen.

The coordinator asks the sleutelpersonen of the municipality who speak a language (not on
a pause) to write its version: each gets a request in the bot with the coordinator's text
(scope "v"). One of them writes the text, sees it exactly as its readers will, and
approves it; the coordinator is told who did. Until a language is approved it waits,
unless the coordinator chose to send those readers the Dutch or English text instead.
Nothing unapproved goes out (bot.domain.broadcast.plan_versions).
"""

from __future__ import annotations

from dataclasses import replace

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit, outbox
from bot.domain import broadcast as b
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.domain.sleutelpersoon import Profile
from bot.services import announcements as a
from bot.services import staff
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = "v"  # v:write:<broadcast>-<language>, v:ok:<broadcast>-<language>
FLOW = "broadcast-version"
_ = a._  # marks strings for extraction


class BroadcastVersions:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs) -> None:
        self._knowledge = knowledge
        self.catalogs = catalogs

    # -- the coordinator's side (shown in bot.services.broadcast_compose) ---------------

    def state_line(self, turn: Turn, found: b.Broadcast, plan: b.LanguagePlan,
                   versions: dict[str, b.Version]) -> str:
        _ = turn.gettext
        name = language_name(plan.language, turn.language)
        version = versions.get(plan.language)
        if plan.language == found.source:
            state = _("your text")
        elif plan.state is b.VersionState.APPROVED:
            state = _("approved by a sleutelpersoon")
        elif plan.send is b.Send.SOURCE:
            state = turn.fill(_("gets your {language} text"),
                              language=language_name(found.source, turn.language))
        elif version is not None and version.state is b.VersionState.REVIEW_REQUESTED:
            state = _("asked sleutelpersonen; waiting for their version")
        else:
            state = _("no text yet: ask sleutelpersonen, or send your text")
        return turn.fill(_("{language}: {count} people, {state}"), language=name,
                         count=str(plan.recipients), state=state)

    def buttons(self, turn: Turn, found: b.Broadcast, plan: b.LanguagePlan,
                versions: dict[str, b.Version]) -> list[tuple[Button, ...]]:
        if plan.language == found.source or plan.state is b.VersionState.APPROVED:
            return []
        _ = turn.gettext
        name = language_name(plan.language, turn.language)
        value = f"{found.id}-{plan.language}"
        ask = button(turn.fill(_("✍️ Ask for the {language} version"), language=name),
                     a.SCOPE, "ask", value)
        if plan.send is b.Send.SOURCE:
            choice = button(turn.fill(_("Wait for the {language} version"), language=name),
                            a.SCOPE, "source", value)
        else:
            choice = button(turn.fill(_("Send your {source} text to {language} readers"),
                                      source=language_name(found.source, turn.language),
                                      language=name), a.SCOPE, "source", value)
        return [(ask,), (choice,)]

    async def ask(self, turn: Turn, found: b.Broadcast, language: str,
                  count: int | None) -> str:
        """Ask every sleutelpersoon here who speaks `language` to write its version; what
        to tell the coordinator."""
        _ = turn.gettext
        name = language_name(language, turn.language)
        if language not in b.ALL_LANGUAGES or language == found.source:
            return _("Nothing to ask for this language.")
        writers = await self.writers(turn.uow, found.audience.municipality, language)
        if not writers:
            return turn.fill(_("No sleutelpersoon here speaks {language} (or all are on a "
                               "pause). Invite one with /invite, or send these readers your "
                               "text."), language=name)
        versions = await turn.uow.broadcasts.versions(found.id)
        current = versions.get(language)
        source = versions.get(found.source)
        await turn.uow.broadcasts.put_version(found.id, b.Version(
            language, current.text if current else "", b.VersionState.REVIEW_REQUESTED,
            current.fallback if current else b.Fallback.WAIT), turn.now)
        for person_id, profile, reader_language in writers:
            reader = Reader(self.catalogs, reader_language)
            await turn.uow.outbox.add(outbox.Outgoing(
                person_id, outbox.Kind.NOTIFICATION,
                self._request(reader, found, language, source.text if source else "", count),
                f"broadcast:{found.id}:ask:{language}:{profile.telegram_id}"), turn.now)
        return turn.fill(_("Asked {count} sleutelpersonen who speak {language}: {names}."),
                         count=str(len(writers)), language=name,
                         names=", ".join(p.display_name for _id, p, _lang in writers))

    def _request(self, reader: Reader, found: b.Broadcast, language: str, text: str,
                 count: int | None) -> outbox.Message:
        name = language_name(language, reader.language)
        place = staff.municipality_name(self._knowledge, found.audience.municipality)
        lines = [a.say(reader, _("📢 The coordinators in {place} ask you to write the "
                                 "{language} version of an announcement."),
                       place=place, language=name),
                 a.say(reader, _("Their text in {language}:"),
                       language=language_name(found.source, reader.language)),
                 f"<blockquote>{a.escape(text)}</blockquote>",
                 reader.gettext("Write it in plain words. It goes out only after you approve "
                                "it. Other sleutelpersonen may have been asked too: the first "
                                "version approved is the one that goes out.")]
        if count:
            lines.insert(1, a.say(reader, _("It goes to {count} people who read {language}."),
                                  count=str(count), language=name))
        keyboard = ((Button(a.say(reader, _("✍️ Write the {language} version"),
                                  language=name), f"{SCOPE}:write:{found.id}-{language}"),),)
        draft = outbox.Translate(text, found.source, language, reader.language) \
            if text else None  # a machine draft, when a model serves the pair
        return replace(reader.readable(outbox.Message("\n".join(lines), keyboard)),
                       draft=draft)

    async def toggle_fallback(self, turn: Turn, found: b.Broadcast, language: str) -> None:
        if language not in b.ALL_LANGUAGES or language == found.source:
            return
        current = (await turn.uow.broadcasts.versions(found.id)).get(language)
        version = current or b.Version(language, "", b.VersionState.MISSING)
        fallback = b.Fallback.WAIT if version.fallback is b.Fallback.SOURCE \
            else b.Fallback.SOURCE
        await turn.uow.broadcasts.put_version(found.id, replace(version, fallback=fallback),
                                              turn.now)

    async def writers(self, uow: UnitOfWork, municipality: str,
                      language: str) -> list[tuple[int, Profile, str]]:
        """(person id, profile, the language they read the bot in) of the sleutelpersonen
        here who speak `language` and are not on a pause."""
        holders = {g.telegram_id for g in await uow.roles.in_municipality(municipality)
                   if g.role is Role.SLEUTELPERSOON}
        found = []
        for profile in await uow.profiles.serving(municipality):
            if profile.telegram_id not in holders or profile.paused \
                    or language not in profile.languages:
                continue
            person = await uow.people.by_telegram_id(profile.telegram_id)
            if person is not None:
                found.append((person.id, profile,
                              person.language or profile.interface_language))
        return found

    # -- the sleutelpersoon's side --------------------------------------------------------

    def writing(self, turn: Turn) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == FLOW

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        action = actions.parse(data)
        _ = turn.gettext
        number, _sep, language = (action.value if action else "").partition("-")
        found = await turn.uow.broadcasts.get(int(number)) \
            if number.isdigit() and len(number) <= 9 else None
        if action is None or action.name not in ("write", "ok") or found is None \
                or language not in b.ALL_LANGUAGES:
            return await staff.refuse(turn, audit.Act.BROADCAST_VERSION, audit.Reason.FORGED,
                                      _("I do not recognise this button."), target=data[:40])
        refused = await self._refusal(turn, found, language)
        if refused is not None:
            return refused
        if action.name == "write":
            return self._ask_text(turn, found, language)
        return await self._approve(turn, found, language)

    async def _refusal(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome | None:
        _ = turn.gettext
        target = f"broadcast:{found.id}:{language}"
        municipality = found.audience.municipality
        where = await staff.where(turn, Role.SLEUTELPERSOON)
        if not where:
            return await staff.refuse(turn, audit.Act.BROADCAST_VERSION, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON), target=target)
        if municipality not in where:
            return await staff.refuse(turn, audit.Act.BROADCAST_VERSION,
                                      audit.Reason.OTHER_MUNICIPALITY,
                                      _("Only sleutelpersonen of this municipality can write "
                                        "its versions. Nothing was changed."),
                                      target=target, municipality=municipality)
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        if profile is None or language not in profile.languages:
            return await staff.refuse(turn, audit.Act.BROADCAST_VERSION,
                                      audit.Reason.NOT_ELIGIBLE,
                                      _("Your profile does not say you speak this language. "
                                        "Nothing was changed."), target=target,
                                      municipality=municipality)
        version = (await turn.uow.broadcasts.versions(found.id)).get(language)
        if found.state not in (b.State.DRAFT, b.State.CONFIRMED) or version is None \
                or version.state is b.VersionState.APPROVED:
            turn.conversation = None
            return await staff.refuse(turn, audit.Act.BROADCAST_VERSION, audit.Reason.STALE,
                                      _("This version is no longer needed: it was approved "
                                        "already, or the announcement was sent or "
                                        "cancelled. Thank you!"), target=target,
                                      municipality=municipality)
        return None

    def _ask_text(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "text", {"id": str(found.id),
                                                        "lang": language})
        text = turn.fill(_("Write the {language} text as one message, at most {limit} "
                           "characters. You will see it as its readers will before you "
                           "approve it."), language=language_name(language, turn.language),
                         limit=str(a.max_text(found.media is not None)))
        return Outcome([Reply(text)])

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        conv = turn.conversation
        assert conv is not None
        _ = turn.gettext
        number, language = conv.data.get("id", ""), conv.data.get("lang", "")
        found = await turn.uow.broadcasts.get(int(number)) if number.isdigit() else None
        if found is None:
            turn.conversation = None
            return Outcome([Reply(_("This announcement no longer exists."))])
        refused = await self._refusal(turn, found, language)
        if refused is not None:
            return refused
        text = (posted.text or "").strip() if posted.is_text else ""
        media = found.media is not None
        if not a.fits(text, media):
            return Outcome([Reply(turn.fill(_("Please send the text as one message of 1 to "
                                              "{limit} characters."),
                                            limit=str(a.max_text(media))))])
        version = (await turn.uow.broadcasts.versions(found.id)).get(language)
        assert version is not None  # _refusal checked it
        await turn.uow.broadcasts.put_version(found.id, replace(
            version, text=text, state=b.VersionState.WRITTEN,
            author_id=turn.person.telegram_id), turn.now)
        turn.conversation = None
        place = staff.municipality_name(self._knowledge, found.audience.municipality)
        shown = a.rendered(Reader(self.catalogs, language), place, text, urgent=found.urgent)
        name = language_name(language, turn.language)
        value = f"{found.id}-{language}"
        return Outcome([
            Reply(turn.fill(_("Its readers will get this:"))),
            Reply(shown),
            Reply(_("Approve it? Then it goes out with the announcement."), (
                (button(turn.fill(_("✅ Approve the {language} version"), language=name),
                        SCOPE, "ok", value),),
                (button(_("✏️ Write it again"), SCOPE, "write", value),)))])

    async def _approve(self, turn: Turn, found: b.Broadcast, language: str) -> Outcome:
        _ = turn.gettext
        version = (await turn.uow.broadcasts.versions(found.id)).get(language)
        if version is None or version.state is not b.VersionState.WRITTEN \
                or version.author_id != turn.person.telegram_id:
            return self._ask_text(turn, found, language)  # someone else's draft, or none
        await turn.uow.broadcasts.put_version(found.id, replace(
            version, state=b.VersionState.APPROVED, reviewer_id=turn.person.telegram_id),
            turn.now)
        await staff.record(turn, audit.Act.BROADCAST_VERSION, allowed=True,
                           target=f"broadcast:{found.id}:{language}",
                           municipality=found.audience.municipality)
        await self._tell_coordinator(turn, found, language)
        text = _("Thank you! Your version is approved and goes out with the announcement.")
        return Outcome([Reply(text)], notice=text)

    async def _tell_coordinator(self, turn: Turn, found: b.Broadcast, language: str) -> None:
        author = await turn.uow.people.by_telegram_id(found.author_id) \
            if found.author_id is not None else None
        if author is None:
            return
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        reader = Reader(self.catalogs, author.language)
        text = a.say(reader, _("✅ {name} wrote and approved the {language} version of "
                               "announcement {number}."),
                     name=profile.display_name if profile else "?",
                     language=language_name(language, reader.language), number=f"#{found.id}")
        keyboard = ((Button(a.say(reader, _("Open {number}"), number=f"#{found.id}"),
                            f"{a.SCOPE}:open:{found.id}"),),)
        await turn.uow.outbox.add(outbox.Outgoing(
            author.id, outbox.Kind.NOTIFICATION, reader.readable(outbox.Message(text, keyboard)),
            f"broadcast:{found.id}:approved:{language}", awaited=True), turn.now)
