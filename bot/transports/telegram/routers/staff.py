"""Sleutelpersonen and coordinators: their commands and button scopes (bot.services.desk's
COMMANDS and SCOPES), for people who hold the role; the role filter sits on the router.
The handlers are the newcomer router's: the Desk hands each update to its audience's
service. Anyone else's staff command or button falls through to the newcomer router and
reaches the same service, which refuses it in their language and audits it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.services.desk import ROLE_OF, Audience
from bot.transports.telegram.filters import button_of, command_of, has_role
from bot.transports.telegram.routers.newcomer import on_button, on_command


def staff_router(audience: Audience) -> Router:
    role = ROLE_OF[audience]
    router = Router(name=audience.value)
    # Cheap filters first; the role (a database read) only for this audience's updates.
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user, F.text,
                          command_of(audience), has_role(role))
    router.callback_query.filter(F.from_user, button_of(audience), has_role(role))
    router.message.register(on_command)
    router.callback_query.register(on_button)
    return router
