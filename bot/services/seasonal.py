"""Seasonal reminders from knowledge/calendar.yaml (issue 9): the tax return, the health
insurance switch, toeslagen letters, the rent increase, ... Each season's reminder goes once
to everyone who keeps reminders on (the switch in /settings) and was with Wegwijs when it
was due, in batches with a cursor, so a restart goes on where it was; each row expires with
its season (outbox.not_after), so it is never sent late. Calendar texts are plain text:
escaped here, placed in an HTML message."""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.content import contexts
from bot.content.knowledge import Knowledge
from bot.content.schema import CalendarEntry
from bot.domain import checkins as c
from bot.domain import outbox
from bot.domain.replies import Button
from bot.services import dates
from bot.services.handoff_routing import Reader, Router
from bot.services.ports import Catalogs, UnitOfWorkFactory

log = logging.getLogger(__name__)
SEASON_BATCH = 500  # people per transaction (one INSERT each): a short hold of SQLite's lock


class SeasonalReminders:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo,
                 router: Router) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self._zone = zone
        self._router = router

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Every season whose reminder is due and not too late: to everyone not yet sent."""
        written = 0
        for entry in self._knowledge.calendar:
            remind = (entry.remind.month, entry.remind.day) if entry.remind else None
            for season in c.open_seasons(entry.months, now, self._zone, remind):
                written += await self._season(uow_factory, entry, season, now)
        return written

    async def _season(self, uow_factory: UnitOfWorkFactory, entry: CalendarEntry,
                      season: c.Season, now: datetime) -> int:
        written = 0
        rendered: dict[str | None, outbox.Message] = {}
        while True:
            async with uow_factory() as uow:
                cursor = await uow.seasons.cursor(entry.id, season.key)
                if cursor is None:
                    return written
                batch = await uow.seasons.recipients(cursor, SEASON_BATCH, season.due)
                for _person_id, language in batch:
                    if language not in rendered:
                        rendered[language] = self._seasonal(Reader(self._catalogs, language),
                                                            entry)
                written += await uow.outbox.add_many([outbox.Outgoing(
                    person_id, outbox.Kind.REMINDER, rendered[language],
                    f"season:{entry.id}:{season.key}:{person_id}", not_after=season.end)
                    for person_id, language in batch], now)
                last = batch[-1][0] if batch else cursor
                await uow.seasons.advance(entry.id, season.key, last,
                                          now if len(batch) < SEASON_BATCH else None)
                await uow.commit()
            if len(batch) < SEASON_BATCH:
                log.info("seasonal: the %s reminder of %s went to %s people", entry.id,
                         season.key, written)
                return written

    def _seasonal(self, reader: Reader, entry: CalendarEntry) -> outbox.Message:
        """Calendar texts are plain text: escaped here, placed in an HTML message."""
        _ = reader.gettext
        text = reader.tr.pgettext(contexts.calendar(entry.id), entry.text)
        checked = dates.day_month_year(reader.language, self._knowledge.calendar_checked)
        lines = [_("📅 <b>Reminder</b>"), escape(text, quote=False), "",
                 _("Checked on {date}. Source: {source}").format(
                     date=escape(checked), source=escape(str(entry.source)))]
        keyboard: list[tuple[Button, ...]] = []
        if entry.flow and self._router.has_topic(entry.flow):
            title = self._router.topic_title(reader, entry.flow)
            keyboard.append((Button(f"📖 {title}", f"t:{entry.flow}"),))
        keyboard.append((Button(_("Reminders: change in settings"), "m:settings"),))
        return reader.readable(outbox.Message("\n".join(lines), tuple(keyboard)))

    async def forget(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Forget which seasons went out before last year: none of them can open again."""
        async with uow_factory() as uow:
            forgotten = await uow.seasons.forget(f"{now.astimezone(self._zone).year - 1}-01")
            await uow.commit()
        return forgotten
