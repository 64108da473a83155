"""Turning a service Outcome into Telegram calls, and an update's user into a Caller."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, User

from bot.domain.incoming import Caller
from bot.domain.replies import Outcome
from bot.transports.telegram.sender import Sender

NOTICE_LIMIT = 200  # answerCallbackQuery text


def caller_of(user: User, chat_id: int | None = None) -> Caller:
    return Caller(user.id, chat_id if chat_id is not None else user.id, user.language_code)


async def deliver(sender: Sender, chat_id: int, outcome: Outcome) -> None:
    for reply in outcome.replies:
        if not await sender.send(chat_id, reply):
            break  # unreachable or refused: the rest would fail the same way


async def answer_button(query: CallbackQuery, sender: Sender, outcome: Outcome) -> None:
    """Acknowledge the press (stops the client's spinner), retire the old keyboard, reply."""
    notice = outcome.notice[:NOTICE_LIMIT] if outcome.notice else None
    await sender.acknowledge(query.id, notice)
    message = query.message
    if isinstance(message, Message):
        await sender.drop_keyboard(message.chat.id, message.message_id)
        await deliver(sender, message.chat.id, outcome)
    else:  # the message is too old for Telegram to include: reply in the private chat
        await deliver(sender, query.from_user.id, outcome)
