"""Questions in the person's own words: glossary words explained, best topics as buttons,
and never an empty answer."""

from __future__ import annotations

from bot.content.glossary_match import find_terms
from bot.content.knowledge import Knowledge
from bot.content.search import SearchHit, SearchIndex, clip
from bot.domain.replies import Button, Outcome, Reply, rows
from bot.services.topics import Topics
from bot.services.turn import Turn, button

MAX_SHOWN = 3
MAX_GUESSES = 2  # when nothing matches well, the best weak matches as "maybe"
WEAK_FLOOR = 0.08  # below this a hit is noise, not a guess


def shown_hits(hits: list[SearchHit]) -> tuple[list[SearchHit], bool]:
    """What a person is offered for a question: the confident hits, else a couple of the
    best weak ones as guesses. The second value tells whether they are confident."""
    confident = [h for h in hits if h.confident][:MAX_SHOWN]
    if confident:
        return confident, True
    return [h for h in hits if h.score >= WEAK_FLOOR][:MAX_GUESSES], False


class Ask:
    def __init__(self, index: SearchIndex, knowledge: Knowledge, topics: Topics) -> None:
        self._index = index
        self._knowledge = knowledge
        self._topics = topics

    def answer(self, turn: Turn, question: str) -> Outcome:
        _ = turn.gettext
        question = clip(question)  # bounded work per message, whatever was pasted
        terms = find_terms(self._knowledge, question)[:2]
        replies = [self._topics.term_reply(turn, term) for term in terms]
        hits = self._index.search(question, turn.language, turn.person.municipality, limit=6)
        already = {t.id for t in terms} | {t.flow for t in terms if t.flow}
        offered, confident = shown_hits([h for h in hits if h.id not in already])
        buttons = [self._button(turn, hit) for hit in offered]
        footer = self._footer(turn)
        # Nothing matched well: a person who speaks their language may know.
        person = () if confident else ((button(_("🙋 Ask a person"), "h", "search"),),)
        if buttons:
            intro = _("This may help:") if confident else _("Maybe one of these?")
            replies.append(Reply(intro, (*rows(buttons, 1), *person, footer)))
        elif replies:
            replies.append(Reply(_("Do you want to read more? Choose a topic."),
                                 (*person, footer)))
        else:
            replies.append(Reply(_("I could not find a topic for that. Choose one from the "
                                   "list, or try other words."),
                                 (*person, *self._topics.topic_keyboard(turn))))
        return Outcome(replies)

    def lookup(self, turn: Turn, word: str) -> Outcome:
        """/word: one Dutch word explained, or a clear answer that it is unknown."""
        _ = turn.gettext
        if not word.strip():
            text = _("Send a Dutch word after /word, for example: /word aanmaning")
            return Outcome([Reply(text, (self._footer(turn),))])
        term = self._knowledge.term_by_word(word) or next(
            iter(find_terms(self._knowledge, word)), None)
        if term is None:
            text = turn.fill(_("I do not know the word {word} yet. Try another spelling, or "
                               "choose a topic."), word=word.strip()[:40])
            return Outcome([Reply(text, (self._footer(turn),))])
        return self._with_footer(turn, self._topics.term_reply(turn, term))

    def word(self, turn: Turn, term_id: str) -> Outcome | None:
        term = self._knowledge.term(term_id)
        return self._with_footer(turn, self._topics.term_reply(turn, term)) if term else None

    def organisation(self, turn: Turn, org_id: str) -> Outcome | None:
        org = self._knowledge.organisation(org_id)
        if org is None:
            return None
        return Outcome([Reply(self._topics.organisation_text(turn, org), (self._footer(turn),))])

    def _button(self, turn: Turn, hit: SearchHit) -> Button:
        if hit.kind == "flow":
            return button("📚 " + self._topics.title(turn, self._topics.flows[hit.id]), "t",
                          hit.id)
        label = self._index.label(hit, turn.language)
        if hit.kind == "glossary":
            return button("📖 " + label, "w", hit.id)
        return button("🤝 " + label, "k", hit.id)

    def _footer(self, turn: Turn) -> tuple[Button, ...]:
        _ = turn.gettext
        return (button(_("📚 All topics"), "m", "topics"), button(_("🏠 Menu"), "m", "menu"))

    def _with_footer(self, turn: Turn, reply: Reply) -> Outcome:
        return Outcome([Reply(reply.text, (*reply.keyboard, self._footer(turn)))])
