"""Onboarding: language → welcome and consent → municipality → begeleiding → menu."""

from __future__ import annotations

from bot.content.knowledge import Knowledge
from bot.domain.questions import (
    ONBOARDING_ORDER,
    Conversation,
    Flow,
    Step,
    as_step,
    next_step,
)
from bot.domain.replies import Outcome, Reply
from bot.services import menu, questions
from bot.services.turn import Turn

SCOPE = "o"


class Onboarding:
    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def start(self, turn: Turn) -> Outcome:
        """/start: resume an open onboarding, otherwise welcome back the onboarded."""
        if self.in_progress(turn) or not turn.person.onboarded:
            return self.resume(turn)
        turn.conversation = None
        _ = turn.gettext
        return Outcome([menu.menu_reply(turn, _(
            "Welcome back to Wegwijs. What would you like to do?"))])

    def in_progress(self, turn: Turn) -> bool:
        return turn.conversation is not None and turn.conversation.flow == Flow.ONBOARDING

    def resume(self, turn: Turn, note: str | None = None) -> Outcome:
        """Ask the question the person is at; the first unanswered one when none is open."""
        conv = turn.conversation
        step = as_step(conv.step) if conv is not None and conv.flow == Flow.ONBOARDING else None
        if step is None:
            step = _first_open(turn) or Step.LANGUAGE
            turn.conversation = Conversation(Flow.ONBOARDING, step)
        outcome = Outcome([questions.ask(turn, step, SCOPE, self._knowledge)])
        if note:
            outcome.replies.insert(0, Reply(note))
        return outcome

    def is_current(self, turn: Turn, step: Step) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == Flow.ONBOARDING and conv.step == step

    def answer(self, turn: Turn, step: Step, value: str) -> Outcome | None:
        """Record an answer and ask what is still open; None when the answer is not valid."""
        if not questions.accept(turn, step, value, self._knowledge):
            return None
        if step == Step.CONSENT and value == "no":
            return self._declined(turn)
        notes = questions.draft_notice(turn, step)
        following = next_step(Flow.ONBOARDING, step, value)
        if following not in (Step.END_YEAR, Step.END_MONTH):
            # Not simply the next in line: after /language mid-way, skip what is answered.
            following = _first_open(turn)
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


def _first_open(turn: Turn) -> Step | None:
    person = turn.person
    answered = {
        Step.LANGUAGE: person.language is not None,
        Step.CONSENT: person.consented_at is not None,
        Step.MUNICIPALITY: person.municipality is not None,
        Step.BEGELEIDING: person.begeleiding is not None,
    }
    return next((s for s in ONBOARDING_ORDER if not answered[s]), None)
