"""How long a newcomer's message takes to reach their sleutelpersoon through the relay,
next to how long the same bot takes to answer a plain question: the real aiogram Dispatcher
and Bot over HTTP against the fake Bot API, which answers 429 above Telegram-like limits.

    .venv/bin/python bench/handoff.py [--conversations 50] [--messages 5] [--pace 6]
                                      [--db sqlite|postgresql|both] [--no-limits]

A relayed message does not go out in the newcomer's turn: the turn writes an outbox row
(bot.services.relay_copy), its commit wakes the drainer (bot.services.outbox), and the
drainer copies the message with copyMessage. The scheduler's tick is set to an hour here,
so every copy that arrives in time was sent because the commit woke the drainer, not
because a poll found the row.

Before the bot starts, the database gets `--conversations` open conversations (a newcomer
10001.. in Tigrinya in Leiden, claimed by sleutelpersoon 20001.. with a profile for ti and
Leiden and the role there), written with the repositories the services use, and as many
onboarded newcomers 30001.. without a question to a person. Then, at the same time, every
newcomer in a conversation writes `--messages` messages and every other newcomer types as
many search questions, one every `--pace` seconds on average (0.5x to 1.5x; a searcher
also waits for the answer), all starting within the first `--pace` seconds.

Measured, from the moment the fake server hands the newcomer's update to the bot (in the
getUpdates answer) to the moment it accepts the bot's call:
  relay  the copyMessage into the sleutelpersoon's chat
  reply  the first sendMessage answering a search question in the newcomer's own chat
The same from the moment the update was queued (it then also waits for the long poll) is
printed below the table, and then where the time goes: until the bot's Sender is first
asked (the turn; for a relay also the drainer waking and claiming the row), and from there
on (the limiter, HTTP, and a relay's retries). "lost": no call within 30 s. Also counted:
copies in another chat than the claimer's, and copies that arrived after the copy of a
later message of the same newcomer. Target (issue 8): relay p99 <= 2x reply p99 (the
drainer is woken, not polled).

Limits: the fake server's 1 message/s per chat with a burst of 3 and 30/s over all chats,
and the bot's SendLimiter with the same per-chat numbers and its production 25/s overall,
as in bench/taps.py; `--no-limits` lifts both. The drainer never waits for a limit: a
row the limiter cannot send at once becomes a retry at least 5 s later (bot.domain.outbox),
so "retried" counts relay rows that needed more than one attempt. The default pace offers
about 17 messages/s in all, under the bot's 25/s; `--pace 3` offers about 33/s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.bot_api import JSON, FloodLimitedBotAPI, FloodLimits, RecordedCall  # noqa: E402
from postgres import bench_database, drop_bench_database  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot.domain import handoff as h  # noqa: E402
from bot.domain import outbox  # noqa: E402
from bot.domain.delivery import SendResult  # noqa: E402
from bot.domain.person import Begeleiding, Person, Role, RoleGrant  # noqa: E402
from bot.domain.rate_limit import SendLimiter  # noqa: E402
from bot.domain.replies import Reply  # noqa: E402
from bot.domain.sleutelpersoon import Profile  # noqa: E402
from bot.services.chat import utc_now  # noqa: E402
from bot.services.ports import UnitOfWork  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import OutboxRow  # noqa: E402
from bot.transports.telegram.runner import TelegramRunner  # noqa: E402
from bot.transports.telegram.sender import TURN_WAIT, Sender  # noqa: E402

TOKEN = "123456:TEST-token_for-bench"
NEWCOMER, HELPER, SEARCHER = 10_001, 20_001, 30_001  # first Telegram ids of each group
MUNICIPALITY, LANGUAGE = "leiden", "ti"
PATIENCE = 30.0  # seconds to wait for a copy or an answer; then it counts as lost
TARGET_RATIO = 2.0
# What a newcomer writes to their sleutelpersoon (no emergency words: those add an alert).
RELAYED = ["ሰላም፡ ብዛዕባ ክፍሊት ገዛ ሕቶ ኣሎኒ", "ደብዳቤ ካብ ቤት ጽሕፈት ግብሪ መጺኡኒ", "እንታይ ክገብር ኣለኒ፧",
           "ኣብ ዝመጽእ ሰሙን ቆጸራ ኣሎኒ", "የቐንየለይ"]
# What the other newcomers ask the search (tests/search_questions.yaml).
QUESTIONS = ["ዲጂዲ ከመይ ይግበር", "ኣድራሻይ ክቕይር ደልየ", "ናይ ጥዕና ኢንሹራንስ ከመይ ይእቶ",
             "ቢ ኤስ ኤን ከመይ ይርከብ", "ኢንሹራንስ ክቕይር ይኽእል ዶ"]
NO_LIMITS = FloodLimits(per_chat_rate=1e6, per_chat_burst=1e6, global_rate=1e6,
                        global_burst=1e6)


class BenchAPI(FloodLimitedBotAPI):
    """Notes when each update is handed out, and resolves the waits of the simulated people:
    a copy of a given message, the first answer in a chat after a given message."""

    def __init__(self, limits: FloodLimits) -> None:
        super().__init__(limits)
        self.handed_out: dict[int, float] = {}  # update_id -> first getUpdates answer with it
        self.copies: dict[tuple[int, int], asyncio.Future[tuple[float, int]]] = {}
        self.answers: dict[int, tuple[int, asyncio.Future[float]]] = {}
        self.messages_out = 0
        # When the bot's Sender was asked to send them (see BenchSender).
        self.copy_called: dict[tuple[int, int], float] = {}
        self.answer_called: dict[tuple[int, int], float] = {}
        self._last_copied: dict[tuple[int, int], int] = {}  # (to, from chat) -> message id
        self.out_of_order = 0  # copies that arrived after a later message of the same chat

    async def _get_updates(self, p: JSON, call: RecordedCall) -> list[JSON]:
        updates: list[JSON] = await super()._get_updates(p, call)
        now = time.perf_counter()
        for update in updates:
            self.handed_out.setdefault(update["update_id"], now)
        return updates

    def _deliver(self, call: RecordedCall, content: JSON) -> JSON:
        message = super()._deliver(call, content)
        self.messages_out += 1
        waiting = self.answers.get(call.chat_id) if isinstance(call.chat_id, int) else None
        if waiting is not None and message["message_id"] > waiting[0] \
                and not waiting[1].done():
            waiting[1].set_result(time.perf_counter())
        return message

    async def _copy_message(self, p: JSON, call: RecordedCall) -> JSON:
        result: JSON = await super()._copy_message(p, call)
        to, source, message_id = call.chat_id, int(p["from_chat_id"]), int(p["message_id"])
        if isinstance(to, int):
            last = self._last_copied.get((to, source), 0)
            self.out_of_order += message_id < last
            self._last_copied[(to, source)] = max(last, message_id)
            copied = self.copies.get((source, message_id))
            if copied is not None and not copied.done():
                copied.set_result((time.perf_counter(), to))
        return result


class BenchSender(Sender):
    """The bot's own Sender; notes when it is asked to copy a message (by the outbox
    drainer) or to answer in a searcher's chat (at the end of their turn), which splits
    each latency into the part before the Sender and the sending itself."""

    def __init__(self, api: BenchAPI, *args: Any) -> None:
        super().__init__(*args)
        self._api = api

    async def copy(self, chat_id: int, from_chat_id: int, message_id: int, *,
                   reply_to: int | None = None, max_wait: float = TURN_WAIT) -> SendResult:
        self._api.copy_called.setdefault((from_chat_id, message_id), time.perf_counter())
        return await super().copy(chat_id, from_chat_id, message_id, reply_to=reply_to,
                                  max_wait=max_wait)

    async def send(self, chat_id: int, reply: Reply, *,
                   max_wait: float = TURN_WAIT) -> SendResult:
        if (waiting := self._api.answers.get(chat_id)) is not None:
            self._api.answer_called.setdefault((chat_id, waiting[0]), time.perf_counter())
        return await super().send(chat_id, reply, max_wait=max_wait)


@dataclass
class Sample:
    """One message, in seconds: from its update handed out to the bot's call accepted
    (`handed`), the same from the update queued (`queued`), and from handed out to the
    Sender asked to send it (`before`: the turn, and for a relay the drainer's part)."""

    handed: float
    queued: float
    before: float


@dataclass
class Run:
    store: str
    conversations: int
    relay: list[Sample] = field(default_factory=list)
    reply: list[Sample] = field(default_factory=list)
    relay_lost: int = 0
    reply_lost: int = 0
    misrouted: int = 0  # a copy in another chat than the claimer's
    out_of_order: int = 0  # a copy after the copy of a later message
    chat_429: int = 0
    global_429: int = 0
    errors: int = 0
    retried: int = 0
    relay_rows: dict[str, int] = field(default_factory=dict)  # status -> rows
    seconds: float = 0.0
    messages_out: int = 0
    bot_global_rate: float = 0.0


# -- the database before the bot starts ---------------------------------------------------

async def _person(uow: UnitOfWork, telegram_id: int, language: str, now: datetime) -> Person:
    person = await uow.people.add(telegram_id, telegram_id, now)
    person.language = language
    return person


async def seed(url: str, conversations: int) -> None:
    """Claimed conversations and onboarded searchers, as the services would leave them."""
    database = Database(url)
    await database.migrate()
    now = utc_now()
    try:
        async with database.uow() as uow:
            for n in range(conversations):
                helper = await _person(uow, HELPER + n, "en", now)
                helper.staff_consented_at = now
                await uow.people.save(helper)
                await uow.roles.grant(RoleGrant(helper.telegram_id, Role.SLEUTELPERSOON,
                                                MUNICIPALITY, now))
                await uow.profiles.put(Profile(helper.telegram_id, f"Helper {n + 1}",
                                               frozenset({LANGUAGE}),
                                               frozenset({MUNICIPALITY}), capacity=3), now)
                newcomer = await _onboarded(uow, NEWCOMER + n, now)
                handoff = await uow.handoffs.add(h.Handoff(
                    id=0, newcomer_id=newcomer.id, language=LANGUAGE,
                    municipality=MUNICIPALITY, pseudonym=h.new_pseudonym(),
                    status=h.Status.WAITING, created_at=now, source=h.Source.COMMAND,
                    summary=RELAYED[0]))
                assert await uow.handoffs.claim(handoff.id, helper.telegram_id, now)
                # What claiming leaves: the card was the last thing the claimer saw of it,
                # so the copies follow without a header.
                await uow.handoffs.set_focus(helper.telegram_id, focus=handoff.id,
                                             header=handoff.id)
                await _onboarded(uow, SEARCHER + n, now)
            await uow.commit()
    finally:
        await database.dispose()


async def _onboarded(uow: UnitOfWork, telegram_id: int, now: datetime) -> Person:
    """A newcomer who finished onboarding: language, consent, municipality, begeleiding."""
    person = await _person(uow, telegram_id, LANGUAGE, now)
    person.municipality = MUNICIPALITY
    person.begeleiding = Begeleiding.ENDED
    person.consented_at = now
    await uow.people.save(person)
    return person


async def outbox_stats(url: str, run: Run) -> None:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            relay = OutboxRow.kind == outbox.Kind.RELAY.value
            run.retried = int(await connection.scalar(
                select(func.count()).select_from(OutboxRow)
                .where(relay, OutboxRow.attempts > 1)) or 0)
            rows = await connection.execute(select(OutboxRow.status, func.count())
                                            .where(relay).group_by(OutboxRow.status))
            run.relay_rows = {status: int(n) for status, n in rows}
    finally:
        await database.dispose()


# -- the people ---------------------------------------------------------------------------

def _schedule(rng: random.Random, pace: float, messages: int) -> list[float]:
    """When each message is sent, in seconds from the crowd's start."""
    moments: list[float] = []
    at = rng.uniform(0.0, pace)
    for _ in range(messages):
        moments.append(at)
        at += pace * rng.uniform(0.5, 1.5)
    return moments


async def _until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))


