"""Sending the outbox: the drainer takes due rows and hands them to the transport.

Services write rows (`uow.outbox.add`) in the unit of work of the change that causes them;
the commit wakes the drainer, so a relay leaves at once, and the scheduler's tick wakes it
too, which catches up after downtime and picks up rows other processes wrote. Each row is
marked in its own short transaction right after its send: a crash in between can repeat
only the rows in flight, never lose one. Rows to one chat go in order; chats go side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain import outbox
from bot.domain.delivery import Delivery, SendResult
from bot.domain.quiet_hours import QuietHours
from bot.services.ports import OutboxRepository, UnitOfWorkFactory

log = logging.getLogger(__name__)
BATCH = 50  # rows claimed per transaction
MAX_IN_FLIGHT = 200  # rows being sent at once, all chats together
ENDED_RETENTION = timedelta(days=30)  # then even the bookkeeping of an ended row goes
MIN_PAUSE = 0.05  # seconds between drains at the least: never a busy loop
# Broadcast rows being sent at once: about 2 s of the default pace; each waits its turn
# for spare capacity (Sender), so more in flight would only wait longer.
BROADCAST_IN_FLIGHT = 50
# Seconds a broadcast row's outcome waits to be written with others. 0: at once, together
# with all that came while the previous write ran (a group commit): few transactions, and
# after a kill -9 hardly a row that went out without its outcome (bench/broadcast.py).
MARK_DELAY = 0.0


class OutboxTransport(Protocol):
    """How one transport delivers a row: Telegram through its Sender, the console by
    printing. It must not wait for rate limits: a long wait comes back as LATER."""

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        """`background`: a broadcast row, sent only from capacity nobody else needs."""


class Drainer:
    def __init__(self, uow: UnitOfWorkFactory, transport: OutboxTransport,
                 clock: Callable[[], datetime], zone: ZoneInfo, quiet: QuietHours | None, *,
                 idle_seconds: float = 30.0,
                 prepare: Callable[[outbox.Message], Awaitable[outbox.Message]] | None = None
                 ) -> None:
        self._uow = uow
        self._transport = transport
        self._clock = clock
        self._zone = zone
        self._quiet = quiet
        self._idle = idle_seconds
        # Last touches made at delivery, e.g. a relayed text's machine translation.
        self._prepare = prepare
        self._wake = asyncio.Event()
        self._marks: list[Callable[[OutboxRepository], Awaitable[None]]] = []
        self._marking: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Drain, then sleep until woken, until the next row is due, or for `idle_seconds`."""
        while True:
            self._wake.clear()
            try:
                await self.drain()
                pause = await self._until_next_due()
            except Exception:  # the database went away a moment: try again, never stop
                log.exception("outbox: draining failed")
                pause = self._idle
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def drain(self) -> int:
        """Send every row that is due now; returns how many were handled.

        Each chat is a lane of its own: a chat that has to wait (Telegram's 1 message/s)
        never holds up the others, and rows written meanwhile (a relay) are claimed while
        slow lanes still run. A chat's next rows are claimed only once its rows in flight
        have ended (SqlOutbox.claim_due), so each chat still gets them in written order.

        Rows of broadcasts are claimed apart, at most BROADCAST_IN_FLIGHT at a time, and
        go out from the capacity the conversations leave (`background`): a broadcast to
        thousands never queues a relay or an answer behind it."""
        handled = 0
        lanes: dict[asyncio.Task[Any], int] = {}  # lane -> rows it holds
        announcing: set[asyncio.Task[Any]] = set()  # one broadcast row each
        look = True  # look for other rows: at the start, when woken, when a lane ended
        looked = 0.0
        announced = 0.0  # when broadcast rows were last looked for and none were due
        woke = True  # the first round, or a wake: a commit may have written any rows
        loop = asyncio.get_running_loop()
        try:
            while True:
                due: list[outbox.Due] = []
                room = min(BATCH, MAX_IN_FLIGHT - sum(lanes.values()))
                # A retry falls due by time, without a wake: look at least once a second.
                if (look or loop.time() - looked >= 1.0) and room > 0:
                    looked = loop.time()
                    self._wake.clear()  # a wake from now on means: look again
                    due = await self._claim(room, broadcasts=False)
                by_chat: dict[int, list[outbox.Due]] = {}
                for row in due:
                    by_chat.setdefault(row.chat_id, []).append(row)
                for rows in by_chat.values():
                    lanes[asyncio.create_task(self._send_in_order(rows))] = len(rows)
                spare = BROADCAST_IN_FLIGHT - len(announcing)
                more: list[outbox.Due] = []
                # Refill in chunks, not per row; after finding none, look again when woken
                # or a second later (no extra transaction per relay when nothing runs).
                if spare >= BROADCAST_IN_FLIGHT // 2 and (
                        woke or announcing or loop.time() - announced >= 1.0):
                    more = await self._claim(spare, broadcasts=True)
                    if not more:
                        announced = loop.time()
                    for row in more:
                        announcing.add(asyncio.create_task(self._send(row, background=True)))
                handled += len(due) + len(more)
                if due and len(due) == room:
                    continue  # there may be more due already
                if not lanes and not announcing:
                    return handled
                woken = asyncio.create_task(self._wake.wait())
                done, _pending = await asyncio.wait(
                    [*lanes, *announcing, woken], return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                look = woke = woken in done
                for task in done - {woken}:
                    if task in lanes:
                        del lanes[task]
                        look = True
                    else:
                        announcing.discard(task)
                    task.result()  # a lane that failed (the database) fails the drain
        finally:
            for task in [*lanes, *announcing]:
                task.cancel()
            await asyncio.gather(*lanes, *announcing, return_exceptions=True)
            await self._marked()

    async def _claim(self, limit: int, *, broadcasts: bool) -> list[outbox.Due]:
        async with self._uow() as uow:
            due = await uow.outbox.claim_due(self._clock(), limit, broadcasts=broadcasts)
            await uow.commit()
        return due

    async def _send_in_order(self, rows: list[outbox.Due]) -> None:
        for number, row in enumerate(rows):
            later = await self._send(row)
            if later is not None:  # keep the order: the rest of this chat waits as well
                for rest in rows[number + 1:]:
                    await self._record(partial(_hold, rest.id, later))
                return

    async def _send(self, row: outbox.Due, *, background: bool = False) -> datetime | None:
        """Handle one row; the moment to try again when the chat cannot take it now. A
        broadcast row's outcome is recorded with others in one transaction (`_mark`)."""
        record = self._mark if background else self._record
        now = self._clock()
        before = outbox.before_sending(row, now, self._quiet, self._zone)
        match before.action:
            case outbox.Hold.UNREACHABLE:
                await record(lambda o: o.end(row.id, outbox.Status.UNREACHABLE, now))
                return None
            case outbox.Hold.SKIP:
                if before.reason:
                    log.warning("outbox: row %s %s", row.id, before.reason)
                await record(lambda o: o.end(row.id, outbox.Status.SKIPPED, now,
                                             before.reason))
                return None
            case outbox.Hold.LATER:
                assert before.until is not None
                until = before.until
                # Only proactive rows wait for the morning; a relay behind it goes on.
                await record(lambda o: o.retry(row.id, until, attempted=False))
                return None
        if row.kind in outbox.AT_MOST_ONCE:
            await self._record(lambda o: o.sending(row.id, now))  # before it goes
        try:
            message = row.message if self._prepare is None else await self._prepare(
                row.message)
            result = await self._transport.deliver(row.chat_id, message,
                                                   background=background)
        except Exception as exc:  # a bug or an outage: count it, back off, keep the row
            log.exception("outbox: delivering row %s failed", row.id)
            result = SendResult(Delivery.LATER, None, type(exc).__name__)
        after = outbox.after_sending(result, row.attempts + 1, self._clock())
        error = result.detail or None
        if after.status is outbox.Status.PENDING:
            assert after.retry_at is not None
            retry_at = after.retry_at
            attempted = after.attempted
            await record(lambda o: o.retry(row.id, retry_at, attempted=attempted,
                                           error=error if attempted else None))
            return retry_at
        if after.status is outbox.Status.FAILED:
            log.warning("outbox: row %s failed after %s attempt(s): %s", row.id,
                        row.attempts + 1, error or result.status.value)
        ended = self._clock()
        await record(lambda o: o.end(row.id, after.status, ended, error,
                                     result.message_id))
        return None

    async def _record(self, change: Callable[[OutboxRepository], Awaitable[None]]) -> None:
        """One short transaction per mark, right after the send it records."""
        async with self._uow() as uow:
            await change(uow.outbox)
            await uow.commit()

    async def _mark(self, change: Callable[[OutboxRepository], Awaitable[None]]) -> None:
        """Record a broadcast row's outcome together with the others of that moment (a
        group commit): fewer transactions than messages, so the conversations' own
        transactions rarely wait for the database. A crash before the marks are written
        sends those rows again (after their claim lease): they count as in flight."""
        self._marks.append(change)
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks(MARK_DELAY))

    async def _write_marks(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while self._marks:
            changes, self._marks = self._marks, []
            async with self._uow() as uow:
                for change in changes:
                    await change(uow.outbox)
                await uow.commit()

    async def _marked(self) -> None:
        """Until every mark is written (the end of a drain)."""
        if self._marking is not None and not self._marking.done():
            await self._marking  # never cancelled: it may be writing
        await self._write_marks(0)

    async def _until_next_due(self) -> float:
        async with self._uow() as uow:
            due = await uow.outbox.next_due()
        if due is None:
            return self._idle
        return max(MIN_PAUSE, min(self._idle, (due - self._clock()).total_seconds()))


async def purge_ended(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """Ended rows keep no content; after ENDED_RETENTION their bookkeeping goes too."""
    async with uow_factory() as uow:
        purged = await uow.outbox.purge_ended(now - ENDED_RETENTION)
        await uow.commit()
    return purged


async def _hold(row_id: int, until: datetime, rows: OutboxRepository) -> None:
    await rows.retry(row_id, until, attempted=False)
