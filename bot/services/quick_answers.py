"""Quick answers: a sleutelpersoon looks up a topic, a Dutch word or an organisation in
their own language (/answer huurtoeslag) and sends it; the newcomer receives it in theirs,
marked with whom it is from, as part of the conversation (through the outbox)."""

from __future__ import annotations

from bot.content import contexts
from bot.content.knowledge import Knowledge
from bot.content.search import SearchIndex
from bot.domain import handoff as h
from bot.domain.incoming import Caller
from bot.domain.replies import Outcome, Reply
from bot.services import relay_copy
from bot.services.handoff_routing import HELPER_SCOPE
from bot.services.topics import Topics
from bot.services.turn import Turn, button
from bot.services.turns import for_reader

SHOWN = 5
# Button names (r:<name>:<id>) per kind of search hit.
NAMES = {"flow": "qf", "glossary": "qg", "organisation": "qo"}
KINDS = frozenset(NAMES.values())
_ICONS = {"flow": "📚 ", "glossary": "📖 ", "organisation": "🤝 "}


class QuickAnswers:
    def __init__(self, knowledge: Knowledge, search: SearchIndex, topics: Topics) -> None:
        self._knowledge = knowledge
        self._search = search
        self._topics = topics

    async def search(self, turn: Turn, words: str) -> Outcome:
        _ = turn.gettext
        target = await focused(turn)
        if target is None:
            return Outcome([Reply(_("Choose a conversation first with /conversations."))])
        if not words.strip():
            return Outcome([Reply(_("Write what to look for after /answer, for example: "
                                    "/answer huurtoeslag"))])
        hits = self._search.search(words, turn.language, target.municipality, limit=SHOWN)
        if not hits:
            return Outcome([Reply(_("Nothing found. Try other words."))])
        keyboard = tuple((button(_ICONS[hit.kind] + self._search.label(hit, turn.language),
                                 HELPER_SCOPE, NAMES[hit.kind], hit.id),) for hit in hits)
        return Outcome([Reply(turn.fill(_("Send one of these to Newcomer {name}, in their "
                                          "language:"), name=target.label()), keyboard)])

    async def send(self, turn: Turn, kind: str, item: str) -> Outcome | None:
        """Send the chosen one; None when it is no topic, word or organisation (forged)."""
        _ = turn.gettext
        target = await focused(turn)
        if target is None:
            return Outcome([Reply(_("Choose a conversation first with /conversations."))])
        newcomer = await turn.uow.people.get(target.newcomer_id) if target.newcomer_id \
            else None
        if newcomer is None:
            text = _("This conversation has already ended. Nothing was changed.")
            return Outcome([Reply(text)], notice=text)
        theirs = Turn(turn.uow, turn.catalogs, Caller(newcomer.telegram_id, newcomer.chat_id),
                      newcomer, None, turn.now, turn.today)
        reply = self._rendered(theirs, kind, item)
        if reply is None:
            return None
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        sender = theirs.fill(theirs.gettext("From {name}:"),
                             name=profile.display_name if profile else "")
        await relay_copy.say(turn.uow, newcomer, f"{sender}\n{reply.text}",
                             f"handoff:{target.id}:quick:{kind}:{item}:{turn.now.isoformat()}",
                             turn.now, reply.keyboard)
        return Outcome([Reply(turn.fill(_("Sent to Newcomer {name}."), name=target.label()))],
                       notice=_("Sent"))

    def _rendered(self, theirs: Turn, kind: str, item: str) -> Reply | None:
        """A topic, word or organisation in the newcomer's language (RTL made safe)."""
        reply: Reply | None = None
        if kind == "qf" and (flow := self._topics.flows.get(item)) is not None:
            title = self._topics.title(theirs, flow)
            summary = theirs.tr.pgettext(contexts.flow_summary(flow.id), flow.summary)
            reply = Reply(f"📚 <b>{theirs.value(title)}</b>\n{theirs.value(summary)}",
                          ((button(theirs.gettext("📚 Read more"), "t", flow.id),),))
        elif kind == "qg" and (term := self._knowledge.term(item)) is not None:
            reply = self._topics.term_reply(theirs, term)
        elif kind == "qo" and (org := self._knowledge.organisation(item)) is not None:
            reply = Reply(self._topics.organisation_text(theirs, org))
        if reply is None:
            return None
        return for_reader(theirs.language, Outcome([reply])).replies[0]


async def focused(turn: Turn) -> h.Handoff | None:
    """The conversation a sleutelpersoon writes in now: the one they chose, or their only."""
    mine = await turn.uow.handoffs.claimed_by(turn.person.telegram_id)
    focus, _shown = await turn.uow.handoffs.focus(turn.person.telegram_id)
    return next((x for x in mine if x.id == focus), mine[0] if len(mine) == 1 else None)
