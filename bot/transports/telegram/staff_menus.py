"""Telegram's command menu for staff: in the chat of each coordinator and sleutelpersoon,
their role's commands (/queue, /conversations, ...) above everyone's, in their language.

Who gets which menu is the service's answer (bot.services.menu.staff_menus); this adapter
writes it to Telegram. Roles change in the bot (an invitation accepted, a role ended) and on
the command line, so the menus are brought up to date at start and then every tick: only
chats whose roles or language changed are written. A menu is cosmetic: a failure is logged,
never raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.services import menu
from bot.services.ports import Catalogs, UnitOfWorkFactory

log = logging.getLogger(__name__)


class StaffMenus:
    def __init__(self, bot: Bot, uow: UnitOfWorkFactory, catalogs: Catalogs) -> None:
        self._bot = bot
        self._uow = uow
        self._catalogs = catalogs
        self._published: dict[int, menu.StaffMenu] = {}  # chat -> what its menu shows

    async def refresh(self) -> int:
        """Write the menus that changed; returns how many chats were written."""
        wanted = await menu.staff_menus(self._uow)
        written = 0
        for chat_id, (language, roles) in wanted.items():
            if self._published.get(chat_id) == (language, roles):
                continue
            tr = self._catalogs.translator(language)
            commands = [BotCommand(command=name, description=description) for name, description
                        in menu.staff_command_descriptions(tr, set(roles))]
            if await self._call(self._bot.set_my_commands(
                    commands, scope=BotCommandScopeChat(chat_id=chat_id))):
                self._published[chat_id] = (language, roles)
                written += 1
        for chat_id in set(self._published) - set(wanted):  # no role any more
            if await self._call(self._bot.delete_my_commands(
                    scope=BotCommandScopeChat(chat_id=chat_id))):
                del self._published[chat_id]
                written += 1
        return written

    async def run(self, every: float) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # the database went away a moment: try at the next tick
                log.exception("staff menus: refreshing failed")
            await asyncio.sleep(every)

    @staticmethod
    async def _call(request: Awaitable[object]) -> bool:
        try:
            await request
        except TelegramAPIError as exc:
            log.warning("staff menus: Telegram refused a command menu: %s", exc.message)
            return False
        return True
