"""Sleutelpersonen: /profile and its buttons (scope "p"), for people who hold the
sleutelpersoon role. Typed answers to a profile question reach the profile service through
the Desk (it follows the person's open conversation)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.domain.incoming import command_args, command_name
from bot.domain.person import Role
from bot.services.desk import Audience, Desk
from bot.transports.telegram.filters import button_of, command_of, has_role
from bot.transports.telegram.replies import answer_button, caller_of, deliver
from bot.transports.telegram.sender import Sender


async def on_command(message: Message, desk: Desk, sender: Sender) -> None:
    assert message.from_user is not None and message.text is not None
    outcome = await desk.profiles.command(
        caller_of(message.from_user, message.chat.id), command_name(message.text) or "?",
        command_args(message.text))
    await deliver(sender, message.chat.id, outcome)


async def on_button(query: CallbackQuery, desk: Desk, sender: Sender) -> None:
    await sender.acknowledge(query.id)
    chat_id = query.message.chat.id if query.message else query.from_user.id
    outcome = await desk.profiles.button(caller_of(query.from_user, chat_id), query.data or "")
    await answer_button(query, sender, outcome)


def sleutelpersoon_router() -> Router:
    router = Router(name="sleutelpersoon")
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user, F.text,
                          command_of(Audience.SLEUTELPERSOON), has_role(Role.SLEUTELPERSOON))
    router.callback_query.filter(F.from_user, button_of(Audience.SLEUTELPERSOON),
                                 has_role(Role.SLEUTELPERSOON))
    router.message.register(on_command)
    router.callback_query.register(on_button)
    return router
