"""Who can be reached: Telegram says 403 when a person blocked the bot.

These writes happen outside the person's turn (while a reply is being sent, or when Telegram
reports a block), so each is one targeted, conditional statement: it never writes back a
language or municipality read earlier, and a turn running at the same time notices the
change (its version check fails) and runs again on fresh data.
"""

from __future__ import annotations

from bot.services.ports import Clock, UnitOfWorkFactory


class Reachability:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def unreachable(self, chat_id: int) -> None:
        """Stop sending to this chat until the person writes again (ChatService clears it)."""
        async with self._uow() as uow:
            if await uow.people.mark_unreachable(chat_id, self._clock()):
                await uow.commit()

    async def reachable(self, chat_id: int) -> None:
        async with self._uow() as uow:
            if await uow.people.mark_reachable(chat_id):
                await uow.commit()
