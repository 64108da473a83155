"""Turning a service Outcome into Telegram calls, and an update's user into a Caller."""

from __future__ import annotations

import logging

from aiogram.types import CallbackQuery, Message, User

from bot.domain.delivery import Delivery
from bot.domain.incoming import Caller, Posted
from bot.domain.replies import Outcome
from bot.transports.telegram.sender import Sender

log = logging.getLogger(__name__)


def posted_of(message: Message) -> Posted:
    """What the services need of a message: its id, its words, what kind it is."""
    media = next((kind for kind, present in (
        ("photo", message.photo), ("document", message.document), ("voice", message.voice),
        ("audio", message.audio), ("video", message.video),
        ("video_note", message.video_note), ("sticker", message.sticker))
        if present), "text" if message.text is not None else "other")
    reply = message.reply_to_message
    return Posted(message.message_id, message.text if message.text is not None
                  else message.caption, media, reply.message_id if reply else None)


def caller_of(user: User, chat_id: int | None = None) -> Caller:
    return Caller(user.id, chat_id if chat_id is not None else user.id, user.language_code)


async def deliver(sender: Sender, chat_id: int, outcome: Outcome) -> None:
    """Every reply in order. One Telegram refused (400) does not stop the next, which may
    hold the buttons; a blocked chat or a long flood wait does."""
    for index, reply in enumerate(outcome.replies):
        result = await sender.send(chat_id, reply)
        if result.status is Delivery.LATER:
            log.warning("%s replies dropped: Telegram asks to wait until %s",
                        len(outcome.replies) - index, result.retry_at)
        if result.final:
            break


async def answer_button(query: CallbackQuery, sender: Sender, outcome: Outcome) -> None:
    """Reply first, then retire the pressed message's keyboard from spare capacity: the
    next question is what the person waits for, and Telegram's per-chat limit counts the
    edit too. The press itself was already acknowledged before the turn (see routers), so
    the client's spinner stopped at once."""
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to include: reply in private
        await deliver(sender, query.from_user.id, outcome)
    elif sender.keyboards_first:  # the old way, only for bench/taps.py's baseline
        await sender.drop_keyboard(message.chat.id, message.message_id)
        await deliver(sender, message.chat.id, outcome)
    else:
        await deliver(sender, message.chat.id, outcome)
        sender.retire_keyboard(message.chat.id, message.message_id)
