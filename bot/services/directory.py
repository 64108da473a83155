"""The directory: organisations and initiatives by category, for the person's municipality
(local ones first, then those that work in the whole country).

Buttons: g:all (the categories), g:cat:<category> (one category's organisations); each
organisation is a k:<organisation id> button, answered where scope "k" is.
"""

from __future__ import annotations

from bot.content.knowledge import Knowledge, Municipality
from bot.content.schema import Category, Organisation
from bot.domain import languages
from bot.domain.bidi import isolate
from bot.domain.replies import Button, Outcome, Reply, escape, rows
from bot.services.turn import Turn, button

SCOPE = "g"  # g:all, g:cat:<category>
ORGANISATION_SCOPE = "k"  # k:<organisation id>, shown by Ask.organisation


def _(message: str) -> str:
    """Mark a string for extraction; it is translated for the reader where it is shown."""
    return message


# In the order people see them; every Category has a label (a test checks it).
CATEGORY_LABELS: dict[Category, str] = {
    Category.EMERGENCY: _("🚑 Emergency and crisis"),
    Category.HEALTH: _("🩺 Health"),
    Category.ADMIN: _("📄 Letters and paperwork"),
    Category.DEBTS: _("💶 Money and debts"),
    Category.HOUSING: _("🏘️ Housing"),
    Category.WORK: _("💼 Work"),
    Category.LANGUAGE: _("🗣️ Language"),
    Category.INBURGERING: _("🎓 Inburgering"),
    Category.BEGELEIDING: _("🧭 Begeleiding (guidance)"),
    Category.MEETING: _("🤝 Meeting people"),
    Category.CHILDREN: _("🧒 Children and school"),
    Category.FAMILY: _("👨‍👩‍👧 Family"),
    Category.LEGAL: _("⚖️ Legal help and police"),
    Category.DISCRIMINATION: _("✋ Discrimination"),
}
_CATEGORIES = {c.value: c for c in CATEGORY_LABELS}


class Directory:
    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge

    def show(self, turn: Turn) -> Outcome:
        """The categories that have at least one organisation for this person."""
        _ = turn.gettext
        turn.conversation = None
        place = self._municipality(turn)
        if place is not None:
            text = turn.fill(_("<b>Organisations and initiatives in {municipality}</b>"),
                             municipality=place.name)
        else:
            text = _("<b>Organisations and initiatives in the whole country</b>")
        text += "\n" + _("Choose what you need help with.")
        buttons = []
        for category, label in CATEGORY_LABELS.items():
            count = len(self._organisations(turn, category))
            if count:
                buttons.append(button(f"{_(label)} ({count})", SCOPE, "cat", category.value))
        return Outcome([Reply(text, (*rows(buttons, 1), (self._menu(turn),)))])

    def on_button(self, turn: Turn, name: str, value: str) -> Outcome | None:
        """g:all and g:cat:<category>; None for anything else (forged or outdated)."""
        if name == "all" and not value:
            return self.show(turn)
        category = _CATEGORIES.get(value) if name == "cat" else None
        return self.category(turn, category) if category is not None else None

    def category(self, turn: Turn, category: Category) -> Outcome:
        _ = turn.gettext
        turn.conversation = None
        found = self._organisations(turn, category)
        title = f"<b>{escape(_(CATEGORY_LABELS[category]))}</b>"
        place = self._municipality(turn)
        local = {o.id for o in self._knowledge.local.get(place.id, [])} if place else set()
        if not found:
            note = _("We do not know an organisation for this yet. Ask your municipality "
                     "(gemeente): they can tell you who helps.")
        elif place is not None and local & {o.id for o in found}:
            note = turn.fill(_("First those in {municipality}, then those that work in the "
                               "whole country. Tap one to read more."),
                             municipality=place.name)
        else:
            note = _("These organisations work in the whole country. Tap one to read more.")
        buttons = [button(self._label(turn, org), ORGANISATION_SCOPE, org.id) for org in found]
        back = button(_("↩️ Back"), SCOPE, "all")
        return Outcome([Reply(f"{title}\n{note}",
                              (*rows(buttons, 1), (back, self._menu(turn))))])

    # -- helpers ------------------------------------------------------------------------

    def _municipality(self, turn: Turn) -> Municipality | None:
        """Where the person lives, if Wegwijs has local content for it."""
        return self._knowledge.municipality(turn.person.municipality or "")

    def _organisations(self, turn: Turn, category: Category) -> list[Organisation]:
        place = self._municipality(turn)
        return self._knowledge.organisations(category, place.id if place else None)

    @staticmethod
    def _label(turn: Turn, org: Organisation) -> str:
        """The name, and the languages help is offered in when known: "Taalhuis DOK · nl,
        ar". Button labels are plain text (not HTML): isolated in RTL, never escaped."""
        label = f"{org.name} · {', '.join(org.languages)}" if org.languages else org.name
        return isolate(label) if languages.is_rtl(turn.language) else label

    @staticmethod
    def _menu(turn: Turn) -> Button:
        return button(turn.gettext("🏠 Menu"), "m", "menu")