async def newcomer(api: BenchAPI, n: int, start: float, pace: float, messages: int,
                   run: Run) -> None:
    """Writes to their sleutelpersoon at their own pace: they see nothing of the copies."""
    user_id, helper_chat = NEWCOMER + n, HELPER + n
    rng = random.Random(user_id)
    loop = asyncio.get_running_loop()

    async def copied(update: JSON, queued: float) -> None:
        key = (user_id, update["message"]["message_id"])
        try:
            arrived, chat = await asyncio.wait_for(api.copies[key], PATIENCE)
        except TimeoutError:
            run.relay_lost += 1
            return
        run.misrouted += chat != helper_chat
        handed = api.handed_out[update["update_id"]]
        run.relay.append(Sample(arrived - handed, arrived - queued,
                                api.copy_called.get(key, arrived) - handed))

    waiting: list[asyncio.Task[None]] = []
    for k, moment in enumerate(_schedule(rng, pace, messages)):
        await _until(start + moment)
        queued = time.perf_counter()
        update = api.user_message(user_id, RELAYED[k % len(RELAYED)],
                                  language_code=LANGUAGE, first_name="Bench")
        api.copies[(user_id, update["message"]["message_id"])] = loop.create_future()
        waiting.append(asyncio.create_task(copied(update, queued)))
    await asyncio.gather(*waiting)


