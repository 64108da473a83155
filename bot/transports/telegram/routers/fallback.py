"""Last router: stickers, photos, voice notes, locations... go to the Desk like text: relayed
in a conversation with a person, else a clear answer, not silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated

from bot.services.reachability import Reachability
from bot.transports.telegram.routers.newcomer import on_text


async def on_block_or_unblock(update: ChatMemberUpdated, reachability: Reachability) -> None:
    """Telegram tells us when a person blocks (kicked) or unblocks the bot."""
    if update.new_chat_member.status == ChatMemberStatus.KICKED:
        await reachability.unreachable(update.chat.id)
    else:
        await reachability.reachable(update.chat.id)


def fallback_router() -> Router:
    router = Router(name="fallback")
    router.message.register(on_text, F.chat.type == ChatType.PRIVATE, F.from_user)
    router.my_chat_member.register(on_block_or_unblock, F.chat.type == ChatType.PRIVATE)
    return router
