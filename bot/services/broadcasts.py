"""Delivering coordinator broadcasts (issue 10): a tick starts confirmed broadcasts when
their time, quiet hours and versions allow, writes their outbox rows in batches just ahead
of the drain, keeps the coordinator's status message current, and reports the end.

- One outbox row per recipient (key broadcast:<id>:<person>), written in batches of
  WRITE_BATCH people with the cursor (broadcasts.next_person_id) in the same transaction:
  a restart goes on where it was, and a batch written twice keeps the first rows.
- Rows are written only while fewer than WINDOW wait to be sent: the drainer's claims
  stay small, and a cancel has little to withdraw.
- The drainer sends broadcast rows apart from every other row, from spare capacity
  (bot.services.outbox), so a conversation never waits behind a broadcast.
- The status message is edited at most every STATUS_EDIT_INTERVAL, and only when its
  figures changed; the end is a message of its own.
The rules (audience, versions, lifecycle, pace) are in bot.domain.broadcast.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content.knowledge import Knowledge
from bot.domain import broadcast as b
from bot.domain import broadcast_timing as t
from bot.domain import outbox
from bot.domain.quiet_hours import QuietHours
from bot.services import announcements as a
from bot.services import staff
from bot.services.handoff_routing import Reader
from bot.services.ports import Catalogs, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
WRITE_BATCH = 200  # people read per transaction: the database's lock held briefly
WINDOW = 1000  # rows of one broadcast waiting to be sent, at most


class Broadcasts:
    def __init__(self, knowledge: Knowledge, catalogs: Catalogs, zone: ZoneInfo,
                 quiet: QuietHours | None, rate: float) -> None:
        self._knowledge = knowledge
        self._catalogs = catalogs
        self.zone = zone
        self.quiet = quiet
        self.rate = rate  # messages per second (the configured or the paid limit)

    def place(self, municipality: str) -> str:
        return staff.municipality_name(self._knowledge, municipality)

    # -- the tick -------------------------------------------------------------------------

    async def tick(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        """Start, write, report: every broadcast confirmed or being sent, each in its own
        transaction. Returns how many outbox rows were written."""
        async with uow_factory() as uow:
            active = await uow.broadcasts.active()
        written = 0
        for broadcast_id in active:
            async with uow_factory() as uow:
                found = await uow.broadcasts.hold(broadcast_id)
                if found is None or found.state not in (b.State.CONFIRMED, b.State.SENDING):
                    continue  # another process has it now, or it just ended
                written += await self._advance(uow, found, now)
                await uow.commit()
        return written

    async def _advance(self, uow: UnitOfWork, broadcast: b.Broadcast, now: datetime) -> int:
        versions = await uow.broadcasts.versions(broadcast.id)
        if broadcast.state is b.State.CONFIRMED:
            if t.start_at(now, broadcast.scheduled_at, self.quiet, self.zone,
                          broadcast.urgent) > now:
                return 0
            if not plan_of(broadcast, versions).may_start:
                return 0  # a language waits for its version; the coordinator was told
            if not await uow.broadcasts.move(broadcast.id, b.State.CONFIRMED, b.State.SENDING,
                                             now):
                return 0
            broadcast = replace(broadcast, state=b.State.SENDING, started_at=now)
            log.info("broadcast %s: started for %s recipients", broadcast.id,
                     broadcast.recipients)
        progress = await uow.broadcasts.progress(broadcast.id)
        written = 0
        if not broadcast.written_all and progress.remaining < WINDOW:
            written = await self._write(uow, broadcast, versions, now)
            progress = await uow.broadcasts.progress(broadcast.id)
            broadcast = await uow.broadcasts.hold(broadcast.id) or broadcast  # the cursor
        if broadcast.written_all and progress.remaining == 0 and await uow.broadcasts.move(
                broadcast.id, b.State.SENDING, b.State.DONE, now):
            broadcast = replace(broadcast, state=b.State.DONE)
            await self.finish(uow, broadcast, now)
            log.info("broadcast %s: done", broadcast.id)
            return written
        await self.show_status(uow, broadcast, progress, now)
        return written

    async def _write(self, uow: UnitOfWork, broadcast: b.Broadcast,
                     versions: dict[str, b.Version], now: datetime) -> int:
        """The next batch of recipients: their rows and the cursor, in one transaction."""
        batch = await uow.broadcasts.candidates(broadcast.audience, broadcast.next_person_id,
                                                WRITE_BATCH)
        place = self.place(broadcast.audience.municipality)
        messages: dict[str, outbox.Message | None] = {}
        rows = []
        for recipient in batch:
            if not b.in_audience(recipient, broadcast.audience):
                continue
            language = b.reading_language(recipient)
            if language not in messages:
                text = text_for(broadcast, versions, language)
                messages[language] = None if text is None else a.announcement(
                    Reader(self._catalogs, language), place, text, broadcast)
            message = messages[language]
            if message is None:
                continue  # joined since it was confirmed, in a language not approved
            rows.append(outbox.Outgoing(
                recipient.person_id, outbox.Kind.BROADCAST, message,
                b.outbox_key(broadcast.id, recipient.person_id),
                broadcast_id=broadcast.id, urgent=broadcast.urgent))
        written = await uow.outbox.add_many(rows, now)
        last = batch[-1].person_id if batch else broadcast.next_person_id
        await uow.broadcasts.written_up_to(broadcast.id, last, len(batch) < WRITE_BATCH)
        return written

    # -- the coordinator's status -----------------------------------------------------------

    async def show_status(self, uow: UnitOfWork, broadcast: b.Broadcast,
                          progress: b.Progress, now: datetime) -> None:
        """Send the status message once it starts, then edit it when the figures changed,
        at most every STATUS_EDIT_INTERVAL."""
        author = await uow.people.by_telegram_id(broadcast.author_id) \
            if broadcast.author_id is not None else None
        if author is None:
            return  # the coordinator deleted their data: nobody to tell
        counted = a.figures(progress, broadcast)
        key = a.shown(counted, broadcast.state)
        if key == broadcast.status_shown:
            return
        reader = Reader(self._catalogs, author.language)
        message = a.status(reader, self.place(broadcast.audience.municipality), broadcast,
                           counted, now, self.zone, self.quiet, self.rate)
        prefix = f"broadcast:{broadcast.id}:status"
        if broadcast.status_edits == 0:
            await uow.outbox.add(outbox.Outgoing(author.id, outbox.Kind.NOTIFICATION, message,
                                                 prefix, awaited=True), now)
            await uow.broadcasts.status_shown(broadcast.id, key, now, None)
            return
        message_id = broadcast.status_message_id
        if message_id is None:
            sent = await uow.outbox.sent_under(prefix)
            message_id = sent[0][1] if sent else None
        final = broadcast.state in (b.State.DONE, b.State.CANCELLED)
        if message_id is None or (not final and t.next_status_edit(
                broadcast.status_edited_at, now, True) != now):
            return  # not sent yet, or edited less than STATUS_EDIT_INTERVAL ago
        await uow.outbox.add(outbox.Outgoing(
            author.id, outbox.Kind.NOTIFICATION, replace(message, edit_of=message_id),
            f"{prefix}:{broadcast.status_edits}", awaited=True), now)
        await uow.broadcasts.status_shown(broadcast.id, key, now, message_id)

    async def finish(self, uow: UnitOfWork, broadcast: b.Broadcast, now: datetime) -> None:
        """Done or cancelled: the status message's last figures and the report."""
        progress = await uow.broadcasts.progress(broadcast.id)
        await self.show_status(uow, broadcast, progress, now)
        author = await uow.people.by_telegram_id(broadcast.author_id) \
            if broadcast.author_id is not None else None
        if author is None:
            return
        reader = Reader(self._catalogs, author.language)
        await uow.outbox.add(outbox.Outgoing(
            author.id, outbox.Kind.NOTIFICATION,
            a.report(reader, self.place(broadcast.audience.municipality), broadcast,
                     progress, now),
            f"broadcast:{broadcast.id}:report", awaited=True), now)

    async def cancel(self, uow: UnitOfWork, broadcast: b.Broadcast, now: datetime) -> bool:
        """Stop it: rows not sent yet are withdrawn (one being sent right now still
        goes). False when it had already ended, or someone else changed it just now."""
        if b.refusal(broadcast.state, b.State.CANCELLED) is not None:
            return False
        if not await uow.broadcasts.move(broadcast.id, broadcast.state, b.State.CANCELLED, now):
            return False
        withdrawn = await uow.broadcasts.withdraw(broadcast.id, now)
        log.info("broadcast %s: cancelled, %s rows withdrawn", broadcast.id, withdrawn)
        if broadcast.state is b.State.SENDING:
            await self.finish(uow, replace(broadcast, state=b.State.CANCELLED,
                                           written_all=True), now)
        return True


