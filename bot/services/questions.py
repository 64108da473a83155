"""Asking the profile questions (language, consent, municipality, begeleiding) and
storing the answers. Shared by onboarding and /settings; `scope` says which one asks."""

from __future__ import annotations

from datetime import date

from bot.content.knowledge import OTHER_MUNICIPALITY, Knowledge
from bot.domain import languages
from bot.domain.person import Begeleiding
from bot.domain.questions import UNKNOWN, Step, end_months, end_years, is_valid
from bot.domain.replies import Reply, rows
from bot.services import dates
from bot.services.turn import Turn, button


def language_prompt(turn: Turn) -> str:
    """'Choose your language' in every language, the likely one first."""
    first = turn.person.language or turn.hinted_language
    order = sorted(languages.LANGUAGES, key=lambda lang: lang.code != first)
    return "\n".join(turn.catalogs.translator(lang.code).gettext("Choose your language.")
                     for lang in order)


def privacy_notice(turn: Turn) -> str:
    _ = turn.gettext
    return "\n\n".join([
        _("Wegwijs is an independent helper. It is not the municipality (gemeente), "
          "not the IND and not the COA. Using it has no effect on your residence permit "
          "or your benefits (uitkering, toeslagen)."),
        _("<b>What we store</b>\n"
          "• your Telegram user number, so the bot can answer you\n"
          "• the language, municipality and begeleiding answers you choose here\n"
          "• when you started and last used Wegwijs, and where you are in a conversation\n"
          "We do not store your name or your phone number."),
        _("<b>Who can see it</b>\n"
          "Only the small team that runs this bot. We never sell or share it."),
        _("<b>You decide</b>\n"
          "/mydata sends you everything we store about you.\n"
          "/delete erases all of it.\n"
          "/stop pauses the messages the bot sends on its own."),
        _("Please never send your BSN, DigiD password or bank details in this chat."),
    ])


def month_year(turn: Turn, when: date) -> str:
    return dates.month_year(turn.language, when)


def ask(turn: Turn, step: Step, scope: str, knowledge: Knowledge) -> Reply:
    _ = turn.gettext
    match step:
        case Step.LANGUAGE:
            chosen = turn.person.language or turn.hinted_language
            buttons = [button(("✓ " if lang.code == chosen else "") + lang.native_name,
                              scope, step, lang.code) for lang in languages.LANGUAGES]
            return Reply(language_prompt(turn), rows(buttons, 2))
        case Step.CONSENT:
            text = "\n\n".join([
                _("<b>Welcome to Wegwijs!</b>\nWegwijs helps you find your way in the "
                  "Netherlands: letters, rules and local help, in your own language."),
                privacy_notice(turn),
                _("Do you agree to this?"),
            ])
            return Reply(text, rows([button(_("✅ I agree"), scope, step, "yes"),
                                     button(_("No, thank you"), scope, step, "no")], 1))
        case Step.MUNICIPALITY:
            chosen = turn.person.municipality
            buttons = [button(("✓ " if m.id == chosen else "") + m.name, scope, step, m.id)
                       for m in knowledge.municipalities]
            buttons.append(button(_("Another municipality"), scope, step, OTHER_MUNICIPALITY))
            return Reply(_("In which municipality do you live?"), rows(buttons, 2))
        case Step.BEGELEIDING:
            return Reply(
                _("Do you still get begeleiding (guidance) from VluchtelingenWerk or "
                  "the municipality?"),
                rows([button(_("Yes, it is still running"), scope, step, Begeleiding.RUNNING),
                      button(_("No, it has ended"), scope, step, Begeleiding.ENDED),
                      button(_("I don't know"), scope, step, Begeleiding.UNKNOWN)], 1))
        case Step.END_YEAR:
            years = [button(str(y), scope, step, str(y)) for y in end_years(turn.today)]
            return Reply(_("Roughly when does your begeleiding end? Choose the year."),
                         (*rows(years, 3), (button(_("I don't know"), scope, step, UNKNOWN),)))
        case Step.END_MONTH:
            year = int((turn.conversation.data if turn.conversation else {}).get(
                "year", turn.today.year))
            months = [button(dates.month_name(turn.language, date(year, m, 1)),
                             scope, step, str(m)) for m in end_months(year, turn.today)]
            # Arabic names both month forms ("يناير/كانون الثاني"): two to a row fit.
            return Reply(turn.fill(_("And in which month of {year}?"), year=str(year)),
                         (*rows(months, 2 if turn.language == "ar" else 3),
                          (button(_("I don't know"), scope, step, UNKNOWN),)))
        case Step.CONFIRM:
            raise ValueError("the delete confirmation is asked by the privacy service")


def accept(turn: Turn, step: Step, value: str, knowledge: Knowledge) -> bool:
    """Validate an answer (buttons can be old or forged) and record it when valid."""
    year = turn.conversation.data.get("year") if turn.conversation else None
    if not is_valid(step, value, municipalities=knowledge.municipality_ids(),
                    today=turn.today, year=int(year) if year else None):
        return False
    record(turn, step, value)
    return True


def draft_notice(turn: Turn, step: Step) -> list[Reply]:
    """Said when someone picks a language whose texts are not all reviewed yet."""
    if step != Step.LANGUAGE or not turn.catalogs.has_drafts(turn.language):
        return []
    if turn.catalogs.all_drafts(turn.language):
        text = turn.gettext(
            "The texts in this language are drafts that a native speaker has not checked "
            "yet; in the topics they are marked ✎. If something is unclear, you can switch "
            "to another language with /language.")
    else:
        text = turn.gettext(
            "Some texts in this language are drafts that a native speaker has not checked "
            "yet; in the topics they are marked ✎. If something is unclear, you can switch "
            "to another language with /language.")
    ask = turn.gettext("Or ask a person who speaks your language: /person")
    # Before onboarding ends there is no municipality to find a person in: words only.
    keyboard = ((button(turn.gettext("🙋 Ask a person"), "h", "draft"),),) \
        if turn.person.onboarded else ()
    return [Reply(f"{text}\n\n{ask}", keyboard)]


def record(turn: Turn, step: Step, value: str) -> None:
    """Store a (validated) answer. A running begeleiding is written only with its end
    date, so abandoning the year or month question never loses what was stored before."""
    person = turn.person
    pending = turn.conversation.data if turn.conversation else {}
    match step:
        case Step.LANGUAGE:
            person.language = value
            turn.use_language(value)
        case Step.CONSENT:
            if value == "yes":
                person.consented_at = turn.now
        case Step.MUNICIPALITY:
            person.municipality = value
        case Step.BEGELEIDING if value != Begeleiding.RUNNING:
            person.begeleiding, person.begeleiding_end = Begeleiding(value), None
        case Step.END_YEAR if value == UNKNOWN:
            person.begeleiding, person.begeleiding_end = Begeleiding.RUNNING, None
        case Step.END_YEAR:
            pending["year"] = value
        case Step.END_MONTH:
            year = pending.get("year")
            person.begeleiding = Begeleiding.RUNNING
            person.begeleiding_end = (
                date(int(year), int(value), 1) if year and value != UNKNOWN else None)
