"""Broadcasts on SQLite and PostgreSQL (issue 10, groundwork): a broadcast and its versions
round-trip, moves are conditional, the candidates exclude who must never get one, the
progress is counted from its outbox rows, and /delete and retention do what they say."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import broadcast as b
from bot.domain import outbox
from bot.domain.person import Begeleiding, Role, RoleGrant
from bot.storage.database import Database

NOW = datetime(2027, 2, 1, 10, tzinfo=UTC)


@pytest.fixture
def database(both_databases: Database) -> Database:
    return both_databases


async def person(db: Database, telegram_id: int, *, language: str = "ar",
                 municipality: str = "leiden", consented: bool = True, paused: bool = False,
                 announcements: bool = True, unreachable: bool = False) -> int:
    async with db.uow() as uow:
        added = await uow.people.add(telegram_id, telegram_id, NOW)
        added.language, added.municipality = language, municipality
        added.begeleiding = Begeleiding.ENDED
        added.consented_at = NOW if consented else None
        added.paused, added.announcements = paused, announcements
        added.unreachable_since = NOW if unreachable else None
        await uow.people.save(added)
        await uow.commit()
    return added.id


async def test_a_broadcast_and_its_versions_round_trip_and_move_once(
        database: Database) -> None:
    draft = b.Broadcast(0, b.Audience("leiden", frozenset({"ar", "ti"}),
                                      b.BegeleidingFilter.ENDED), "nl", b.State.DRAFT, NOW,
                        author_id=900)
    async with database.uow() as uow:
        broadcast_id = await uow.broadcasts.add(draft)
        await uow.broadcasts.put_version(broadcast_id, b.Version(
            "ti", "ሰላም", b.VersionState.WRITTEN, author_id=901), NOW)
        await uow.broadcasts.put_version(broadcast_id, b.Version(
            "ti", "ሰላም!", b.VersionState.APPROVED, b.Fallback.SOURCE, 901, 902), NOW)
        await uow.commit()
    async with database.uow() as uow:
        stored = await uow.broadcasts.get(broadcast_id)
        versions = await uow.broadcasts.versions(broadcast_id)
        assert await uow.broadcasts.move(broadcast_id, b.State.DRAFT, b.State.CONFIRMED, NOW)
        assert not await uow.broadcasts.move(broadcast_id, b.State.DRAFT, b.State.CONFIRMED,
                                             NOW)  # a second press moves nothing
        await uow.commit()
    assert stored is not None and stored.audience == draft.audience
    assert (stored.source, stored.state, stored.author_id) == ("nl", b.State.DRAFT, 900)
    assert versions == {"ti": b.Version("ti", "ሰላም!", b.VersionState.APPROVED,
                                        b.Fallback.SOURCE, 901, 902)}


async def test_candidates_leave_out_who_must_never_get_a_broadcast(database: Database) -> None:
    wanted = await person(database, 1)
    await person(database, 2, paused=True)
    await person(database, 3, announcements=False)
    await person(database, 4, unreachable=True)
    await person(database, 5, municipality="delft")
    await person(database, 6, consented=False)
    helper = await person(database, 7, language="ti")
    async with database.uow() as uow:
        await uow.roles.grant(RoleGrant(7, Role.SLEUTELPERSOON, "leiden", NOW))
        await uow.commit()
    async with database.uow() as uow:
        everyone = await uow.broadcasts.candidates(b.Audience("leiden"), 0, 100)
        staff = await uow.broadcasts.candidates(
            b.Audience("leiden", sleutelpersonen_only=True), 0, 100)
        first = await uow.broadcasts.candidates(b.Audience("leiden"), 0, 1)
        rest = await uow.broadcasts.candidates(b.Audience("leiden"), first[-1].person_id, 1)
    assert [c.person_id for c in everyone] == [wanted, helper]
    assert [c.is_sleutelpersoon for c in everyone] == [False, True]
    assert [c.person_id for c in staff] == [helper]
    assert [c.person_id for c in first + rest] == [wanted, helper]  # in batches, in order
    arabic = b.Audience("leiden", frozenset({"ar"}))
    assert [c.person_id for c in everyone if b.in_audience(c, arabic)] == [wanted]


async def test_progress_is_counted_from_its_outbox_rows(database: Database) -> None:
    people = [await person(database, n) for n in range(1, 4)]
    async with database.uow() as uow:
        broadcast_id = await uow.broadcasts.add(b.Broadcast(
            0, b.Audience("leiden"), "nl", b.State.SENDING, NOW))
        await uow.outbox.add_many([outbox.Outgoing(
            p, outbox.Kind.BROADCAST, outbox.Message("Hallo"), b.outbox_key(broadcast_id, p),
            broadcast_id=broadcast_id) for p in people], NOW)
        await uow.commit()
    async with database.uow() as uow:
        [first, *_rest] = await uow.outbox.claim_due(NOW, 10, broadcasts=True)
        await uow.outbox.end(first.id, outbox.Status.SENT, NOW)
        await uow.commit()
    async with database.uow() as uow:
        progress = await uow.broadcasts.progress(broadcast_id)
    assert (progress.sent, progress.remaining, progress.total) == (1, 2, 3)


async def test_delete_keeps_the_broadcast_without_its_author_and_retention_removes_it(
        database: Database) -> None:
    async with database.uow() as uow:
        broadcast_id = await uow.broadcasts.add(b.Broadcast(
            0, b.Audience("leiden"), "en", b.State.DRAFT, NOW, author_id=900))
        await uow.broadcasts.put_version(broadcast_id, b.Version(
            "ar", "مرحبا", b.VersionState.APPROVED, author_id=901, reviewer_id=900), NOW)
        await uow.broadcasts.forget_person(900)
        assert await uow.broadcasts.move(broadcast_id, b.State.DRAFT, b.State.CANCELLED, NOW)
        await uow.commit()
    async with database.uow() as uow:
        kept = await uow.broadcasts.get(broadcast_id)
        versions = await uow.broadcasts.versions(broadcast_id)
        assert await uow.broadcasts.purge_ended(NOW) == 0  # not a year old yet
        assert await uow.broadcasts.purge_ended(NOW + b.RETENTION + timedelta(days=1)) == 1
        await uow.commit()
    assert kept is not None and kept.author_id is None
    assert (versions["ar"].author_id, versions["ar"].reviewer_id) == (901, None)
    async with database.uow() as uow:
        assert await uow.broadcasts.get(broadcast_id) is None
        assert await uow.broadcasts.versions(broadcast_id) == {}


async def test_delete_forgets_the_photo_in_their_chat_and_old_drafts_are_cancelled(
        database: Database) -> None:
    async with database.uow() as uow:
        with_photo = b.Broadcast(0, b.Audience("leiden"), "nl", b.State.DRAFT, NOW,
                                 author_id=900)
        photo_id = await uow.broadcasts.add(with_photo)
        await uow.broadcasts.save_draft(replace(with_photo, id=photo_id,
                                                media=b.Media("photo", 900, 77)))
        fresh_id = await uow.broadcasts.add(replace(with_photo, created_at=NOW + b.DRAFT_KEPT))
        await uow.commit()
    async with database.uow() as uow:
        stored = await uow.broadcasts.get(photo_id)
        assert stored is not None and stored.media == b.Media("photo", 900, 77)
        await uow.broadcasts.forget_person(900)
        later = NOW + b.DRAFT_KEPT + timedelta(days=1)
        assert await uow.broadcasts.abandon_drafts(later - b.DRAFT_KEPT, later) == 1
        await uow.commit()
    async with database.uow() as uow:
        old, fresh = await uow.broadcasts.get(photo_id), await uow.broadcasts.get(fresh_id)
    assert old is not None and old.media is None and old.state is b.State.CANCELLED
    assert fresh is not None and fresh.state is b.State.DRAFT