def plan_of(broadcast: b.Broadcast, versions: dict[str, b.Version]) -> b.VersionPlan:
    """Which text each language with recipients gets (counted when it was confirmed)."""
    return b.plan_versions(broadcast.counts, {k: v.state for k, v in versions.items()},
                           {k: v.fallback for k, v in versions.items()}, broadcast.source)


def text_for(broadcast: b.Broadcast, versions: dict[str, b.Version],
             language: str) -> str | None:
    """The text for readers of `language`: its approved version, else the source text if
    the coordinator chose that, else None (nothing unapproved goes out)."""
    source = versions.get(broadcast.source)
    own = versions.get(language)
    if language == broadcast.source or (own is not None
                                        and own.state is b.VersionState.APPROVED):
        chosen = own
    elif own is not None and own.fallback is b.Fallback.SOURCE:
        chosen = source
    else:
        return None
    return chosen.text if chosen is not None and chosen.text.strip() else None


async def purge_ended(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """Broadcasts that ended more than broadcast.RETENTION ago go, with their versions;
    drafts left for DRAFT_KEPT end as cancelled."""
    async with uow_factory() as uow:
        await uow.broadcasts.abandon_drafts(now - b.DRAFT_KEPT, now)
        purged = await uow.broadcasts.purge_ended(now - b.RETENTION)
        await uow.commit()
    return purged