async def searcher(api: BenchAPI, n: int, start: float, pace: float, messages: int,
                   run: Run) -> None:
    """Types a question, waits for the answer, reads, types the next."""
    user_id = SEARCHER + n
    rng = random.Random(user_id)
    loop = asyncio.get_running_loop()
    for k, moment in enumerate(_schedule(rng, pace, messages)):
        await _until(start + moment)
        queued = time.perf_counter()
        update = api.user_message(user_id, QUESTIONS[(n + k) % len(QUESTIONS)],
                                  language_code=LANGUAGE, first_name="Bench")
        answered: asyncio.Future[float] = loop.create_future()
        api.answers[user_id] = (update["message"]["message_id"], answered)
        try:
            arrived = await asyncio.wait_for(answered, PATIENCE)
        except TimeoutError:
            run.reply_lost += 1
            continue
        handed = api.handed_out[update["update_id"]]
        called = api.answer_called.get((user_id, update["message"]["message_id"]), arrived)
        run.reply.append(Sample(arrived - handed, arrived - queued, called - handed))


# -- one run ------------------------------------------------------------------------------

async def measure(store: str, url: str | None, conversations: int, messages: int,
                  pace: float, limits: FloodLimits, limited: bool) -> Run:
    """`wegwijs run` in-process (as bench/taps.py and the e2e tests run it)."""
    run = Run(store, conversations)
    api = BenchAPI(limits)
    async with api:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, bot_token=TOKEN,  # type: ignore[call-arg]
                                telegram_api_url=api.base_url, data_dir=Path(tmp),
                                database_url=url, tick_seconds=3600, log_level="WARNING")
            await seed(settings.db_url, conversations)
            limiter = SendLimiter(global_rate=settings.send_rate,
                                  per_chat_rate=limits.per_chat_rate,
                                  per_chat_burst=limits.per_chat_burst) if limited \
                else SendLimiter(global_rate=1e6, per_chat_rate=1e6, per_chat_burst=1e6)
            run.bot_global_rate = settings.send_rate
            runner = TelegramRunner(settings, limiter, make_sender=partial(BenchSender, api))
            serving = asyncio.create_task(runner.run(handle_signals=False))
            while not any(r.method == "getUpdates" for r in api.requests):
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
            try:
                began = time.perf_counter()
                start = began + 0.1
                await asyncio.gather(
                    *(newcomer(api, n, start, pace, messages, run)
                      for n in range(conversations)),
                    *(searcher(api, n, start, pace, messages, run)
                      for n in range(conversations)))
                run.seconds = time.perf_counter() - began
            finally:
                await runner.stop()
                await asyncio.wait_for(serving, 30)
            await outbox_stats(settings.db_url, run)
    run.chat_429, run.global_429 = api.flood_429s["chat"], api.flood_429s["global"]
    run.errors = len(api.errors)
    run.messages_out = api.messages_out
    run.out_of_order = api.out_of_order
    return run


