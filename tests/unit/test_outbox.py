"""The outbox: rules (pure), the drainer (with a fake transport), and claiming on SQLite and
PostgreSQL (several drainers never take the same row; a dead drainer's rows come back)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from memory_store import MemoryStore

from bot.domain import outbox
from bot.domain.delivery import SENT, UNREACHABLE, Delivery, SendResult
from bot.domain.quiet_hours import QuietHours
from bot.services.outbox import Drainer, purge_ended
from bot.services.ports import UnitOfWorkFactory
from bot.storage.database import Database

ZONE = ZoneInfo("Europe/Amsterdam")
QUIET = QuietHours.parse("21:00-09:00")
NOON = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam
NIGHT = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)  # 23:00 in Amsterdam


def due(**changes: object) -> outbox.Due:
    base = outbox.Due(1, 100, outbox.Kind.NOTIFICATION, True, outbox.Message("hi"), 0,
                      recipient_paused=False, recipient_unreachable=False)
    return replace(base, **changes)  # type: ignore[arg-type]


# -- rules ---------------------------------------------------------------------------------


def test_quiet_hours_and_stop_hold_only_what_the_bot_says_on_its_own() -> None:
    assert outbox.before_sending(due(), NOON, QUIET, ZONE).action is outbox.Hold.SEND
    held = outbox.before_sending(due(), NIGHT, QUIET, ZONE)
    assert held.action is outbox.Hold.LATER
    assert held.until == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
    relay = due(kind=outbox.Kind.RELAY, proactive=False)
    assert outbox.before_sending(relay, NIGHT, QUIET, ZONE).action is outbox.Hold.SEND
    paused = due(recipient_paused=True)
    assert outbox.before_sending(paused, NOON, QUIET, ZONE).action is outbox.Hold.SKIP
    assert outbox.before_sending(replace(paused, proactive=False), NOON, QUIET,
                                 ZONE).action is outbox.Hold.SEND
    gone = due(kind=outbox.Kind.RELAY, proactive=False, recipient_unreachable=True)
    assert outbox.before_sending(gone, NOON, QUIET, ZONE).action is outbox.Hold.UNREACHABLE


def test_an_awaited_notification_is_not_proactive() -> None:
    message = outbox.Message("Your question was taken.")
    assert outbox.Outgoing(1, outbox.Kind.NOTIFICATION, message, "k").proactive
    assert not outbox.Outgoing(1, outbox.Kind.NOTIFICATION, message, "k", awaited=True).proactive
    assert not outbox.Outgoing(1, outbox.Kind.RELAY, message, "k").proactive


def test_after_sending_ends_or_retries_with_back_off() -> None:
    assert outbox.after_sending(SENT, 1, NOON).status is outbox.Status.SENT
    assert outbox.after_sending(UNREACHABLE, 1, NOON).status is outbox.Status.UNREACHABLE
    refused = SendResult(Delivery.REFUSED, detail="Bad Request: message is too long")
    assert outbox.after_sending(refused, 1, NOON).status is outbox.Status.FAILED
    network = SendResult(Delivery.LATER)
    assert outbox.after_sending(network, 1, NOON).retry_at == NOON + timedelta(seconds=5)
    assert outbox.after_sending(network, 3, NOON).retry_at == NOON + timedelta(seconds=20)
    flood = SendResult(Delivery.LATER, NOON + timedelta(minutes=10))
    assert outbox.after_sending(flood, 1, NOON).retry_at == NOON + timedelta(minutes=10)
    assert outbox.after_sending(network, outbox.MAX_ATTEMPTS, NOON).status is \
        outbox.Status.FAILED
    assert outbox.backoff(40) == outbox.LAST_RETRY


def test_a_message_survives_the_row() -> None:
    from bot.domain.replies import Button

    message = outbox.Message("<b>Claim?</b>", ((Button("Claim", "h:claim:7"),),))
    assert outbox.Message.loads(message.dumps()) == message
    # A relayed text to translate at delivery, and a text that answers a message.
    translated = outbox.Message("", copy=outbox.Copy(101, 7, 3, translate=outbox.Translate(
        "عندي رسالة", "ar", "nl")))
    assert outbox.Message.loads(translated.dumps()) == translated
    plain = outbox.Message("", copy=outbox.Copy(101, 8))
    assert outbox.Message.loads(plain.dumps()) == plain
    answering = outbox.Message("Hallo", reply_to=12)
    assert outbox.Message.loads(answering.dumps()) == answering
    drafted = outbox.Message("Write it", draft=outbox.Translate("Taalcafé", "nl", "ar", "en"))
    assert outbox.Message.loads(drafted.dumps()) == drafted


# -- the drainer ---------------------------------------------------------------------------


class Recorder:
    """A transport that records what it delivers and answers as told per chat."""

    def __init__(self) -> None:
        self.delivered: list[tuple[int, str]] = []
        self.answers: dict[int, list[SendResult]] = {}
        self.explode = False

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        if self.explode:
            raise ConnectionResetError("network")
        answers = self.answers.get(chat_id)
        result = answers.pop(0) if answers else SENT
        if result.sent:
            self.delivered.append((chat_id, message.text))
        return result


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def person(uow: UnitOfWorkFactory, telegram_id: int, *, paused: bool = False) -> int:
    async with uow() as work:
        found = await work.people.add(telegram_id, telegram_id, NOON)
        found.paused = paused
        await work.people.save(found)
        await work.commit()
    return found.id


async def write(uow: UnitOfWorkFactory, *rows: outbox.Outgoing) -> None:
    async with uow() as work:
        for row in rows:
            await work.outbox.add(row, NOON)
        await work.commit()


def msg(recipient: int, text: str, kind: outbox.Kind = outbox.Kind.RELAY) -> outbox.Outgoing:
    return outbox.Outgoing(recipient, kind, outbox.Message(text), f"{recipient}-{text}")


async def statuses(uow: UnitOfWorkFactory, recipient: int) -> list[str]:
    async with uow() as work:
        return [row.status.value for row in await work.outbox.of(recipient)]


async def test_rows_go_out_in_order_per_chat_and_end_without_content() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NOON)
    a, b = await person(store, 1), await person(store, 2)
    await write(store, msg(a, "a1"), msg(b, "b1"), msg(a, "a2"), msg(a, "a1"))  # a1 twice
    drainer = Drainer(store, transport, clock, ZONE, QUIET)
    assert await drainer.drain() == 3
    assert [t for c, t in transport.delivered if c == 1] == ["a1", "a2"]
    assert (2, "b1") in transport.delivered
    async with store() as work:
        ended = await work.outbox.of(a)
    assert [(e.status, e.text) for e in ended] == [(outbox.Status.SENT, None)] * 2
    assert await drainer.drain() == 0  # nothing is sent twice


async def test_a_chat_that_must_wait_keeps_its_order_and_others_go_on() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NOON)
    a, b = await person(store, 1), await person(store, 2)
    await write(store, msg(a, "a1"), msg(a, "a2"), msg(b, "b1"))
    transport.answers[1] = [SendResult(Delivery.LATER, NOON + timedelta(seconds=30))]
    drainer = Drainer(store, transport, clock, ZONE, QUIET)
    await drainer.drain()
    assert transport.delivered == [(2, "b1")]
    clock.now += timedelta(seconds=31)
    await drainer.drain()
    assert transport.delivered == [(2, "b1"), (1, "a1"), (1, "a2")]


async def test_stop_quiet_hours_and_blocked_recipients() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NIGHT)
    paused, sleeper = await person(store, 1, paused=True), await person(store, 2)
    await write(store, msg(paused, "news", outbox.Kind.BROADCAST),
                msg(paused, "answer to your question"),
                msg(sleeper, "reminder", outbox.Kind.REMINDER))
    drainer = Drainer(store, transport, clock, ZONE, QUIET)
    await drainer.drain()
    assert transport.delivered == [(1, "answer to your question")]
    assert await statuses(store, paused) == ["skipped", "sent"]
    clock.now = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # 09:00: the reminder goes
    await drainer.drain()
    assert transport.delivered[-1] == (2, "reminder")
    transport.answers[2] = [UNREACHABLE]
    await write(store, msg(sleeper, "one more"))
    await drainer.drain()
    assert await statuses(store, sleeper) == ["sent", "unreachable"]


async def test_a_row_that_keeps_failing_ends_as_failed_for_coordinators() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NOON)
    a = await person(store, 1)
    await write(store, msg(a, "hello"))
    transport.explode = True
    drainer = Drainer(store, transport, clock, ZONE, QUIET)
    for _ in range(outbox.MAX_ATTEMPTS):
        await drainer.drain()
        clock.now += outbox.LAST_RETRY
    async with store() as work:
        [failed] = await work.outbox.failed()
    assert failed.attempts == outbox.MAX_ATTEMPTS and failed.error == "ConnectionResetError"
    assert transport.delivered == []


async def test_ended_rows_are_purged_after_their_retention() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NOON)
    a = await person(store, 1)
    await write(store, msg(a, "hello"), msg(a, "later", outbox.Kind.REMINDER))
    async with store() as work:  # the reminder is for next week
        rows = await work.outbox.of(a)
        await work.outbox.retry(rows[1].id, NOON + timedelta(days=40), attempted=False)
        await work.commit()
    await Drainer(store, transport, clock, ZONE, QUIET).drain()
    assert await purge_ended(store, NOON + timedelta(days=31)) == 1
    assert await statuses(store, a) == ["pending"]


# -- on real databases ---------------------------------------------------------------------


@pytest.fixture
def database(both_databases: Database) -> Database:
    return both_databases


async def test_a_commit_that_wrote_rows_wakes_the_drainer(database: Database) -> None:
    woken: list[str] = []
    undo = database.uow.on_outbox_commit(lambda: woken.append("wake"))
    a = await person(database.uow, 1)
    assert woken == []  # a commit without outbox rows wakes nobody
    await write(database.uow, msg(a, "hello"), msg(a, "hello"))
    assert woken == ["wake"]
    async with database.uow() as work:
        assert not await work.outbox.add(msg(a, "hello"), NOON)  # the same key: no new row
    undo()


async def test_two_drainers_never_take_the_same_row(database: Database) -> None:
    people = [await person(database.uow, n) for n in (1, 2, 3)]
    await write(database.uow, *(msg(p, f"m{p}-{i}") for p in people for i in range(10)))

    async def claim() -> list[int]:
        async with database.uow() as work:
            rows = await work.outbox.claim_due(NOON, 20)
            await work.commit()
        return [r.id for r in rows]

    first, second = await asyncio.gather(claim(), claim())
    assert len(first) + len(second) == 30 and not set(first) & set(second)
    assert await claim() == []  # all taken for the lease
    # A drainer that died: its rows come back when the lease has passed.
    async with database.uow() as work:
        back = await work.outbox.claim_due(NOON + outbox.CLAIM_LEASE + timedelta(seconds=1), 50)
    assert len(back) == 30


async def test_a_later_row_to_a_person_waits_for_an_earlier_one_held_back(
        database: Database) -> None:
    """Relays arrive in the order they were written, also across drains and drainers."""
    a = await person(database.uow, 1)
    await write(database.uow, msg(a, "first"))
    async with database.uow() as work:
        [first] = await work.outbox.claim_due(NOON, 10)
        await work.outbox.retry(first.id, NOON + timedelta(seconds=30), attempted=False)
        await work.commit()
    await write(database.uow, msg(a, "second"))
    async with database.uow() as work:
        assert await work.outbox.claim_due(NOON, 10) == []  # "first" is held back
    async with database.uow() as work:
        later = await work.outbox.claim_due(NOON + timedelta(seconds=31), 10)
    assert [r.message.text for r in later] == ["first", "second"]  # in written order


async def test_the_drainer_on_a_real_database_and_delete_takes_the_rows(
        database: Database) -> None:
    transport, clock = Recorder(), Clock(NOON)
    a, b = await person(database.uow, 1), await person(database.uow, 2)
    await write(database.uow, msg(a, "to a"), msg(b, "to b"))
    async with database.uow() as work:
        await work.people.delete(b)
        await work.commit()
    assert await Drainer(database.uow, transport, clock, ZONE, QUIET).drain() == 1
    assert transport.delivered == [(1, "to a")]
    async with database.uow() as work:
        assert await work.outbox.counts() == {("relay", "sent"): 1}


async def test_a_row_another_drainer_holds_is_due_when_its_lease_ends(
        database: Database) -> None:
    a = await person(database.uow, 1)
    await write(database.uow, msg(a, "held"))
    async with database.uow() as work:
        await work.outbox.claim_due(NOON, 10)  # another process took it and is sending
        await work.commit()
    async with database.uow() as work:
        assert await work.outbox.next_due() == NOON + outbox.CLAIM_LEASE


class ProcessDies(BaseException):
    """Not an Exception: nothing in the drainer catches it, as with a killed process."""


class DiesAfterDelivering(Recorder):
    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        await super().deliver(chat_id, message)
        raise ProcessDies  # delivered; the process stops before recording it


async def test_a_check_in_is_never_sent_twice_when_the_process_dies_after_sending_it(
        both_databases: Database) -> None:
    """A relay is sent again after such a crash (at least once: nothing a person wrote is
    lost); a check-in or reminder is not (at most once: "how are you?" twice looks broken,
    and a check-in that went missing is followed up anyway)."""
    db, clock = both_databases, Clock(NOON)
    me = await person(db.uow, 1)
    await write(db.uow, msg(me, "how are you?", outbox.Kind.CHECKIN))
    dying = DiesAfterDelivering()
    with pytest.raises(ProcessDies):
        await Drainer(db.uow, dying, clock, ZONE, QUIET).drain()
    assert dying.delivered == [(1, "how are you?")]
    clock.now += outbox.CLAIM_LEASE + timedelta(seconds=1)  # the dead drainer's lease ends
    after = Recorder()
    await Drainer(db.uow, after, clock, ZONE, QUIET).drain()
    assert after.delivered == []
    async with db.uow() as work:
        [row] = await work.outbox.of(me)
    assert (row.status, row.error) == (outbox.Status.SKIPPED, outbox.STOPPED_WHILE_SENDING)

    await write(db.uow, msg(me, "my letter", outbox.Kind.RELAY))
    with pytest.raises(ProcessDies):
        await Drainer(db.uow, DiesAfterDelivering(), clock, ZONE, QUIET).drain()
    clock.now += outbox.CLAIM_LEASE + timedelta(seconds=1)
    await Drainer(db.uow, after, clock, ZONE, QUIET).drain()
    assert after.delivered == [(1, "my letter")]  # a relay: sent again


class SlowBroadcasts(Recorder):
    """Broadcast rows take a while each (they wait for spare capacity); others do not."""

    async def deliver(self, chat_id: int, message: outbox.Message, *,
                      background: bool = False) -> SendResult:
        if background:
            await asyncio.sleep(0.01)
        return await super().deliver(chat_id, message)


async def test_a_relay_never_waits_behind_a_broadcast() -> None:
    """Broadcast rows are claimed apart and at most BROADCAST_IN_FLIGHT at a time: a relay
    written after thousands of them goes out among the first, and urgent rows go in quiet
    hours."""
    store, transport, clock = MemoryStore(), SlowBroadcasts(), Clock(NIGHT)
    people = [await person(store, 100 + n) for n in range(120)]
    await write(store, *(outbox.Outgoing(p, outbox.Kind.BROADCAST, outbox.Message(f"news {p}"),
                                         f"broadcast:1:{p}", broadcast_id=1, urgent=True)
                         for p in people))
    helper = await person(store, 1)
    await write(store, msg(helper, "a relay"))
    drainer = Drainer(store, transport, clock, ZONE, QUIET)
    assert await drainer.drain() == 121
    order = [text for _chat, text in transport.delivered]
    assert order.index("a relay") < 5
    assert len(order) == 121  # urgent: none held for the morning


async def test_broadcast_outcomes_are_recorded_when_the_drain_ends() -> None:
    store, transport, clock = MemoryStore(), Recorder(), Clock(NOON)
    recipient = await person(store, 5)
    await write(store, outbox.Outgoing(recipient, outbox.Kind.BROADCAST, outbox.Message("news"),
                                       "broadcast:2:5", broadcast_id=2))
    await Drainer(store, transport, clock, ZONE, QUIET).drain()
    assert await statuses(store, recipient) == ["sent"]
