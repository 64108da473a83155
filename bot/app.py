"""The composition root: builds the services every transport shares. No globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.content.catalogs import BabelCatalogs
from bot.content.flows import load_flows
from bot.content.knowledge import Knowledge, load_demo_events
from bot.content.search import SearchIndex
from bot.domain.broadcast_timing import send_rate
from bot.scheduling import ticks
from bot.scheduling.ticks import start_scheduler
from bot.services.broadcasts import Broadcasts
from bot.services.chat import ChatService, utc_now
from bot.services.desk import Desk
from bot.services.event_sources import EventSources
from bot.services.outbox import Drainer, OutboxTransport
from bot.services.ports import Clock
from bot.services.reachability import Reachability
from bot.services.relay_translation import RelayTranslation
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.unit_of_work import SqlUnitOfWorkFactory
from bot.translation.detect import detect
from bot.translation.service import MachineTranslator

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    database: Database
    uow: SqlUnitOfWorkFactory
    catalogs: BabelCatalogs
    knowledge: Knowledge
    chat: ChatService
    reachability: Reachability
    desk: Desk  # where every update enters (bot.services.desk)
    clock: Clock  # what every part reads as now (a console can move it: --clock)
    event_sources: EventSources
    translation: MachineTranslator | None = None  # installed models (wegwijs translate)

    @asynccontextmanager
    async def background(self, transport: OutboxTransport) -> AsyncIterator[Drainer]:
        """What runs beside the conversations, for every transport: the outbox drainer
        (delivering through `transport`) and the scheduler's ticks."""
        settings = self.settings
        relayed = RelayTranslation(self.translation, self.catalogs) \
            if self.translation is not None else None
        drainer = Drainer(self.uow, transport, self.clock, settings.zone, settings.quiet,
                          idle_seconds=settings.tick_seconds,
                          prepare=relayed.prepare if relayed is not None else None)
        stop_listening = self.uow.on_outbox_commit(drainer.wake)
        task = asyncio.create_task(drainer.run(), name="outbox-drainer")
        scheduler = start_scheduler(self.uow, settings, drainer, self.chat.router,
                                    self.desk.reports, self.chat.checkins, self.clock,
                                    self.desk.broadcasts, self.event_sources,
                                    self.chat.event_notices, self.chat.event_digest)
        # Plans for people who answered before check-ins existed: once, in the background.
        planning = asyncio.create_task(self._plan_missing(), name="checkins-plan-missing")
        # The events of files and feeds now, not a tick later: /events right after a start.
        reading = asyncio.create_task(self._read_events(), name="events-first-read")
        # The English/Dutch detector loads its models (half a second) now, not in a turn.
        warming = asyncio.create_task(asyncio.to_thread(detect, "Hello, how are you today?"),
                                      name="language-detector-warm-up")
        try:
            yield drainer
        finally:
            planning.cancel()
            reading.cancel()
            warming.cancel()
            # Awaited, so a unit of work they had open is closed before the database is:
            # an aiosqlite connection left open keeps its thread, and the process, alive.
            # gather, not `suppress(CancelledError)`: that would also swallow a cancel of
            # this task itself, and a shutdown that is itself cancelled must still end.
            await asyncio.gather(planning, reading, return_exceptions=True)
            self.event_sources.close()
            if self.translation is not None:
                self.translation.close()
            scheduler.shutdown(wait=False)
            stop_listening()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


    async def _plan_missing(self) -> None:
        try:
            planned = await self.chat.checkins.plan_missing(self.uow, self.clock())
        except Exception:  # the database went away a moment: the next start tries again
            log.exception("checkins: planning for people without a plan failed")
            return
        if planned:
            log.info("checkins: planned check-ins for %s people who had none", planned)

    async def _read_events(self) -> None:
        try:
            await ticks.events_tick(self.event_sources, self.chat.event_notices,
                                    self.chat.event_digest, self.uow, self.clock)
        except Exception:  # the next tick tries again
            log.exception("events: the first read of the event sources failed")

    async def catch_up(self) -> None:
        """Run the ticks once now, as the scheduler would (the console after /clock)."""
        await ticks.checkin_tick(self.chat.checkins, self.uow, self.clock)
        await ticks.handoff_tick(self.chat.router, self.uow, self.clock)
        await ticks.staff_tick(self.desk.reports, self.uow, self.settings.one_to_one_weeks,
                               self.clock)
        await ticks.broadcast_tick(self.desk.broadcasts, self.uow, self.clock)
        self.event_sources.due_now()
        await ticks.events_tick(self.event_sources, self.chat.event_notices,
                                self.chat.event_digest, self.uow, self.clock)


@asynccontextmanager
async def build_app(settings: Settings, clock: Clock = utc_now) -> AsyncIterator[App]:
    """Load and validate content, migrate the database, wire the services."""
    catalogs = BabelCatalogs.load(settings.locales_dir)
    knowledge = Knowledge.load(settings.knowledge_dir)
    flows = load_flows(settings.flows_dir, knowledge)  # refuses to start on an invalid flow
    database = Database(settings.db_url)
    try:
        await database.migrate()
        uow = database.uow
        search = SearchIndex.build(flows, knowledge, catalogs)
        machine = MachineTranslator.installed(settings.translation_dir, uow, clock)
        translation = machine if machine.any() else None  # no models: as before
        chat = ChatService(uow, catalogs, knowledge, flows, search, clock, settings.zone,
                           settings.routing, translation)
        runner = Broadcasts(knowledge, catalogs, settings.zone, settings.quiet,
                            send_rate(settings.send_rate, settings.paid_broadcast))
        demo = load_demo_events(settings.knowledge_dir) if settings.demo_events else None
        sources = EventSources(knowledge, catalogs, settings.zone, chat.event_notices,
                               settings.knowledge_dir, demo=demo,
                               feed_minutes=settings.event_feed_minutes)
        yield App(settings, database, uow, catalogs, knowledge, chat, Reachability(uow, clock),
                  Desk(chat, knowledge, runner, paid=settings.paid_broadcast,
                       locales_dir=settings.locales_dir), clock, sources,
                  translation)
    finally:
        await database.dispose()
