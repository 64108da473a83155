"""Check-in ticks at scale: how long a tick takes to claim its batch of due plan rows, and the
process memory meanwhile, with 10k, 100k and 1M people's plans in SQLite and in PostgreSQL,
against a bare indexed SELECT of the same rows measured in the same run.

    .venv/bin/python bench/checkins.py [--sizes 10000,100000,1000000]
                                       [--backends sqlite,postgres] [--reps 100] [--limit 100]

Per backend and size, a fresh database (a temporary SQLite file; a uniquely named PostgreSQL
database, dropped afterwards) gets the schema from the project's own migrations
(bot.storage.database.Database.migrate), then `size` people with a plan each: the six steps
of bot.domain.checkins.DEFAULT_SCHEDULE (heads-up 14 days before the end of begeleiding,
check-ins 7/30/90/180/365 days after it), due at 10:00 Amsterdam time as bot.domain.checkins
.plan computes them, for ends spread evenly over 66 months around the measured moment. The
moment is 10:00:30 on 7 March 2027, the first tick after the day-7 check-ins of everyone whose
begeleiding ended in February became due (about 1 person in 66: ~150 rows at 10k, ~15,000 at
1M). Steps due earlier were handled by earlier ticks: `sent` (3% `skipped`); everything later
is `planned`, most of it months or years ahead. Rows are written in bulk, only into the
columns the generator knows (executemany on a plain sqlite3 connection; COPY through asyncpg,
then VACUUM ANALYZE as autovacuum would), in a child process, so its memory is not counted.

Measured in another fresh child process per backend and size, after one warm-up round,
`--reps` times each, alternating:
  claim  uow.checkins.claim_due(now, limit) inside a unit of work (Database.uow), exactly as
         the tick calls it (`limit` rows pick the people, all their due rows are taken); the
         unit of work is left without commit, so it rolls back and every repetition sees the
         same due rows
  tick   the same, timed from opening the unit of work to its rollback
  bare   SELECT id FROM checkin_plans WHERE status = 'planned' AND due_at <= now
         ORDER BY due_at, id LIMIT limit, on a connection of the same engine
Prints p50/p99 in ms and the ratio claim/bare, then the process memory (VmRSS from
/proc/self/status) right before the ticks, after them, and the peak during them (VmHWM, reset
through /proc/self/clear_refs before the first tick): constant in the number of people when
the tick reads only its batch. PostgreSQL's own memory (another process) is not included.
Also counted: the garbage collector's full (generation-2) collections during the ticks, which
pause the whole process, their longest pause, and the claim's p99 without the collections
that fell inside a claim (gc.callbacks).
Then the query plans of the claim's SELECT (EXPLAIN QUERY PLAN on SQLite; EXPLAIN ANALYZE on
PostgreSQL, rolled back) at the largest size. Target (issue 9): claim p99 < 50 ms on both.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, event, func, select  # noqa: E402
from sqlalchemy.dialects import sqlite as sqlite_dialect  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bot.domain import checkins as c  # noqa: E402
from bot.services.checkins import BATCH as TICK_BATCH  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import CheckinPlanRow, PersonRow  # noqa: E402

ZONE = ZoneInfo("Europe/Amsterdam")
TICK_DAY = date(2027, 3, 7)  # day-7 check-ins of everyone whose begeleiding ended in February
NOW = c.at_local(TICK_DAY, ZONE) + timedelta(seconds=30)
TICK_EVERY = timedelta(minutes=1)  # rows due before NOW - this were handled by earlier ticks
FIRST_END, END_MONTHS = date(2025, 3, 1), 66  # ends from March 2025 to August 2030
SKIPPED = 0.03  # of the handled rows: skipped (collapsed after downtime), not sent
TELEGRAM_BASE = 7_000_000_000
TARGET_MS = 50.0
POSTGRES_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"

# The columns the generator fills: every NOT NULL column of people without a default (as of
# migration 0008) plus begeleiding, and the columns of checkin_plans from 0008 that a plan
# row has. Columns added later must be nullable or have a default (checked before filling).
PEOPLE_COLUMNS = ("id", "telegram_id", "chat_id", "paused", "begeleiding", "begeleiding_end",
                  "created_at", "last_seen_at")
PLAN_COLUMNS = ("id", "person_id", "step", "kind", "status", "due_at", "sent_at")

P = ParamSpec("P")
R = TypeVar("R")


# -- generating plans -----------------------------------------------------------------------

Encode = Callable[[str, str, Any], Any]  # (table, column, value) → what the driver gets


@dataclass(frozen=True)
class Month:
    """Everyone whose begeleiding ends in one month: the same person columns and plan."""

    person: tuple[Any, ...]  # begeleiding, begeleiding_end
    steps: tuple[tuple[str, str, str, Any, Any, bool], ...]  # step, kind, status, due, sent,
    #                                                          and whether it was handled


def months(encode: Encode) -> list[Month]:
    handled_before = NOW - TICK_EVERY
    result = []
    for i in range(END_MONTHS):
        month = c.add_months(FIRST_END, i)
        end = c.end_day(month)
        ended = c.at_local(end, ZONE) <= NOW
        steps = []
        for planned in c.plan(month, ZONE):
            handled = planned.due <= handled_before
            status = c.Status.SENT if handled else c.Status.PLANNED
            steps.append((planned.step.id, planned.step.kind.value, status.value,
                          encode("checkin_plans", "due_at", planned.due),
                          encode("checkin_plans", "sent_at", planned.due if handled else None),
                          handled))
        person = (encode("people", "begeleiding", "ended" if ended else "running"),
                  encode("people", "begeleiding_end", end))
        result.append(Month(person, tuple(steps)))
    return result


def people_rows(chosen: Sequence[int], plans: Sequence[Month],
                encode: Encode) -> Iterator[tuple[Any, ...]]:
    paused = encode("people", "paused", False)
    created = encode("people", "created_at", NOW - timedelta(days=900))
    seen = encode("people", "last_seen_at", NOW - timedelta(days=30))
    for person_id, month in enumerate(chosen, start=1):
        telegram_id = TELEGRAM_BASE + person_id
        yield (person_id, telegram_id, telegram_id, paused, *plans[month].person, created, seen)


def plan_rows(chosen: Sequence[int], plans: Sequence[Month],
              rng: random.Random) -> Iterator[tuple[Any, ...]]:
    row_id = 0
    skipped = c.Status.SKIPPED.value
    for person_id, month in enumerate(chosen, start=1):
        for step, kind, status, due, sent, handled in plans[month].steps:
            row_id += 1
            if handled and rng.random() < SKIPPED:
                yield (row_id, person_id, step, kind, skipped, due, None)
            else:
                yield (row_id, person_id, step, kind, status, due, sent)


def check_columns(table: str, columns: Sequence[tuple[str, bool, bool]],
                  filled: Sequence[str]) -> None:
    """(name, not null, has a default): a required column the generator does not fill
    would make the bulk insert fail halfway; say which one instead."""
    missing = [name for name, not_null, default in columns
               if not_null and not default and name not in filled and name != "id"]
    if missing:
        raise SystemExit(f"{table} has required columns this bench does not fill: "
                         f"{', '.join(missing)} (add them to bench/checkins.py)")


def sqlite_encoder() -> Encode:
    """SQLAlchemy's own bind processors, so the rows are stored as the app stores them
    (e.g. a timestamp as '2027-03-07 09:00:00.000000', in UTC)."""
    dialect = sqlite_dialect.dialect()
    tables: dict[str, Table] = {"people": PersonRow.__table__,  # type: ignore[dict-item]
                                "checkin_plans": CheckinPlanRow.__table__}  # type: ignore[dict-item]

    def encode(table: str, column: str, value: Any) -> Any:
        processor = tables[table].c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return value if processor is None or value is None else processor(value)

    return encode


def fill_sqlite(path: str, size: int, seed: int) -> float:
    """In a child process: the migrations, then the rows in one transaction."""
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    started = time.perf_counter()
    encode = sqlite_encoder()
    plans = months(encode)
    rng = random.Random(seed)
    chosen = [rng.randrange(len(plans)) for _ in range(size)]
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for table, filled in (("people", PEOPLE_COLUMNS), ("checkin_plans", PLAN_COLUMNS)):
            info = db.execute(f"PRAGMA table_info({table})").fetchall()
            check_columns(table, [(r[1], bool(r[3]), r[4] is not None) for r in info], filled)
        db.execute("PRAGMA journal_mode=OFF")  # set back to WAL below
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-400000")  # 400 MB, for the index inserts
        db.execute("BEGIN")
        db.executemany(insert("people", PEOPLE_COLUMNS), people_rows(chosen, plans, encode))
        db.executemany(insert("checkin_plans", PLAN_COLUMNS), plan_rows(chosen, plans, rng))
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
    return time.perf_counter() - started


def insert(table: str, columns: Sequence[str]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})")


def fill_postgres(url: str, size: int, seed: int) -> float:
    """In a child process: the migrations, then COPY, then VACUUM ANALYZE."""
    asyncio.run(migrate(url))
    return asyncio.run(_fill_postgres(url, size, seed))


async def _fill_postgres(url: str, size: int, seed: int) -> float:
    import asyncpg  # type: ignore[import-untyped]

    started = time.perf_counter()
    plans = months(lambda _table, _column, value: value)
    rng = random.Random(seed)
    chosen = [rng.randrange(len(plans)) for _ in range(size)]
    conn = await asyncpg.connect(plain(url))
    try:
        for table, filled in (("people", PEOPLE_COLUMNS), ("checkin_plans", PLAN_COLUMNS)):
            info = await conn.fetch(
                "SELECT column_name, is_nullable = 'NO' AS not_null, "
                "column_default IS NOT NULL OR is_identity = 'YES' AS has_default "
                "FROM information_schema.columns WHERE table_name = $1", table)
            check_columns(table, [(r[0], r[1], r[2]) for r in info], filled)
        await conn.copy_records_to_table("people", columns=list(PEOPLE_COLUMNS),
                                         records=people_rows(chosen, plans,
                                                             lambda _t, _c, v: v))
        await conn.copy_records_to_table("checkin_plans", columns=list(PLAN_COLUMNS),
                                         records=plan_rows(chosen, plans, rng))
        for table in ("people", "checkin_plans"):  # the ids were given: move the sequences on
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.dispose()


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    people: int
    rows: int = 0
    due: int = 0
    claimed: int = 0
    fill: float = 0.0  # seconds
    first: float = 0.0  # ms, the first claim in a fresh process
    claim: list[float] = field(default_factory=list)  # ms
    tick: list[float] = field(default_factory=list)  # ms
    bare: list[float] = field(default_factory=list)  # ms
    rss_before: int = 0  # kB
    rss_after: int = 0  # kB
    peak: int = 0  # kB, during the ticks
    peak_reset: bool = False  # False: the peak is the process's high-water mark
    gc_in_claim: list[float] = field(default_factory=list)  # ms of garbage collection
    full_gcs: int = 0  # generation-2 collections during the ticks
    longest_gc: float = 0.0  # ms
    plan: list[str] = field(default_factory=list)
    bare_plan: list[str] = field(default_factory=list)


def memory() -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB."""
    fields = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def reset_peak() -> bool:
    """Linux resets VmHWM to the current RSS when 5 is written to clear_refs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Collections:
    """Time spent in the garbage collector (gc.callbacks), in all and per full collection."""

    def __init__(self) -> None:
        self.total = 0.0  # ms
        self.full: list[float] = []  # ms
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        spent = (time.perf_counter() - self._started) * 1e3
        self.total += spent
        if info["generation"] == 2:
            self.full.append(spent)


def measure(backend: str, url: str, people: int, reps: int, limit: int) -> dict[str, Any]:
    """In a fresh child process, so the memory is the tick's and not the generator's."""
    result = Result(backend, people)
    asyncio.run(_measure(result, url, reps, limit))
    return asdict(result)


async def _measure(result: Result, url: str, reps: int, limit: int) -> None:
    database = Database(url)
    plans = CheckinPlanRow.__table__
    planned = c.Status.PLANNED.value
    bare = (select(plans.c.id).where(plans.c.status == planned, plans.c.due_at <= NOW)
            .order_by(plans.c.due_at, plans.c.id).limit(limit))
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Connection, _cursor: Any, statement: str, parameters: Any,
                _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    try:
        event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
        started = time.perf_counter()
        async with database.uow() as uow:
            await uow.checkins.claim_due(NOW, limit)
        result.first = (time.perf_counter() - started) * 1e3
        async with database.engine.connect() as conn:
            await conn.execute(bare)
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
        result.plan = await explain(database, *seen[0])
        result.bare_plan = await explain(database, *seen[-1])
        async with database.engine.connect() as conn:
            result.rows = await conn.scalar(select(func.count()).select_from(plans)) or 0
            result.due = await conn.scalar(select(func.count()).select_from(plans).where(
                plans.c.status == planned, plans.c.due_at <= NOW)) or 0

        result.rss_before = memory()[0]
        result.peak_reset = reset_peak()
        collections = Collections()
        gc.callbacks.append(collections)
        for _ in range(reps):
            opened = time.perf_counter()
            async with database.uow() as uow:
                started, collecting = time.perf_counter(), collections.total
                claimed = await uow.checkins.claim_due(NOW, limit)
                result.claim.append((time.perf_counter() - started) * 1e3)
                result.gc_in_claim.append(collections.total - collecting)
            result.tick.append((time.perf_counter() - opened) * 1e3)
            result.claimed = len(claimed)
            del claimed
            async with database.engine.connect() as conn:
                started = time.perf_counter()
                ids = (await conn.scalars(bare)).all()
                result.bare.append((time.perf_counter() - started) * 1e3)
            if len(ids) != result.claimed:
                raise AssertionError(f"claim took {result.claimed} rows, the bare SELECT "
                                     f"found {len(ids)}")
        result.rss_after, result.peak = memory()
        gc.callbacks.remove(collections)
        result.full_gcs, result.longest_gc = len(collections.full), max(collections.full,
                                                                           default=0.0)
    finally:
        await database.dispose()


async def explain(database: Database, statement: str, parameters: Any) -> list[str]:
    """The plan of a statement as the app sent it; on PostgreSQL with ANALYZE (the
    connection rolls back, so the rows it locked are let go)."""
    async with database.engine.connect() as conn:
        rows: Any
        if conn.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return [str(row[3]) for row in rows]
        rows = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {statement}", parameters)
        return [str(row[0]) for row in rows]


# -- PostgreSQL -----------------------------------------------------------------------------


async def create_postgres() -> tuple[str, str] | str:
    """(admin URL, URL of a new empty database), or why not."""
    import asyncpg

    admin = os.environ.get("WEGWIJS_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    try:
        conn = await asyncpg.connect(plain(admin), timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL is not reachable at {admin} ({exc}): skipped."
    name = f"wegwijs_bench_checkins_{uuid.uuid4().hex[:8]}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin, f"{admin.rpartition('/')[0]}/{name}"


async def drop_postgres(admin: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(plain(admin), timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await conn.close()


# -- the run and the report -----------------------------------------------------------------


def in_child(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `function` in a new process (spawned: nothing of this one's memory)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()


def run(backend: str, size: int, reps: int, limit: int, seed: int) -> Result | str:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="wegwijs-bench-checkins-") as folder:
            path = str(Path(folder) / "bench.db")
            filled = in_child(fill_sqlite, path, size, seed)
            result = Result(**in_child(measure, "SQLite", f"sqlite+aiosqlite:///{path}", size,
                                       reps, limit))
    else:
        created = asyncio.run(create_postgres())
        if isinstance(created, str):
            return created
        admin, url = created
        try:
            filled = in_child(fill_postgres, url, size, seed)
            result = Result(**in_child(measure, "PostgreSQL", url, size, reps, limit))
        finally:
            asyncio.run(drop_postgres(admin, url))
    result.fill = filled
    return result


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def mb(kb: int) -> str:
    return f"{kb / 1024:.1f}"


def report(results: list[Result], reps: int, limit: int) -> None:
    print(f"\nClaiming one tick's due batch (limit {limit}) at {NOW:%Y-%m-%d %H:%M:%S} UTC, "
          f"{reps} repetitions after one warm-up; ms")
    print(f"{'backend':<11}{'people':>9}{'plan rows':>11}{'due':>7}{'claimed':>8}"
          f"{'claim p50':>10}{'claim p99':>10}{'bare p50':>9}{'bare p99':>9}"
          f"{'ratio p50':>10}{'ratio p99':>10}{'tick p99':>9}{'first':>7}")
    for r in results:
        claim = percentile(r.claim, 50), percentile(r.claim, 99)
        bare = percentile(r.bare, 50), percentile(r.bare, 99)
        print(f"{r.backend:<11}{r.people:>9,}{r.rows:>11,}{r.due:>7,}{r.claimed:>8}"
              f"{claim[0]:>10.2f}{claim[1]:>10.2f}{bare[0]:>9.2f}{bare[1]:>9.2f}"
              f"{claim[0] / bare[0]:>10.1f}{claim[1] / bare[1]:>10.1f}"
              f"{percentile(r.tick, 99):>9.2f}{r.first:>7.0f}")
    print("claim: claim_due in a unit of work; tick: the unit of work from opening to rollback; "
          "bare: the indexed SELECT of the ids;\nratio: claim/bare; first: the first tick of "
          "the process (compiling, connecting), not in the percentiles.")

    print("\nProcess memory (VmRSS) of the measuring process, MB; fill: writing the rows, s; "
          "the garbage collector during the ticks")
    print(f"{'backend':<11}{'people':>9}{'fill s':>8}{'before ticks':>13}{'peak in ticks':>14}"
          f"{'after ticks':>12}{'peak - before':>14}{'full GCs':>9}{'longest':>8}"
          f"{'claim p99 w/o GC':>17}")
    for r in results:
        without = [claim - collecting for claim, collecting in zip(r.claim, r.gc_in_claim,
                                                                    strict=True)]
        print(f"{r.backend:<11}{r.people:>9,}{r.fill:>8.0f}{mb(r.rss_before):>13}"
              f"{mb(r.peak):>14}{mb(r.rss_after):>12}{mb(r.peak - r.rss_before):>14}"
              f"{r.full_gcs:>9}{r.longest_gc:>8.1f}{percentile(without, 99):>17.2f}")
    print("full GCs: generation-2 collections (a pause of the whole process) during the "
          "ticks, longest in ms;\nclaim p99 w/o GC: each claim minus the collections inside "
          "it.")
    if not all(r.peak_reset for r in results):
        print("(/proc/self/clear_refs was not writable: the peak is the process's high-water "
              "mark, warm-up included)")

    for backend in dict.fromkeys(r.backend for r in results):
        largest = max((r for r in results if r.backend == backend), key=lambda r: r.people)
        print(f"\n{backend}, {largest.people:,} people, the claim's SELECT:")
        print("\n".join(f"  {line}" for line in largest.plan))
        print("the bare SELECT:")
        print("\n".join(f"  {line}" for line in largest.bare_plan))

    print(f"\nTarget (issue 9): claim p99 < {TARGET_MS:g} ms on both backends.")
    for r in results:
        p99 = percentile(r.claim, 99)
        print(f"  {r.backend:<11}{r.people:>9,}: {p99:.1f} ms "
              f"{'meets it' if p99 < TARGET_MS else 'MISSES it'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="numbers of people, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="sqlite and/or postgres, comma-separated")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--limit", type=int, default=TICK_BATCH,
                        help="rows that pick the people claimed per tick (default: the tick's "
                             "own batch, bot.services.checkins.BATCH)")
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip().lower().replace("postgresql", "postgres")
                for b in args.backends.split(",") if b.strip()]
    if args.reps < 1 or args.limit < 1:
        parser.error("--reps and --limit must be at least 1")
    if unknown := set(backends) - {"sqlite", "postgres"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    results: list[Result] = []
    for backend in backends:
        for size in sizes:
            print(f"{backend}: {size:,} people ...", flush=True)
            outcome = run(backend, size, args.reps, args.limit, args.seed)
            if isinstance(outcome, str):
                print(outcome)
                break
            results.append(outcome)
    if results:
        report(results, args.reps, args.limit)
    print(f"({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
