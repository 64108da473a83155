"""Router filters: which audience an update belongs to (the same tables the console's Desk
uses) and whether the sender holds the audience's role. The role is looked up on the
server; each service checks it again inside its own unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.types import CallbackQuery, Message

from bot.domain.incoming import command_name
from bot.domain.person import Role
from bot.services.desk import Audience, Desk, audience_of_button, audience_of_command


def command_of(audience: Audience) -> Callable[[Message], bool]:
    """A /command of this audience (cheap: checked before the role)."""
    def check(message: Message) -> bool:
        name = command_name(message.text or "")
        return name is not None and audience_of_command(name) is audience
    return check


def button_of(audience: Audience) -> Callable[[CallbackQuery], bool]:
    """A button whose callback data has this audience's scope."""
    def check(query: CallbackQuery) -> bool:
        return audience_of_button(query.data) is audience
    return check


def has_role(role: Role) -> Callable[[Message | CallbackQuery, Desk], Awaitable[bool]]:
    async def check(event: Message | CallbackQuery, desk: Desk) -> bool:
        user = event.from_user
        return user is not None and await desk.access.has_role(user.id, role)
    return check
