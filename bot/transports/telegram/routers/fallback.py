"""Last router: stickers, photos, voice notes, locations... get a clear answer, not silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated, Message

from bot.services.desk import Desk
from bot.services.reachability import Reachability
from bot.transports.telegram.replies import caller_of, deliver
from bot.transports.telegram.sender import Sender


async def on_anything_else(message: Message, desk: Desk, sender: Sender) -> None:
    assert message.from_user is not None
    outcome = await desk.unsupported(caller_of(message.from_user, message.chat.id))
    await deliver(sender, message.chat.id, outcome)


async def on_block_or_unblock(update: ChatMemberUpdated, reachability: Reachability) -> None:
    """Telegram tells us when a person blocks (kicked) or unblocks the bot."""
    if update.new_chat_member.status == ChatMemberStatus.KICKED:
        await reachability.unreachable(update.chat.id)
    else:
        await reachability.reachable(update.chat.id)


def fallback_router() -> Router:
    router = Router(name="fallback")
    router.message.register(on_anything_else, F.chat.type == ChatType.PRIVATE, F.from_user)
    router.my_chat_member.register(on_block_or_unblock, F.chat.type == ChatType.PRIVATE)
    return router
