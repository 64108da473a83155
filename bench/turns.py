"""How long one update takes in ChatService: SQLite (and PostgreSQL if reachable) against an
in-memory store measured in the same run as the baseline.

    .venv/bin/python bench/turns.py [--people 200]

Each simulated person does the whole onboarding (7 updates) and then opens /settings and
/menu; every update is one unit of work, as in production. Prints latency percentiles per
update and the ratio of each median to the in-memory median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from memory_store import MemoryStore  # noqa: E402

from bot.content.catalogs import BabelCatalogs  # noqa: E402
from bot.content.flows import load_flows  # noqa: E402
from bot.content.knowledge import Knowledge  # noqa: E402
from bot.content.search import SearchIndex  # noqa: E402
from bot.domain.incoming import Caller  # noqa: E402
from bot.services.chat import ChatService, utc_now  # noqa: E402
from bot.services.ports import UnitOfWorkFactory  # noqa: E402
from bot.storage.database import Database  # noqa: E402

SCRIPT: list[tuple[str, str]] = [
    ("command", "start"), ("button", "o:lang:ar"), ("button", "o:consent:yes"),
    ("button", "o:muni:leiden"), ("button", "o:beg:running"), ("button", "o:year:2027"),
    ("button", "o:month:6"), ("command", "settings"), ("command", "menu"),
]


async def measure(uow: UnitOfWorkFactory, people: int) -> list[float]:
    knowledge = Knowledge.load(ROOT / "knowledge")
    catalogs = BabelCatalogs.load(ROOT / "locales")
    flows = load_flows(ROOT / "flows", knowledge)
    chat = ChatService(uow, catalogs, knowledge, flows,
                       SearchIndex.build(flows, knowledge, catalogs), utc_now,
                       ZoneInfo("Europe/Amsterdam"))
    timings: list[float] = []
    for n in range(people):
        caller = Caller(10_000 + n, 10_000 + n, "ar")
        for kind, value in SCRIPT:
            started = time.perf_counter()
            if kind == "command":
                await chat.command(caller, value)
            else:
                await chat.button(caller, value)
            timings.append(time.perf_counter() - started)
    return timings


async def postgres_url() -> str | None:
    import asyncpg

    url = os.environ.get("WEGWIJS_TEST_POSTGRES_URL",
                         "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    try:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    await conn.execute("DROP DATABASE IF EXISTS wegwijs_bench")
    await conn.execute("CREATE DATABASE wegwijs_bench")
    await conn.close()
    return url.rsplit("/", 1)[0] + "/wegwijs_bench"


async def drop_postgres(url: str) -> None:
    import asyncpg

    admin = url.rsplit("/", 1)[0].replace("+asyncpg", "") + "/postgres"
    conn = await asyncpg.connect(admin, timeout=3)
    await conn.execute("DROP DATABASE IF EXISTS wegwijs_bench WITH (FORCE)")
    await conn.close()


async def main(people: int) -> None:
    results: dict[str, list[float]] = {"in-memory (baseline)": await measure(MemoryStore(),
                                                                             people)}
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite file", f"sqlite+aiosqlite:///{tmp}/bench.db")]
        if (pg := await postgres_url()) is not None:
            targets.append(("PostgreSQL", pg))
        for name, url in targets:
            database = Database(url)
            await database.migrate()
            try:
                results[name] = await measure(database.uow, people)
            finally:
                await database.dispose()
        if pg is not None:
            await drop_postgres(pg)

    base = statistics.median(results["in-memory (baseline)"])
    print(f"{people} people x {len(SCRIPT)} updates each\n")
    print(f"{'store':<22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'updates/s':>11}{'p50 ratio':>11}")
    for name, timings in results.items():
        q = statistics.quantiles(timings, n=100)
        p50 = statistics.median(timings)
        print(f"{name:<22}{p50 * 1e3:>9.2f}{q[94] * 1e3:>9.2f}{q[98] * 1e3:>9.2f}"
              f"{len(timings) / sum(timings):>11.0f}{p50 / base:>11.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    asyncio.run(main(parser.parse_args().people))
