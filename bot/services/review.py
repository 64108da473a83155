"""/review: sleutelpersonen check the bot's own texts in their language (issue 12).

A sleutelpersoon who speaks Arabic, Tigrinya or Dutch (their profile's languages) sees one
catalog entry at a time: the English text, where it appears (a topic and its step, a word,
an organisation, or the file in the code), and the text now; machine translations first,
then drafts, then texts nobody wrote yet, then reviewed texts no reviewer confirmed. They
tap ✅ Correct, ✏️ Improve (and type a better text, which must keep the English text's
{placeholders}, commands and HTML tags), ⏭ Skip or 🏁 Stop. A text another reviewer
improved is shown with that suggestion, and ✅ agrees with it. Votes are stored
(bot.domain.catalog_review decides when an entry is accepted); `wegwijs i18n apply-reviews`
writes accepted texts into locales/.

Buttons carry the entry's short key and a short hash of the text they judge
(q:ok:<lang>-<entry>-<text>), never the text: a button pressed after the text changed is
refused as an old one, and nothing depends on the conversation still being open.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

from bot.content import catalog_status as cs
from bot.content.check import Markup, markup_of, markup_problem
from bot.content.knowledge import Knowledge
from bot.domain import actions, audit
from bot.domain import catalog_review as cr
from bot.domain.incoming import Posted
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Button, Outcome, Reply
from bot.services import staff
from bot.services.profile_questions import language_name
from bot.services.topics import Topics
from bot.services.turn import Turn, button

SCOPE = "q"  # q:lang:<code>, q:ok|edit:<lang>-<entry>-<text>, q:skip:<lang>-<entry>, q:stop
FLOW = "review"
LANGUAGES = cr.LANGUAGES
_NAMES = frozenset({"lang", "ok", "edit", "skip", "stop"})
_PLACE = re.compile(r"^(?:(?P<place>[a-z0-9-]+): )?flow (?P<flow>[a-z0-9-]+)"
                    r"(?::(?P<part> title| summary)|, step (?P<step>[a-z0-9-]+)"
                    r"(?:, button (?P<button>[a-z0-9-]+)|, (?P<link>link))?)$")
_BUTTON_CONTEXT = re.compile(r"(: title|, button [^,]+|, link)$")  # as bot.content.check
_START_TAG = re.compile(r"<[a-z][^<>]*>")
_KEPT = re.compile(r"\{[^{}]*\}|(?<![\w/<])/[a-z]+\b|</?[a-z][^<>]*>")
MAX_BUTTON = 48  # bot.content.check.MAX_BUTTON
MAX_TEXT = 3000


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


NOW = _("Now:")
NOW_LABELS = {cs.Status.MACHINE: _("Now (machine translation):"),
              cs.Status.DRAFT: _("Now (draft, not reviewed yet):")}


class Review:
    def __init__(self, knowledge: Knowledge, topics: Topics, locales_dir: Path) -> None:
        self._knowledge = knowledge
        self._topics = topics
        self._locales = locales_dir
        # Per language: entry key -> entry, in file order; read once (like the catalogs the
        # bot shows, which change with a restart).
        self._entries: dict[str, dict[str, cs.Entry]] = {}

    async def catalog(self, language: str) -> dict[str, cs.Entry]:
        if language not in self._entries:
            found = await asyncio.to_thread(cs.entries, self._locales, language)
            self._entries[language] = {cr.entry_key(e.context, e.msgid): e for e in found}
        return self._entries[language]

    # -- /review ---------------------------------------------------------------------------

    async def command(self, turn: Turn) -> Outcome:
        _ = turn.gettext
        if not await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, audit.Act.CATALOG_REVIEW, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target="/review")
        spoken = await self._languages(turn)
        if not spoken:
            return Outcome([Reply(_(
                "You can review the bot's texts in Arabic, Tigrinya and Dutch. Add the ones "
                "you speak to your profile with /profile, then send /review again."))])
        if len(spoken) == 1:
            return await self._start(turn, spoken[0])
        return Outcome([Reply(_("Which language do you want to review?"), tuple(
            (button(language_name(code, turn.language), SCOPE, "lang", code),)
            for code in spoken))])

    async def _languages(self, turn: Turn) -> list[str]:
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        return [c for c in LANGUAGES if profile is not None and c in profile.languages]

    async def _start(self, turn: Turn, language: str) -> Outcome:
        _ = turn.gettext
        intro = turn.fill(_(
            "📝 <b>Review the bot's texts in {language}</b>\nFor each text you see the "
            "English, where it appears, and the text now. Tap ✅ if it is right, ✏️ to write "
            "a better one, ⏭ if you are not sure. A text counts as reviewed when two "
            "reviewers agree, or when a language lead approves it."),
            language=language_name(language, turn.language))
        shown = await self.next(turn, language, 0)
        shown.replies.insert(0, Reply(intro))
        return shown

    # -- one entry -------------------------------------------------------------------------

    async def next(self, turn: Turn, language: str, done: int) -> Outcome:
        """The next entry for this reviewer, or the end of the session."""
        _ = turn.gettext
        entries = await self.catalog(language)
        votes = await turn.uow.reviews.votes(language)
        items = [cr.Item(key, e.status.value,
                         confirmed=e.status is cs.Status.REVIEWED and bool(e.reviews))
                 for key, e in entries.items()]
        keys = cr.to_review(items, votes, turn.person.telegram_id)
        name = language_name(language, turn.language)
        if not keys:
            turn.conversation = None
            return Outcome([Reply(turn.fill(_(
                "There is nothing left for you to review in {language}. Thank you! Texts you "
                "reviewed in this session: {count}."), language=name, count=str(done)))])
        key = keys[0]
        entry = entries[key]
        suggested = cr.suggestion((v for v in votes if v.key == key), entry.text)
        turn.conversation = Conversation(FLOW, "show", {"lang": language, "n": str(done)})
        english, where, note = _("English:"), _("Where:"), _("Note for translators:")
        now = _(NOW_LABELS.get(entry.status, NOW))
        lines = [turn.fill(_("Reviewed now: {done} · still to review: {left}"),
                           done=str(done), left=str(len(keys))), "",
                 f"<b>{english}</b>", self._quote(turn, entry.msgid),
                 f"<b>{where}</b> {self.place(turn, entry)}"]
        lines += [f"<i>{note} {turn.value(n.removeprefix('Translators:').strip())}</i>"
                  for n in entry.notes]
        lines += ["", f"<b>{now}</b>", self._quote(turn, entry.text) if entry.text
                  else "<i>{}</i>".format(_("(no translation yet)"))]
        if suggested is not None:
            lines += ["", "<b>{}</b>".format(_("Suggested by another reviewer:")),
                      self._quote(turn, suggested),
                      _("✅ Correct agrees with this suggestion.")]
        judged = suggested if suggested is not None else entry.text
        value = f"{language}-{key}-{cr.text_key(judged)}"
        first: list[Button] = [button(_("✅ Correct"), SCOPE, "ok", value),
                               button(_("✏️ Improve"), SCOPE, "edit", value)] if judged \
            else [button(_("✏️ Write it"), SCOPE, "edit", value)]
        return Outcome([Reply("\n".join(lines), (tuple(first), self._last_row(turn, language,
                                                                               key)))])

    def _last_row(self, turn: Turn, language: str, key: str) -> tuple[Button, ...]:
        _ = turn.gettext
        return (button(_("⏭ Skip"), SCOPE, "skip", f"{language}-{key}"),
                button(_("🏁 Stop"), SCOPE, "stop"))

    @staticmethod
    def _quote(turn: Turn, text: str) -> str:
        """A catalog text shown as written, tags and all (escaped)."""
        return f"<blockquote>{turn.value(text)}</blockquote>"

    def place(self, turn: Turn, entry: cs.Entry) -> str:
        """Where the text appears, in plain words (escaped)."""
        _ = turn.gettext
        context = entry.context
        found = _PLACE.match(context)
        if found is not None:
            flow = self._topics.flows.get(found["flow"])
            topic = self._topics.title(turn, flow) if flow else found["flow"]
            if found["part"] == " title":
                return turn.fill(_("Topic “{topic}”: its title"), topic=topic)
            if found["part"] == " summary":
                return turn.fill(_("Topic “{topic}”: its short description"), topic=topic)
            step = found["step"]
            if found["button"]:
                return turn.fill(_("Topic “{topic}”, step “{step}”: the button “{button}”"),
                                 topic=topic, step=step, button=found["button"])
            if found["link"]:
                return turn.fill(_("Topic “{topic}”, step “{step}”: the label of a link"),
                                 topic=topic, step=step)
            if found["place"]:
                return turn.fill(_("Topic “{topic}”, step “{step}”, only in {place}"),
                                 topic=topic, step=step, place=staff.municipality_name(
                                     self._knowledge, found["place"]))
            return turn.fill(_("Topic “{topic}”, step “{step}”"), topic=topic, step=step)
        kind, _sep, what = context.partition(" ")
        if kind == "glossary" and what:
            return turn.fill(_("Explained word: {word}"), word=what)
        if kind == "organisation" and what:
            organisation = self._knowledge.organisation(what)
            return turn.fill(_("Organisation: {name}"),
                             name=organisation.name if organisation else what)
        if kind == "calendar" and what:
            return turn.fill(_("Calendar: {entry}"), entry=what)
        if not context and entry.locations:
            return turn.fill(_("The bot's own words, in {file}"), file=entry.locations[0])
        return turn.value(context or (entry.locations[0] if entry.locations else "?"))

    # -- buttons ---------------------------------------------------------------------------

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        _ = turn.gettext
        action = actions.parse(data)
        if action is None or action.scope != SCOPE or action.name not in _NAMES:
            return await self._forged(turn, data)
        if not await staff.where(turn, Role.SLEUTELPERSOON):
            return await staff.refuse(turn, audit.Act.CATALOG_REVIEW, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=data[:64])
        if action.name == "stop":
            return self.stop(turn)
        language, _sep, rest = action.value.partition("-")
        if language not in LANGUAGES or (action.name == "lang") != (not rest):
            return await self._forged(turn, data)
        if language not in await self._languages(turn):
            return await staff.refuse(turn, audit.Act.CATALOG_REVIEW,
                                      audit.Reason.NOT_ELIGIBLE, turn.fill(_(
                                          "Only sleutelpersonen who speak {language} can "
                                          "review these texts."), language=language_name(
                                              language, turn.language)), target=data[:64])
        if action.name == "lang":
            return await self._start(turn, language)
        key, _sep, text_key = rest.partition("-")
        entry = (await self.catalog(language)).get(key)
        if entry is None or (action.name == "skip") != (not text_key):
            return await self._forged(turn, data)
        votes = [v for v in await turn.uow.reviews.votes(language) if v.key == key]
        done = self.done(turn, language)
        if any(v.reviewer == turn.person.telegram_id for v in votes):
            return await self._refused(turn, audit.Reason.STALE, _(
                "You have already reviewed this text."), data, language, done)
        if action.name == "skip":
            await self._vote(turn, language, key, entry, cr.Verdict.SKIPPED, "")
            return await self.next(turn, language, done)
        judged = _judged(entry, votes, text_key)
        if judged is None or (action.name == "ok" and not judged.strip()):
            return await self._refused(turn, audit.Reason.STALE, _(
                "This button is from an older message."), data, language, done)
        if action.name == "ok":
            if not await self._vote(turn, language, key, entry, cr.Verdict.CORRECT, judged):
                return await self._refused(turn, audit.Reason.STALE, _(
                    "You have already reviewed this text."), data, language, done)
            return await self.next(turn, language, done + 1)
        return self._ask_text(turn, language, key, entry, judged, done)

    def _ask_text(self, turn: Turn, language: str, key: str, entry: cs.Entry, judged: str,
                  done: int) -> Outcome:
        _ = turn.gettext
        turn.conversation = Conversation(FLOW, "write", {
            "lang": language, "n": str(done), "key": key, "text": cr.text_key(judged)})
        replies = [Reply(turn.fill(_(
            "Write the {language} text in one message. Keep the placeholders in curly "
            "brackets, the commands and the HTML tags as in the English."),
            language=language_name(language, turn.language)))]
        if judged:
            replies.append(Reply(_("To start from the text now, tap it to copy it:")))
            replies.append(Reply(f"<code>{turn.value(judged)}</code>"))
        replies[-1] = Reply(replies[-1].text, (self._last_row(turn, language, key),))
        return Outcome(replies)

    def stop(self, turn: Turn) -> Outcome:
        done = self.done(turn, None)
        turn.conversation = None
        return Outcome([Reply(turn.fill(turn.gettext(
            "Thank you! Texts you reviewed in this session: {count}. Send /review to go on "
            "another time."), count=str(done)))])

    # -- a typed text ----------------------------------------------------------------------

    def writing(self, turn: Turn) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == FLOW and conv.step == "write"

    async def on_posted(self, turn: Turn, posted: Posted) -> Outcome:
        _ = turn.gettext
        conv = turn.conversation
        assert conv is not None
        language, key = conv.data.get("lang", ""), conv.data.get("key", "")
        done = self.done(turn, language)
        if not await staff.where(turn, Role.SLEUTELPERSOON) \
                or language not in await self._languages(turn):
            turn.conversation = None
            return await staff.refuse(turn, audit.Act.CATALOG_REVIEW, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=f"review:{language}:{key}")
        entry = (await self.catalog(language)).get(key)
        if entry is None:
            return await self.next(turn, language, done)
        text = (posted.text or "").strip() if posted.is_text else ""
        keep_row = (self._last_row(turn, language, key),)
        if not text or len(text) > MAX_TEXT:
            return Outcome([Reply(_("Please write the text as one message, or tap ⏭ Skip."),
                                  keep_row)])
        if (problem := self._problem(turn, entry, text)) is not None:
            return Outcome([Reply(problem, keep_row)])
        votes = [v for v in await turn.uow.reviews.votes(language) if v.key == key]
        judged = _judged(entry, votes, conv.data.get("text", "")) or entry.text
        same = bool(judged.strip()) and cr.normalize(text) == cr.normalize(judged)
        if not await self._vote(turn, language, key, entry,
                                cr.Verdict.CORRECT if same else cr.Verdict.IMPROVED,
                                judged, None if same else text):
            return await self._refused(turn, audit.Reason.STALE, _(
                "You have already reviewed this text."), f"review:{language}:{key}",
                language, done)
        shown = await self.next(turn, language, done + 1)
        shown.replies.insert(0, Reply(_("✅ Saved. Thank you!")))
        return shown

    def _problem(self, turn: Turn, entry: cs.Entry, text: str) -> str | None:
        """Why Telegram, or the code that fills it in, could not use the text; None if fine."""
        _ = turn.gettext
        source = entry.msgid
        markup = markup_of(entry.context, source)
        if not cs.placeholders_kept(source, text) or (
                markup is Markup.HTML
                and Counter(_START_TAG.findall(source)) != Counter(_START_TAG.findall(text))):
            kept = list(dict.fromkeys(_KEPT.findall(source)))
            if not kept:
                return _("The English text has no placeholders in curly brackets, commands "
                         "or HTML tags, so yours cannot have them either. Send your text "
                         "again.")
            return turn.fill(_("Please keep these exactly as in the English text: {items}. "
                               "Send your text again."), items="  ".join(kept))
        if markup_problem(text, markup) is not None:
            return _("Telegram cannot show this text as it is. Check the HTML tags, and leave "
                     "out &lt;, &gt; and &amp; where the English has none. Send your text "
                     "again.")
        if _BUTTON_CONTEXT.search(entry.context) and len(text) > MAX_BUTTON:
            return turn.fill(_("This text is shown on a button: please keep it to {count} "
                               "characters at most. Send a shorter text."),
                             count=str(MAX_BUTTON))
        return None

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def done(turn: Turn, language: str | None) -> int:
        """How many texts they reviewed in this session (of `language`, if given)."""
        conv = turn.conversation
        if conv is None or conv.flow != FLOW or (
                language is not None and conv.data.get("lang") != language):
            return 0
        count = conv.data.get("n", "0")
        return int(count) if count.isdigit() else 0

    async def _vote(self, turn: Turn, language: str, key: str, entry: cs.Entry,
                    verdict: cr.Verdict, judged: str, proposed: str | None = None) -> bool:
        me = turn.person.telegram_id
        return await turn.uow.reviews.add(cr.Vote(
            language, key, entry.context, entry.msgid, me, verdict, judged, turn.now,
            proposed=proposed, by_lead=await turn.uow.reviews.is_lead(me, language)))

    async def _refused(self, turn: Turn, reason: audit.Reason, text: str, data: str,
                       language: str, done: int) -> Outcome:
        """Refused (in their language, audited), then what is next to review."""
        refused = await staff.refuse(turn, audit.Act.CATALOG_REVIEW, reason, text,
                                     target=data[:64])
        refused.replies += (await self.next(turn, language, done)).replies
        return refused

    @staticmethod
    async def _forged(turn: Turn, data: str) -> Outcome:
        return await staff.refuse(turn, audit.Act.CATALOG_REVIEW, audit.Reason.FORGED,
                                  turn.gettext("I do not recognise this button."),
                                  target=data[:64])


def _judged(entry: cs.Entry, votes: list[cr.Vote], text_key: str) -> str | None:
    """The text a button judged: the catalog's, or one a reviewer proposed."""
    candidates = [entry.text, *(v.endorsed for v in votes if v.endorsed)]
    return next((t for t in candidates if t is not None and cr.text_key(t) == text_key), None)
