"""Asking once whether to switch language, after several messages in another one.

The rule is bot.domain.language_switch; this module feeds it each free-text message of a
newcomer (the language told by bot.translation.detect) and renders the question: in the
language they have been writing, and in their own, with a button for each. The answer is a
settings button ("s:open:switch-<code>" or "s:open:switch-keep"), so a stale one is as
harmless as any settings button.
"""

from __future__ import annotations

from bot.domain.language_switch import observe
from bot.domain.replies import Reply
from bot.services.profile_questions import language_name
from bot.services.staff import fill_for
from bot.services.turn import Turn, button
from bot.translation.detect import detect

SCOPE = "s"  # answered by SettingsService.open
SWITCH = "switch-"
KEEP = "switch-keep"


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for each language where it is used."""
    return message


QUESTION = _("You have written to me in {language} a few times. Shall Wegwijs speak "
             "{language} with you?")


def watch(turn: Turn, text: str) -> Reply | None:
    """Count this message; the question to ask when the run is long enough (once)."""
    person = turn.person
    current = person.language or turn.language
    person.language_watch, ask = observe(person.language_watch, current, detect(text))
    if ask is None:
        return None
    new = turn.catalogs.translator(ask)
    # First in the language they have been writing, then in their own; each names the
    # languages in its own words ("English" / "الإنجليزية").
    text = fill_for(ask, new.gettext(QUESTION), language=language_name(ask, ask)) + "\n\n" + \
        fill_for(current, turn.gettext(QUESTION), language=language_name(ask, current))
    yes = fill_for(ask, new.gettext(_("Yes, switch to {language}")),
                   language=language_name(ask, ask))
    keep = fill_for(current, turn.gettext(_("No, keep {language}")),
                    language=language_name(current, current))
    return Reply(text, ((button(yes, SCOPE, "open", f"{SWITCH}{ask}"),),
                        (button(keep, SCOPE, "open", KEEP),)))