# -- the report ---------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}"


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    """p50, p90, p99, max."""
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value, value, value
    q = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), q[89], q[98], max(values)


def report(runs: list[Run], messages: int, pace: float, limits: FloodLimits,
           limited: bool) -> None:
    if limited:
        where = (f"Limits on: the fake server {limits.per_chat_rate:g} msg/s per chat (burst "
                 f"{limits.per_chat_burst:g}) and {limits.global_rate:g}/s overall; the bot's "
                 f"limiter the same per chat and {runs[0].bot_global_rate:g}/s overall.")
    else:
        where = "Limits off (--no-limits): neither the fake server nor the bot's limiter."
    print(f"Each newcomer writes {messages} messages, one every {pace * 0.5:g}-{pace * 1.5:g} s "
          f"(mean {pace:g} s).\n{where}\nUpdate handed out -> the bot's call accepted by the "
          f"fake server, ms.\n")
    print(f"{'store':<12}{'people':>7}  {'measured':<22}{'n':>5}{'p50':>7}{'p90':>7}{'p99':>7}"
          f"{'max':>7}{'lost':>6}")
    for run in runs:
        for name, samples, lost in (("relay (copyMessage)", run.relay, run.relay_lost),
                                    ("reply (sendMessage)", run.reply, run.reply_lost)):
            p50, p90, p99, top = percentiles([s.handed for s in samples])
            print(f"{run.store:<12}{run.conversations:>7}  {name:<22}{len(samples):>5}"
                  f"{ms(p50):>7}{ms(p90):>7}{ms(p99):>7}{ms(top):>7}{lost:>6}")
    print("\nFrom the update queued (also waiting for the bot's long poll), ms; ratio of the "
          "p99s (relay / reply, handed out):\n")
    print(f"{'store':<12}{'relay p50':>10}{'relay p99':>10}{'reply p50':>10}{'reply p99':>10}"
          f"{'ratio':>7}{'target':>8}")
    for run in runs:
        relay = percentiles([s.queued for s in run.relay])
        reply = percentiles([s.queued for s in run.reply])
        ratio = percentiles([s.handed for s in run.relay])[2] / \
            percentiles([s.handed for s in run.reply])[2]
        met = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(f"{run.store:<12}{ms(relay[0]):>10}{ms(relay[2]):>10}{ms(reply[0]):>10}"
              f"{ms(reply[2]):>10}{ratio:>7.2f}{met:>8}")
    print("\nWhere the time goes, ms (p50 / p99): from the update handed out until the bot's "
          "Sender is first\nasked (the turn; for a relay also the commit waking the drainer and "
          "its claim), then from there\nuntil the fake server accepted the call (the limiter, "
          "HTTP, and a relay's retries if it had to wait):\n")
    print(f"{'store':<12}{'relay: before Sender':>22}{'sending':>12}"
          f"{'reply: before Sender':>22}{'sending':>12}")
    for run in runs:
        cells = []
        for samples in (run.relay, run.reply):
            before = percentiles([s.before for s in samples])
            sending = percentiles([s.handed - s.before for s in samples])
            cells += [f"{ms(before[0])} / {ms(before[2])}", f"{ms(sending[0])} / "
                      f"{ms(sending[2])}"]
        print(f"{run.store:<12}{cells[0]:>22}{cells[1]:>12}{cells[2]:>22}{cells[3]:>12}")
    print("\nOutbox and server, per run:\n")
    for run in runs:
        rows = ", ".join(f"{n} {status}" for status, n in sorted(run.relay_rows.items()))
        print(f"{run.store}: relay rows {rows or 'none'}; retried {run.retried}; copies in "
              f"the wrong chat {run.misrouted}, out of order {run.out_of_order}; 429 per chat "
              f"{run.chat_429}, overall {run.global_429}; rejected requests {run.errors}; "
              f"{run.messages_out} messages out in {run.seconds:.1f} s")
    print(f"\nTarget (issue 8): relay p99 <= {TARGET_RATIO:g}x reply p99 (the drainer is "
          f"woken, not polled).")


