"""Onboarding: language → welcome and consent → municipality → begeleiding → menu."""

from __future__ import annotations

from bot.content.knowledge import Knowledge
from bot.domain.questions import ONBOARDING_ORDER, Conversation, Flow, Step, next_step
from bot.domain.replies import Outcome, Reply
from bot.services import menu, questions
from bot.services.turn import Turn

SCOPE = "o"


class Onboarding:
    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def start(self, turn: Turn) -> Outcome:
        """/start: welcome back the onboarded, otherwise resume (or begin) onboarding."""
        if turn.person.onboarded:
            turn.conversation = None
            _ = turn.gettext
            return Outcome([menu.menu_reply(turn, _(
                "Welcome back to Wegwijs. What would you like to do?"))])
        return self.resume(turn)

    def resume(self, turn: Turn, note: str | None = None) -> Outcome:
        """Ask the question the person is at; the first unanswered one when none is open."""
        conv = turn.conversation
        if conv is None or conv.flow != Flow.ONBOARDING:
            conv = turn.conversation = Conversation(Flow.ONBOARDING, self._first_open(turn))
        outcome = Outcome([questions.ask(turn, conv.step, SCOPE, self._knowledge)])
        if note:
            outcome.replies.insert(0, Reply(note))
        return outcome

    def is_current(self, turn: Turn, step: Step) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == Flow.ONBOARDING and conv.step == step

    def answer(self, turn: Turn, step: Step, value: str) -> Outcome:
        if not questions.accept(turn, step, value, self._knowledge):
            return self.resume(turn)
        if step == Step.CONSENT and value == "no":
            return self._declined(turn)
        notes = questions.draft_notice(turn, step)
        following = next_step(Flow.ONBOARDING, step, value)
        if following is None:
            turn.conversation = None
            _ = turn.gettext
            return Outcome([*notes, menu.menu_reply(turn, _(
                "Thank you, you are all set. You can change your answers at any time "
                "with /settings.\n\nWhat would you like to do?"))])
        assert turn.conversation is not None
        turn.conversation.step = following
        return Outcome([*notes, questions.ask(turn, following, SCOPE, self._knowledge)])

    def _declined(self, turn: Turn) -> Outcome:
        """No consent: keep nothing at all, not even the language choice."""
        turn.deleted = True
        _ = turn.gettext
        return Outcome([Reply(_(
            "That is fine. We have not kept anything about you. "
            "If you change your mind, send /start."))])

    @staticmethod
    def _first_open(turn: Turn) -> Step:
        person = turn.person
        answered = {
            Step.LANGUAGE: person.language is not None,
            Step.CONSENT: person.consented_at is not None,
            Step.MUNICIPALITY: person.municipality is not None,
            Step.BEGELEIDING: person.begeleiding is not None,
        }
        return next((s for s in ONBOARDING_ORDER if not answered[s]), Step.LANGUAGE)
