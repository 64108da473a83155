"""/settings and /language: show what is stored and change one answer at a time."""

from __future__ import annotations

from bot.content.knowledge import OTHER_MUNICIPALITY, Knowledge
from bot.domain import languages
from bot.domain.person import Begeleiding
from bot.domain.questions import Conversation, Flow, Step, next_step
from bot.domain.replies import Outcome, Reply, rows
from bot.services import language_switch, questions
from bot.services.profile_questions import language_name
from bot.services.turn import Turn, button

SCOPE = "s"
# What can be changed from the settings screen: button id → the question it opens.
CHANGEABLE: dict[str, Step] = {
    "lang": Step.LANGUAGE,
    "muni": Step.MUNICIPALITY,
    "beg": Step.BEGELEIDING,
}


class SettingsService:
    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def show(self, turn: Turn, intro: str | None = None) -> Outcome:
        turn.conversation = None
        return Outcome([self._summary(turn, intro)])

    def open(self, turn: Turn, what: str) -> Outcome | None:
        """A settings button; None when `what` is not a known setting."""
        if what in ("pause", "resume"):
            turn.person.paused = what == "pause"
            _ = turn.gettext
            return self.show(turn, _("Saved."))
        if what in ("remind-on", "remind-off"):
            turn.person.reminders = what == "remind-on"
            _ = turn.gettext
            return self.show(turn, _("Saved."))
        if what in ("news-on", "news-off"):
            turn.person.announcements = what == "news-on"
            _ = turn.gettext
            return self.show(turn, _("Saved."))
        if what == language_switch.KEEP:
            _ = turn.gettext
            return Outcome([Reply(turn.fill(_(
                "Fine: Wegwijs keeps speaking {language} with you. /language changes it "
                "any time."), language=language_name(turn.language, turn.language)))])
        if what.startswith(language_switch.SWITCH):
            code = what.removeprefix(language_switch.SWITCH)
            if not questions.accept(turn, Step.LANGUAGE, code, self._knowledge):
                return None
            _ = turn.gettext
            saved = self.show(turn, _("Saved."))
            saved.replies[0:0] = questions.draft_notice(turn, Step.LANGUAGE)
            return saved
        step = CHANGEABLE.get(what)
        if step is None:
            return None
        return self.ask(turn, step)

    def ask(self, turn: Turn, step: Step) -> Outcome:
        if not self.is_current(turn, step):  # keep answers so far, e.g. the year
            turn.conversation = Conversation(Flow.SETTINGS, step)
        return Outcome([questions.ask(turn, step, SCOPE, self._knowledge)])

    def is_current(self, turn: Turn, step: Step) -> bool:
        conv = turn.conversation
        return conv is not None and conv.flow == Flow.SETTINGS and conv.step == step

    def answer(self, turn: Turn, step: Step, value: str) -> Outcome | None:
        """Record an answer; None when the answer is not valid (old or forged button)."""
        if not questions.accept(turn, step, value, self._knowledge):
            return None
        following = next_step(Flow.SETTINGS, step, value)
        if following is not None and turn.conversation is not None:
            turn.conversation.step = following
            return Outcome([questions.ask(turn, following, SCOPE, self._knowledge)])
        _ = turn.gettext
        saved = self.show(turn, _("Saved."))
        saved.replies[0:0] = questions.draft_notice(turn, step)
        return saved

    def _summary(self, turn: Turn, intro: str | None) -> Reply:
        _ = turn.gettext
        person = turn.person
        language = languages.by_code(person.language or turn.language).native_name
        municipality = self._municipality_name(turn)
        lines = [
            intro or "",
            _("<b>Your settings</b>"),
            turn.fill(_("Language: {language}"), language=language),
            turn.fill(_("Municipality: {municipality}"), municipality=municipality),
            turn.fill(_("Begeleiding: {status}"), status=self._begeleiding(turn)),
            _("Messages from the bot: paused") if person.paused
            else _("Messages from the bot: on"),
            _("Seasonal reminders (tax return, health insurance, ...): on") if person.reminders
            else _("Seasonal reminders (tax return, health insurance, ...): off"),
            _("Announcements from your municipality's coordinators: on")
            if person.announcements
            else _("Announcements from your municipality's coordinators: off"),
        ]
        buttons = [
            button(_("Change language"), SCOPE, "open", "lang"),
            button(_("Change municipality"), SCOPE, "open", "muni"),
            button(_("Update begeleiding"), SCOPE, "open", "beg"),
            button(_("Turn messages back on"), SCOPE, "open", "resume") if person.paused
            else button(_("Pause messages"), SCOPE, "open", "pause"),
            button(_("Turn seasonal reminders off"), SCOPE, "open", "remind-off")
            if person.reminders else button(_("Turn seasonal reminders on"), SCOPE, "open",
                                            "remind-on"),
            button(_("Turn announcements off"), SCOPE, "open", "news-off")
            if person.announcements else button(_("Turn announcements on"), SCOPE, "open",
                                                "news-on"),
            button(_("🏠 Menu"), "m", "menu"),
        ]
        return Reply("\n".join(line for line in lines if line is not None).strip(),
                     rows(buttons, 1))

    def _municipality_name(self, turn: Turn) -> str:
        _ = turn.gettext
        municipality_id = turn.person.municipality
        if municipality_id == OTHER_MUNICIPALITY:
            return _("another municipality")
        found = self._knowledge.municipality(municipality_id or "")
        return found.name if found else _("not chosen yet")

    @staticmethod
    def _begeleiding(turn: Turn) -> str:
        _ = turn.gettext
        person = turn.person
        match person.begeleiding:
            case Begeleiding.RUNNING if person.begeleiding_end is not None:
                return turn.fill(_("runs until about {month}"),
                                 month=questions.month_year(turn, person.begeleiding_end))
            case Begeleiding.RUNNING:
                return _("still running, end not known")
            case Begeleiding.ENDED:
                return _("ended")
            case Begeleiding.UNKNOWN:
                return _("don't know")
        return _("not answered yet")