async def main(conversations: int, messages: int, pace: float, db: str,
               limited: bool) -> None:
    limits = FloodLimits() if limited else NO_LIMITS
    runs: list[Run] = []
    if db in ("sqlite", "both"):
        runs.append(await measure("SQLite", None, conversations, messages, pace, limits,
                                  limited))
    if db in ("postgresql", "both"):
        url = await bench_database("wegwijs_bench_handoff")
        if url is None:
            print("PostgreSQL is not reachable (WEGWIJS_TEST_POSTGRES_URL or "
                  "127.0.0.1:5432): skipped.\n")
        else:
            try:
                runs.append(await measure("PostgreSQL", url, conversations, messages, pace,
                                          limits, limited))
            finally:
                await drop_bench_database(url)
    if runs:
        report(runs, messages, pace, limits, limited)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50,
                        help="open conversations, and as many newcomers using the search")
    parser.add_argument("--messages", type=int, default=5, help="messages per newcomer")
    parser.add_argument("--pace", type=float, default=6.0,
                        help="mean seconds between one newcomer's messages")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--no-limits", action="store_true",
                        help="no flood limits at the fake server, none per chat in the bot")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    asyncio.run(main(args.conversations, args.messages, args.pace, args.db,
                     not args.no_limits))
    print(f"({time.perf_counter() - started:.0f} s in all)")
