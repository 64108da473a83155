"""The main menu, help, and the answers for anything the bot did not understand.

The menu lists only what exists; later features add their entries to MENU_ENTRIES.
"""

from __future__ import annotations

from bot.domain import languages
from bot.domain.person import Role
from bot.domain.replies import Outcome, Reply, rows
from bot.services.ports import Translator, UnitOfWorkFactory
from bot.services.turn import Turn, button


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


# (entry id, label) in menu order; the label is translated when the menu is shown.
MENU_ENTRIES: tuple[tuple[str, str], ...] = (
    ("topics", _("📚 Topics: letters, rules, help")),
    ("emergency", _("🚑 Emergency or a doctor at night")),
    ("person", _("🙋 Ask a person who speaks your language")),
    ("events", _("📅 Events near you: meet people")),
    ("directory", _("🤝 Organisations that can help")),
    ("settings", _("⚙️ Settings")),
    ("privacy", _("🔒 Privacy and your data")),
    ("help", _("❓ Help")),
)

# Commands shown in Telegram's command menu, with their descriptions.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("menu", _("Main menu")),
    ("topics", _("All topics")),
    ("word", _("Explain a Dutch word, e.g. /word aanmaning")),
    ("person", _("Ask a person who speaks your language")),
    ("events", _("Events near you this week and next")),
    ("directory", _("Organisations and initiatives near you")),
    ("language", _("Change language")),
    ("settings", _("Your language, municipality and begeleiding")),
    ("help", _("How Wegwijs works")),
    ("privacy", _("What Wegwijs stores about you")),
    ("mydata", _("Download all your data")),
    ("delete", _("Delete all your data")),
    ("stop", _("Pause messages the bot sends by itself")),
    ("resume", _("Turn those messages back on")),
    ("start", _("Start Wegwijs")),
)


# What a role adds to Telegram's command menu, in that person's chat only.
STAFF_COMMANDS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.COORDINATOR: (
        ("queue", _("Questions waiting for a person")),
        ("invite", _("Invite a sleutelpersoon or a coordinator")),
        ("roles", _("Roles and invitations; end a role")),
        ("checkins", _("Check-ins after begeleiding; who was not reached")),
        ("broadcast", _("Send an announcement to everyone, in their language")),
        ("attendance", _("Who is coming to events; feedback; calendar feeds")),
        ("newevent", _("Create an event; sleutelpersonen translate it")),
        ("report", _("Monthly activity of the sleutelpersonen (CSV)")),
        ("audit", _("What was done and refused")),
        ("leads", _("Language leads for the review of translations")),
    ),
    Role.SLEUTELPERSOON: (
        ("conversations", _("Your conversations with newcomers")),
        ("answer", _("Send a newcomer a topic, e.g. /answer huurtoeslag")),
        ("begeleiding", _("Note when a newcomer's begeleiding ends, e.g. /begeleiding 2027-06")),
        ("profile", _("Your profile, hours and pause")),
        ("report", _("Your activity last month (CSV)")),
        ("review", _("Check the bot's texts in your language")),
    ),
}


def command_descriptions(tr: Translator) -> list[tuple[str, str]]:
    return [(name, tr.gettext(description)) for name, description in COMMANDS]


StaffMenu = tuple[str, frozenset[Role]]  # the language it is in, the roles it is for


async def staff_menus(uow_factory: UnitOfWorkFactory) -> dict[int, StaffMenu]:
    """Which chats get a staff command menu: chat -> (language, roles). Someone with a role
    who never opened the bot has no chat yet and gets none."""
    async with uow_factory() as uow:
        roles: dict[int, set[Role]] = {}
        for grant in await uow.roles.all():
            roles.setdefault(grant.telegram_id, set()).add(grant.role)
        menus: dict[int, StaffMenu] = {}
        for telegram_id, held in roles.items():
            person = await uow.people.by_telegram_id(telegram_id)
            if person is not None:
                menus[person.chat_id] = (person.language or languages.DEFAULT,
                                         frozenset(held))
    return menus


def staff_command_descriptions(tr: Translator, roles: set[Role]) -> list[tuple[str, str]]:
    """A staff member's menu: their roles' commands first, /whoami, then everyone's."""
    found: dict[str, str] = {}
    for role in (Role.COORDINATOR, Role.SLEUTELPERSOON):
        for name, description in STAFF_COMMANDS[role] if role in roles else ():
            found.setdefault(name, tr.gettext(description))
    found.setdefault("whoami", tr.gettext(_("Your roles and commands")))
    for name, description in command_descriptions(tr):
        found.setdefault(name, description)
    return list(found.items())


def menu_reply(turn: Turn, intro: str | None = None) -> Reply:
    _ = turn.gettext
    text = intro if intro is not None else _("<b>Menu</b>\nWhat would you like to do?")
    buttons = [button(turn.gettext(label), "m", entry) for entry, label in MENU_ENTRIES]
    return Reply(text, rows(buttons, 1))


def show(turn: Turn) -> Outcome:
    turn.conversation = None
    return Outcome([menu_reply(turn)])


def help_text(turn: Turn) -> str:
    _ = turn.gettext
    lines = [_("<b>How Wegwijs works</b>"),
             _("Tap the buttons, or send one of these commands:"), ""]
    lines += [f"/{name} – {description}" for name, description in command_descriptions(turn.tr)]
    return "\n".join(lines)


def help_(turn: Turn) -> Outcome:
    if not turn.person.onboarded:  # the menu comes after the first questions
        return Outcome([Reply(help_text(turn))])
    return Outcome([menu_reply(turn, help_text(turn))])


def not_understood(turn: Turn) -> Outcome:
    _ = turn.gettext
    return Outcome([menu_reply(turn, _(
        "Sorry, I did not understand that. Please choose from the menu below."))])


def unsupported(turn: Turn) -> Outcome:
    _ = turn.gettext
    return Outcome([menu_reply(turn, _(
        "I can only read text messages and buttons. Please choose from the menu below."))])


def something_went_wrong(tr: Translator) -> str:
    return tr.gettext(
        "Sorry, something went wrong on our side. Nothing you did was lost. "
        "Please try again, or send /menu.")


def slow_down(tr: Translator) -> str:
    return tr.gettext(
        "That is a lot of messages at once. I am answering the first ones and skipping the "
        "rest. Please wait a few seconds, then send again what is still open.")


def about(tr: Translator) -> str:
    """Telegram's bot description, shown before someone presses Start (max 512 chars)."""
    return tr.gettext(
        "Wegwijs helps newcomers in the Netherlands with letters, rules and local help, "
        "in Arabic, Tigrinya, English and Dutch. It is an independent helper, not the "
        "municipality or the IND.")
