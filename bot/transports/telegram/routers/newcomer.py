"""Newcomers, and everyone without the role an update needs: commands, button presses and
text in private chats, through the Desk (which also answers /whoami, invitation links, and
typed answers to a sleutelpersoon's or an invited person's open question)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.domain.incoming import command_args, command_name
from bot.services.desk import Desk
from bot.transports.telegram.replies import answer_button, caller_of, deliver, posted_of
from bot.transports.telegram.sender import Sender


async def on_command(message: Message, desk: Desk, sender: Sender) -> None:
    """Every /command; the service answers unknown ones in the person's language."""
    assert message.from_user is not None and message.text is not None
    name = command_name(message.text) or "?"
    outcome = await desk.command(caller_of(message.from_user, message.chat.id), name,
                                 command_args(message.text))
    await deliver(sender, message.chat.id, outcome)


async def on_text(message: Message, desk: Desk, sender: Sender) -> None:
    """Text, and (from the fallback router) photos, voice notes, documents, stickers: the
    Desk sends them to the open conversation (a person answering), else to search."""
    assert message.from_user is not None
    outcome = await desk.post(caller_of(message.from_user, message.chat.id),
                              posted_of(message))
    await deliver(sender, message.chat.id, outcome)


async def on_button(query: CallbackQuery, desk: Desk, sender: Sender) -> None:
    await sender.acknowledge(query.id)  # first: the spinner stops even if the turn waits
    chat_id = query.message.chat.id if query.message else query.from_user.id
    outcome = await desk.button(caller_of(query.from_user, chat_id), query.data or "")
    await answer_button(query, sender, outcome)


def newcomer_router() -> Router:
    router = Router(name="newcomer")
    router.message.filter(F.chat.type == ChatType.PRIVATE, F.from_user)
    router.message.register(on_command, F.text.startswith("/"))
    router.message.register(on_text, F.text)
    router.callback_query.register(on_button, F.from_user)
    return router
