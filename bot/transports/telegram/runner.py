"""Serve Telegram with long polling: bot, dispatcher, routers, ticks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, ErrorEvent

from bot.app import App, build_app
from bot.domain import languages
from bot.domain.rate_limit import SendLimiter
from bot.logging_setup import protect_secrets
from bot.services import menu
from bot.services.chat import utc_now
from bot.services.desk import Audience
from bot.services.ports import Clock
from bot.settings import Settings
from bot.transports.telegram.middlewares import OnePersonAtATime
from bot.transports.telegram.outbox import TelegramOutbox
from bot.transports.telegram.routers.fallback import fallback_router
from bot.transports.telegram.routers.newcomer import newcomer_router
from bot.transports.telegram.routers.staff import staff_router
from bot.transports.telegram.sender import Sender, Unreachable
from bot.transports.telegram.staff_menus import StaffMenus

log = logging.getLogger(__name__)
# Updates handled at once. Beyond it aiogram stops fetching until a slot is free, so a
# burst of people queues in order instead of piling onto the database pool.
MAX_CONCURRENT_UPDATES = 100


def make_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.bot_token.get_secret_value(), session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML,
                                            link_preview_is_disabled=True))


def make_dispatcher() -> Dispatcher:
    """Routers in explicit order: one per audience, each with its role filter, then
    newcomers (everyone else); the fallback is last."""
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(OnePersonAtATime())
    dispatcher.include_routers(staff_router(Audience.COORDINATOR),
                               staff_router(Audience.SLEUTELPERSOON), newcomer_router(),
                               fallback_router())
    dispatcher.errors.register(on_error)
    return dispatcher


async def on_error(event: ErrorEvent) -> None:
    """Updates of a person are answered by OnePersonAtATime; this logs what is left."""
    log.error("error while handling update %s", event.update.update_id,
              exc_info=event.exception)


async def publish_profile(bot: Bot, app: App) -> None:
    """Command menu and description in each language (English is also the default)."""
    for lang in languages.LANGUAGES:
        tr = app.catalogs.translator(lang.code)
        commands = [BotCommand(command=name, description=description)
                    for name, description in menu.command_descriptions(tr)]
        await bot.set_my_commands(commands, language_code=lang.code)
        await bot.set_my_description(menu.about(tr), language_code=lang.code)
        if lang.code == languages.DEFAULT:
            await bot.set_my_commands(commands)
            await bot.set_my_description(menu.about(tr))


class TelegramRunner:
    def __init__(self, settings: Settings, limiter: SendLimiter | None = None, *,
                 make_sender: Callable[[Bot, Unreachable, SendLimiter], Sender] = Sender,
                 clock: Clock = utc_now) -> None:
        self.settings = settings
        self._clock = clock  # tests move it to try a year of check-ins
        self.dispatcher = make_dispatcher()
        self._limiter = limiter or SendLimiter(global_rate=settings.send_rate)
        self._make_sender = make_sender  # bench/taps.py measures the old way against the new
        self.app: App | None = None  # while running: what tests drive ticks through
        self.staff_menus: StaffMenus | None = None

    async def run(self, *, handle_signals: bool = True) -> None:
        settings = self.settings
        protect_secrets(*settings.secrets())  # before anything can log the token or password
        async with build_app(settings, self._clock) as app:
            self.app = app
            bot = make_bot(settings)
            sender = self._make_sender(bot, app.reachability, self._limiter)
            try:
                async with app.background(TelegramOutbox(sender)):
                    me = await bot.get_me()
                    log.info("serving Telegram as @%s", me.username)
                    app.desk.set_bot_username(me.username)  # for invitation links
                    try:
                        await publish_profile(bot, app)
                    except TelegramAPIError as exc:  # cosmetic: never a reason not to serve
                        log.warning("could not publish commands and description: %s", exc)
                    self.staff_menus = StaffMenus(bot, app.uow, app.catalogs)
                    menus = asyncio.create_task(self.staff_menus.run(settings.tick_seconds),
                                                name="staff-menus")
                    try:
                        await bot.delete_webhook(drop_pending_updates=False)
                        await self.dispatcher.start_polling(
                            bot, handle_signals=handle_signals, close_bot_session=True,
                            allowed_updates=["message", "callback_query", "my_chat_member"],
                            tasks_concurrency_limit=MAX_CONCURRENT_UPDATES,
                            desk=app.desk, sender=sender,
                            reachability=app.reachability)
                    finally:
                        menus.cancel()
                        await asyncio.gather(menus, return_exceptions=True)
            finally:
                await sender.close()  # keyboards still waiting to be retired keep their buttons
                await bot.session.close()

    async def stop(self) -> None:
        await self.dispatcher.stop_polling()


async def run_polling(settings: Settings) -> None:
    await TelegramRunner(settings).run()
