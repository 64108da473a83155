"""How long one update takes in ChatService: SQLite (and PostgreSQL if reachable) against an
in-memory store measured in the same run as the baseline.

    .venv/bin/python bench/turns.py [--people 200] [--crowds 50,300,1000]

Sequential: each simulated person does the whole onboarding (7 updates) and then opens
/settings and /menu; every update is one unit of work, as in production. Prints latency
percentiles per update and the ratio of each median to the in-memory median.

Concurrent ("people at once"): a crowd of onboarded people all press a button in the same
instant (an explainer topic, then /menu, then a typed question), handled as the Telegram
transport handles them: at most MAX_CONCURRENT_UPDATES at a time, the rest waiting their
turn. Latency runs from the moment the crowd pressed to the moment each answer was ready;
errors are turns that raised (e.g. a database pool timeout). Targets (issue 6): no errors
at 1,000 people, p99 under 1 s at 300.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from memory_store import MemoryStore  # noqa: E402
from postgres import bench_database, drop_bench_database  # noqa: E402

from bot.content.catalogs import BabelCatalogs  # noqa: E402
from bot.content.flows import load_flows  # noqa: E402
from bot.content.knowledge import Knowledge  # noqa: E402
from bot.content.search import SearchIndex  # noqa: E402
from bot.domain.incoming import Caller  # noqa: E402
from bot.services.chat import ChatService, utc_now  # noqa: E402
from bot.services.ports import UnitOfWorkFactory  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.transports.telegram.runner import MAX_CONCURRENT_UPDATES  # noqa: E402

SCRIPT: list[tuple[str, str]] = [
    ("command", "start"), ("button", "o:lang:ar"), ("button", "o:consent:yes"),
    ("button", "o:muni:leiden"), ("button", "o:beg:running"), ("button", "o:year:2027"),
    ("button", "o:month:6"), ("command", "settings"), ("command", "menu"),
]


CROWD_ACTIONS: list[tuple[str, str]] = [
    ("button", "t:toeslagen"), ("command", "menu"), ("text", "ik heb een brief over huurtoeslag"),
]


def chat_service(uow: UnitOfWorkFactory) -> ChatService:
    knowledge = Knowledge.load(ROOT / "knowledge")
    catalogs = BabelCatalogs.load(ROOT / "locales")
    flows = load_flows(ROOT / "flows", knowledge)
    return ChatService(uow, catalogs, knowledge, flows,
                       SearchIndex.build(flows, knowledge, catalogs), utc_now,
                       ZoneInfo("Europe/Amsterdam"))


async def act(chat: ChatService, caller: Caller, kind: str, value: str) -> None:
    if kind == "command":
        await chat.command(caller, value)
    elif kind == "button":
        await chat.button(caller, value)
    else:
        await chat.text(caller, value)


async def measure(uow: UnitOfWorkFactory, people: int) -> list[float]:
    chat = chat_service(uow)
    timings: list[float] = []
    for n in range(people):
        caller = Caller(10_000 + n, 10_000 + n, "ar")
        for kind, value in SCRIPT:
            started = time.perf_counter()
            await act(chat, caller, kind, value)
            timings.append(time.perf_counter() - started)
    return timings


async def crowd(uow: UnitOfWorkFactory, size: int, first_id: int) -> tuple[list[float], int]:
    """`size` onboarded people press at the same instant, three times over."""
    chat = chat_service(uow)
    callers = [Caller(first_id + n, first_id + n, "ar") for n in range(size)]
    for caller in callers:  # onboarding is not measured here
        for kind, value in SCRIPT[:7]:
            await act(chat, caller, kind, value)
    slots = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
    timings: list[float] = []
    errors = 0

    async def one(caller: Caller, kind: str, value: str, pressed: float) -> None:
        nonlocal errors
        async with slots:
            try:
                await act(chat, caller, kind, value)
            except Exception:
                errors += 1
        timings.append(time.perf_counter() - pressed)

    for kind, value in CROWD_ACTIONS:
        pressed = time.perf_counter()
        await asyncio.gather(*(one(c, kind, value, pressed) for c in callers))
    return timings, errors


async def main(people: int, crowds: list[int]) -> None:
    results: dict[str, list[float]] = {"in-memory (baseline)": await measure(MemoryStore(),
                                                                             people)}
    crowd_rows: list[tuple[str, int, list[float], int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite file", f"sqlite+aiosqlite:///{tmp}/bench.db")]
        if (pg := await bench_database("wegwijs_bench")) is not None:
            targets.append(("PostgreSQL", pg))
        for name, url in targets:
            database = Database(url)
            await database.migrate()
            try:
                results[name] = await measure(database.uow, people)
                for size in crowds:
                    timings, errors = await crowd(database.uow, size, 1_000_000 * (size + 1))
                    crowd_rows.append((name, size, timings, errors))
            finally:
                await database.dispose()
        if pg is not None:
            await drop_bench_database(pg)

    base = statistics.median(results["in-memory (baseline)"])
    print(f"Sequential: {people} people x {len(SCRIPT)} updates each\n")
    print(f"{'store':<22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'updates/s':>11}{'p50 ratio':>11}")
    for name, timings in results.items():
        q = statistics.quantiles(timings, n=100)
        p50 = statistics.median(timings)
        print(f"{name:<22}{p50 * 1e3:>9.2f}{q[94] * 1e3:>9.2f}{q[98] * 1e3:>9.2f}"
              f"{len(timings) / sum(timings):>11.0f}{p50 / base:>11.1f}")
    if not crowd_rows:
        return
    print(f"\nPeople at once: each crowd presses {len(CROWD_ACTIONS)} times "
          f"({', '.join(v for _, v in CROWD_ACTIONS)}); at most {MAX_CONCURRENT_UPDATES} "
          f"updates handled at a time.\nRatio: p99 against the sequential p99 of the same "
          f"store.\n")
    print(f"{'store':<14}{'people':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
          f"{'p99 ratio':>11}")
    for name, size, timings, errors in crowd_rows:
        q = statistics.quantiles(timings, n=100)
        sequential_p99 = statistics.quantiles(results[name], n=100)[98]
        print(f"{name:<14}{size:>8}{statistics.median(timings) * 1e3:>9.0f}"
              f"{q[98] * 1e3:>9.0f}{max(timings) * 1e3:>9.0f}{errors:>8}"
              f"{q[98] / sequential_p99:>11.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--crowds", default="50,300,1000",
                        help="comma-separated crowd sizes; empty for none")
    args = parser.parse_args()
    asyncio.run(main(args.people, [int(n) for n in args.crowds.split(",") if n]))
