"""/profile: a sleutelpersoon sees and changes what newcomers see about them and when they
can help, and pauses new questions for a holiday. Only for sleutelpersonen (checked in the
unit of work of every update); the municipalities they serve are those of their roles."""

from __future__ import annotations

from dataclasses import replace

from bot.content.knowledge import Knowledge
from bot.domain import actions, audit
from bot.domain.person import Role
from bot.domain.questions import Conversation
from bot.domain.replies import Keyboard, Outcome, Reply, rows
from bot.domain.sleutelpersoon import Profile
from bot.services import staff
from bot.services.profile_questions import (
    SETUP,
    Field,
    ProfileQuestions,
    Result,
    draft_of,
    profile_of,
)
from bot.services.turn import Turn, button

SCOPE = "p"
FLOW = "profile"
# Conversation data: "setup" when the whole profile is asked (no profile yet).
_SETUP = "setup"


class ProfileService:
    def __init__(self, knowledge: Knowledge, questions: ProfileQuestions) -> None:
        self._knowledge = knowledge
        self.questions = questions

    # -- inside a turn (the Desk opens it) ------------------------------------------------

    async def on_command(self, turn: Turn, name: str, args: str = "") -> Outcome:
        municipalities = await staff.where(turn, Role.SLEUTELPERSOON)
        if not municipalities:
            return await staff.refuse(turn, audit.Act.PROFILE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=f"/{name}")
        return await self.show(turn, municipalities)

    async def on_button(self, turn: Turn, data: str) -> Outcome:
        municipalities = await staff.where(turn, Role.SLEUTELPERSOON)
        if not municipalities:
            return await staff.refuse(turn, audit.Act.PROFILE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON),
                                      target=data[:40])
        action = actions.parse(data)
        if action is None or action.scope != SCOPE:
            return await staff.refuse(turn, audit.Act.BUTTON, audit.Reason.FORGED,
                                      turn.gettext("I do not recognise this button."),
                                      target=data[:40])
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        if action.name == "open" and action.value == "show":
            return await self.show(turn, municipalities)
        if profile is None and (action.name in ("open", "pause") or self._current(turn) is None):
            return await self.show(turn, municipalities)  # set it up first
        if profile is not None and action.name == "open" and action.value in _CHANGEABLE:
            opened = Field(action.value)
            draft = draft_of(profile)
            turn.conversation = Conversation(FLOW, opened, draft)
            return Outcome([self._ask(turn, opened, draft, municipalities)])
        if profile is not None and action.name == "pause" and action.value in ("on", "off"):
            return await self._save(turn, replace(profile, paused=action.value == "on"),
                                    municipalities)
        if action.name == Field.MUNICIPALITIES and action.value not in municipalities \
                and action.value in self._knowledge.municipality_ids():
            return await staff.refuse(turn, audit.Act.PROFILE, audit.Reason.OTHER_MUNICIPALITY,
                                      turn.gettext("You are not a sleutelpersoon for this "
                                                   "municipality. Nothing was changed."),
                                      target=data[:40], municipality=action.value)
        field = self._current(turn)
        if field is None or turn.conversation is None:
            return await self._stale(turn, municipalities)
        draft = turn.conversation.data
        result = self.questions.press(field, action.name, action.value, draft, municipalities)
        if result is None:
            return await self._stale(turn, municipalities)
        return await self._after(turn, field, result, municipalities, profile)

    async def on_text(self, turn: Turn, text: str) -> Outcome:
        """Typed while a profile question is open (the name, language codes)."""
        municipalities = await staff.where(turn, Role.SLEUTELPERSOON)
        if not municipalities:
            turn.conversation = None
            return await staff.refuse(turn, audit.Act.PROFILE, audit.Reason.NO_ROLE,
                                      staff.no_role(turn, Role.SLEUTELPERSOON))
        field = self._current(turn)
        if field is None or turn.conversation is None:
            return await self.show(turn, municipalities)
        draft = turn.conversation.data
        result, note = self.questions.typed(turn, field, text, draft)
        if result is None:
            return self._repeat(turn, field, municipalities,
                                turn.gettext("Please choose one of the buttons."))
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        outcome = await self._after(turn, field, result, municipalities, profile)
        if note:
            outcome.replies.insert(0, Reply(note))
        return outcome

    async def on_unsupported(self, turn: Turn) -> Outcome:
        note = turn.gettext("I can only read text messages and buttons.")
        municipalities = await staff.where(turn, Role.SLEUTELPERSOON)
        field = self._current(turn)
        if not municipalities:
            turn.conversation = None
            return Outcome([Reply(note)])
        if field is None:
            return await self.show(turn, municipalities, note)
        return self._repeat(turn, field, municipalities, note)

    # -- the profile ----------------------------------------------------------------------

    async def show(self, turn: Turn, municipalities: list[str], note: str | None = None
                   ) -> Outcome:
        profile = await turn.uow.profiles.get(turn.person.telegram_id)
        if profile is None:
            _ = turn.gettext
            draft = {Field.MUNICIPALITIES.value: ",".join(municipalities), _SETUP: "1"}
            turn.conversation = Conversation(FLOW, SETUP[0], draft)
            return Outcome([Reply(_("You have no profile yet. A few questions, then "
                                    "newcomers can be sent to you.")),
                            self._ask(turn, SETUP[0], draft, municipalities)])
        turn.conversation = None
        replies = [Reply(note)] if note else []
        return Outcome([*replies, Reply(self.questions.summary(turn, profile),
                                        self._keyboard(turn, profile))])

    def _keyboard(self, turn: Turn, profile: Profile) -> Keyboard:
        _ = turn.gettext
        buttons = [
            button(_("Change name"), SCOPE, "open", Field.NAME),
            button(_("Change languages"), SCOPE, "open", Field.SPOKEN),
            button(_("Change municipalities"), SCOPE, "open", Field.MUNICIPALITIES),
            button(_("Change topics"), SCOPE, "open", Field.TOPICS),
            button(_("Change hours"), SCOPE, "open", Field.HOURS),
            button(_("Change number of conversations"), SCOPE, "open", Field.CAPACITY),
            button(_("▶️ Take new questions again"), SCOPE, "pause", "off") if profile.paused
            else button(_("⏸ Pause new questions (holiday)"), SCOPE, "pause", "on"),
        ]
        return rows(buttons, 1)

    async def _after(self, turn: Turn, field: Field, result: Result,
                     municipalities: list[str], profile: Profile | None) -> Outcome:
        assert turn.conversation is not None
        draft = turn.conversation.data
        if result is Result.STAY:
            return Outcome([self._ask(turn, field, draft, municipalities)])
        if result is Result.EMPTY:
            return self._repeat(turn, field, municipalities,
                                self.questions.empty_note(turn, field))
        if result is Result.DAYS:
            turn.conversation.step = Field.DAYS
            return Outcome([self._ask(turn, Field.DAYS, draft, municipalities)])
        if draft.get(_SETUP):
            following = _next(field)
            if following is not None:
                turn.conversation.step = following
                return Outcome([self._ask(turn, following, draft, municipalities)])
        paused = profile.paused if profile else False
        try:
            changed = profile_of(turn.person.telegram_id, draft, paused=paused)
        except ValueError:
            return self._repeat(turn, field, municipalities,
                                self.questions.empty_note(turn, field))
        return await self._save(turn, changed, municipalities)

    async def _save(self, turn: Turn, profile: Profile, municipalities: list[str]) -> Outcome:
        # Only municipalities where they (still) hold the role, whatever the draft says.
        kept = frozenset(m for m in profile.municipalities if m in municipalities)
        profile = replace(profile, municipalities=kept or frozenset(municipalities))
        await turn.uow.profiles.put(profile, turn.now)
        return await self.show(turn, municipalities, turn.gettext("Saved."))

    def _ask(self, turn: Turn, field: Field, draft: dict[str, str],
             municipalities: list[str]) -> Reply:
        back = () if draft.get(_SETUP) else (
            (button(turn.gettext("↩️ Back to my profile"), SCOPE, "open", "show"),),)
        return self.questions.ask(turn, field, draft, SCOPE, municipalities, back)

    def _repeat(self, turn: Turn, field: Field, municipalities: list[str],
                note: str) -> Outcome:
        draft = turn.conversation.data if turn.conversation else {}
        return Outcome([Reply(note), self._ask(turn, field, draft, municipalities)])

    @staticmethod
    def _current(turn: Turn) -> Field | None:
        conv = turn.conversation
        if conv is None or conv.flow != FLOW:
            return None
        try:
            return Field(conv.step)
        except ValueError:
            return None

    async def _stale(self, turn: Turn, municipalities: list[str]) -> Outcome:
        note = turn.gettext("This button is from an older message.")
        field = self._current(turn)
        outcome = self._repeat(turn, field, municipalities, note) if field is not None \
            else await self.show(turn, municipalities, note)
        outcome.notice = note
        return outcome


_CHANGEABLE = frozenset({Field.NAME, Field.SPOKEN, Field.MUNICIPALITIES, Field.TOPICS,
                         Field.HOURS, Field.CAPACITY})


def _next(field: Field) -> Field | None:
    """The next question when the whole profile is asked (DAYS answers HOURS)."""
    position = SETUP.index(Field.HOURS if field is Field.DAYS else field)
    return SETUP[position + 1] if position + 1 < len(SETUP) else None
