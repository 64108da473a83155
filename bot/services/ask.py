"""Questions in the person's own words: glossary words explained, best topics as buttons,
and never an empty answer."""

from __future__ import annotations

from bot.content.glossary_match import find_terms
from bot.content.knowledge import Knowledge
from bot.content.search import SearchIndex
from bot.domain.replies import Button, Outcome, Reply, rows
from bot.services.topics import Topics
from bot.services.turn import Turn, button

MAX_TOPICS = 3


class Ask:
    def __init__(self, index: SearchIndex, knowledge: Knowledge, topics: Topics) -> None:
        self._index = index
        self._knowledge = knowledge
        self._topics = topics

    def answer(self, turn: Turn, question: str) -> Outcome:
        _ = turn.gettext
        terms = find_terms(self._knowledge, question)[:2]
        replies = [self._topics.term_reply(turn, term) for term in terms]
        hits = self._index.search(question, turn.language, turn.person.municipality, limit=6)
        shown = {t.id for t in terms}
        buttons: list[Button] = []
        for hit in (h for h in hits if h.confident):
            if hit.kind == "flow" and len(buttons) < MAX_TOPICS:
                flow = self._topics.flows[hit.id]
                buttons.append(button("📚 " + self._topics.title(turn, flow), "t", hit.id))
            elif hit.kind == "glossary" and hit.id not in shown and len(buttons) < MAX_TOPICS:
                shown.add(hit.id)
                buttons.append(button("📖 " + self._index.label(hit, turn.language), "w", hit.id))
            elif hit.kind == "organisation" and len(buttons) < MAX_TOPICS:
                buttons.append(button("🤝 " + self._index.label(hit, turn.language), "k", hit.id))
        footer = (button(_("📚 All topics"), "m", "topics"), button(_("🏠 Menu"), "m", "menu"))
        if buttons:
            replies.append(Reply(_("This may help:"), (*rows(buttons, 1), footer)))
        elif replies:
            replies.append(Reply(_("Do you want to read more? Choose a topic."), (footer,)))
        else:
            no_match = self._topics.menu(turn).replies[0]
            replies.append(Reply(_("I could not find a topic for that. Choose one from the "
                                   "list, or try other words."), no_match.keyboard))
        return Outcome(replies)

    def word(self, turn: Turn, term_id: str) -> Outcome | None:
        term = self._knowledge.term(term_id)
        return Outcome([self._topics.term_reply(turn, term)]) if term else None

    def organisation(self, turn: Turn, org_id: str) -> Outcome | None:
        org = self._knowledge.organisation(org_id)
        if org is None:
            return None
        _ = turn.gettext
        return Outcome([Reply(self._topics.organisation_text(turn, org),
                              ((button(_("🏠 Menu"), "m", "menu"),),))])
