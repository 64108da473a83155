"""The `wegwijs` command line: run the bot, chat in the console, manage the database."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot import logging_setup
from bot.cli_translate import translate_app
from bot.content.check import check_content
from bot.content.freshness import freshness
from bot.domain import languages, outbox
from bot.domain.audit import Entry as AuditEntry
from bot.domain.incoming import Caller
from bot.domain.person import Role, RoleGrant
from bot.services.chat import utc_now
from bot.services.ports import UnitOfWork
from bot.services.roles import RolesService
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage.database import Database

T = TypeVar("T")
log = logging.getLogger("wegwijs")

# No local variables in tracebacks: they would show the token and the database URL.
app = typer.Typer(help="Wegwijs: a multilingual Telegram assistant for newcomers.",
                  no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
roles_app = typer.Typer(help="Appoint coordinators and sleutelpersonen.", no_args_is_help=True)
content_app = typer.Typer(help="Check and show the content in flows/, knowledge/, locales/.",
                          no_args_is_help=True)
i18n_app = typer.Typer(help="Translation status.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(roles_app, name="roles")
app.add_typer(content_app, name="content")
app.add_typer(i18n_app, name="i18n")
outbox_app = typer.Typer(help="Messages to other people and on the bot's own initiative.",
                         no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(translate_app, name="translate")

NO_TOKEN = """\
No Telegram bot token is set, so Wegwijs cannot connect to Telegram.
To get one, open Telegram, start a chat with @BotFather, send /newbot and follow the two
questions (a display name, then a username ending in "bot"); BotFather answers with a token
like 123456789:AA... . Put it in the environment as WEGWIJS_BOT_TOKEN (or in a .env file
next to where you run wegwijs) and run `wegwijs run` again. To try the bot without Telegram,
run `wegwijs chat`: the same conversations in this terminal."""


def _settings() -> Settings:
    settings = Settings()
    logging_setup.configure(settings.log_level, *settings.secrets())
    return settings


LangOption = Annotated[
    str | None, typer.Option(help="Answer the language question: ar, ti, en or nl.")]
MunicipalityOption = Annotated[
    str | None, typer.Option(help="Answer the municipality question, e.g. leiden.")]
UserIdOption = Annotated[int, typer.Option(help="The pretend Telegram user id.")]


@app.command()
def run() -> None:
    """Serve Telegram with long polling (needs WEGWIJS_BOT_TOKEN)."""
    settings = _settings()
    if settings.bot_token is None:
        typer.echo(NO_TOKEN, err=True)
        raise typer.Exit(2)
    from bot.transports.telegram.runner import run_polling

    _refusing_invalid_content(lambda: asyncio.run(run_polling(settings)))


ClockOption = Annotated[str | None, typer.Option(
    help="Start on this day (YYYY-MM-DD, noon local time) to try check-ins; /clock +7d "
         "moves on.")]


@app.command()
def chat(lang: LangOption = None, municipality: MunicipalityOption = None,
         user_id: UserIdOption = 1, clock: ClockOption = None) -> None:
    """Chat with the bot in this terminal: no token or network needed."""
    if lang is not None and lang not in languages.CODES:
        raise typer.BadParameter(f"choose one of {', '.join(sorted(languages.CODES))}",
                                 param_hint="--lang")
    settings = _settings()
    if "demo_events" not in settings.model_fields_set:  # the console is a demo: show some
        settings = settings.model_copy(update={"demo_events": True})
    from bot.app import build_app
    from bot.services.clock import MovableClock
    from bot.transports.console.chat import moved_to, run_console

    moving = MovableClock()
    if clock is not None:
        start = moved_to(clock, moving(), settings.zone)
        if start is None or clock.startswith("+"):
            raise typer.BadParameter("a day: YYYY-MM-DD", param_hint="--clock")
        moving.move_to(start)

    async def _go() -> None:
        async with build_app(settings, moving) as built:
            if municipality and municipality not in built.knowledge.municipality_ids():
                raise typer.BadParameter(
                    f"choose one of {', '.join(sorted(built.knowledge.municipality_ids()))}",
                    param_hint="--municipality")
            await run_console(built, Caller(user_id, user_id, lang), language=lang,
                              municipality=municipality)

    _refusing_invalid_content(lambda: asyncio.run(_go()))


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="The question, in the person's own words.")],
    lang: Annotated[str, typer.Option(help="The person's language: ar, ti, en or nl.")],
    municipality: Annotated[str | None, typer.Option(
        help="Where the person lives (local organisations), e.g. leiden.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Free-text search over topics, glossary and organisations, as the bot does it."""
    from bot.content.catalogs import BabelCatalogs
    from bot.content.flows import load_flows
    from bot.content.knowledge import ContentError, Knowledge
    from bot.content.search import CONFIDENT_SCORE, SearchIndex

    if lang not in languages.CODES:
        raise typer.BadParameter(f"choose one of {', '.join(sorted(languages.CODES))}",
                                 param_hint="--lang")
    settings = Settings()
    try:
        knowledge = Knowledge.load(settings.knowledge_dir)
        flows = load_flows(settings.flows_dir, knowledge)
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    if municipality is not None and municipality not in knowledge.municipality_ids():
        raise typer.BadParameter(
            f"choose one of {', '.join(sorted(knowledge.municipality_ids()))}",
            param_hint="--municipality")
    index = SearchIndex.build(flows, knowledge, BabelCatalogs.load(settings.locales_dir))
    hits = index.search(question, lang, municipality, limit)
    if as_json:
        typer.echo(json.dumps({"results": [{"id": h.id, "kind": h.kind, "score": h.score}
                                           for h in hits]}, ensure_ascii=False))
        return
    if not hits:
        typer.echo("No match.")
    for rank, hit in enumerate(hits, 1):
        typer.echo(f"{rank:>2}  {hit.kind:<13}{hit.id:<26}{hit.score:>7.3f}  "
                   f"{index.label(hit, lang)}")
    if not any(h.confident for h in hits):
        typer.echo(f"No confident match (score below {CONFIDENT_SCORE}): "
                   "the bot offers a person.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (also done automatically at start-up)."""
    from bot.storage.database import upgrade_sync

    settings = _settings()
    with _database_errors(settings):
        upgrade_sync(settings.db_url)
    typer.echo("Database is up to date.")


@roles_app.command("grant")
def roles_grant(
    telegram_id: Annotated[int, typer.Option(help="The person's numeric Telegram id.")],
    role: Annotated[Role, typer.Option(help="coordinator or sleutelpersoon")],
    municipality: Annotated[str, typer.Option(help="Municipality id, e.g. leiden.")],
) -> None:
    """Give someone a role in a municipality."""
    from bot.services.roles import UnknownMunicipality

    async def grant(roles: RolesService) -> bool:
        return await roles.grant(telegram_id, role, municipality)

    try:
        added = _with_roles(_settings(), grant)
    except UnknownMunicipality as exc:
        raise typer.BadParameter(str(exc), param_hint="--municipality") from exc
    typer.echo(f"Granted {role.value} in {municipality} to {telegram_id}." if added
               else f"{telegram_id} already is {role.value} in {municipality}.")


@roles_app.command("revoke")
def roles_revoke(
    telegram_id: Annotated[int, typer.Option(help="The person's numeric Telegram id.")],
    role: Annotated[Role, typer.Option(help="coordinator or sleutelpersoon")],
    municipality: Annotated[str, typer.Option(help="Municipality id, e.g. leiden.")],
) -> None:
    """Take a role in a municipality away again (exit code 1 if they did not have it)."""
    async def revoke(roles: RolesService) -> bool:
        return await roles.revoke(telegram_id, role, municipality)

    if not _with_roles(_settings(), revoke):
        typer.echo(f"{telegram_id} is not {role.value} in {municipality}: nothing to revoke. "
                   "See `wegwijs roles list`.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {role.value} in {municipality} from {telegram_id}.")


@roles_app.command("list")
def roles_list() -> None:
    """Show everyone with a role."""
    async def everyone(roles: RolesService) -> list[RoleGrant]:
        return await roles.everyone()

    grants = _with_roles(_settings(), everyone)
    if not grants:
        typer.echo("Nobody has a role yet. Use `wegwijs roles grant`.")
    for g in grants:
        typer.echo(f"{g.telegram_id}\t{g.role.value}\t{g.municipality}\t"
                   f"{g.granted_at:%Y-%m-%d}")


@content_app.command("check")
def content_check() -> None:
    """Validate flows/, knowledge/ and locales/; exits 1 with file and line on errors."""
    settings = Settings()
    problems = check_content(settings.content_dir)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    # Due re-checks are warnings: they need a person with the official page, not a red CI.
    due = freshness(settings.content_dir, _today(settings))
    for item in due:
        typer.echo(f"warning: {item}", err=True)
    typer.echo("Content is valid." + (f" {len(due)} item(s) are due for a re-check "
                                      "(`wegwijs content freshness`)." if due else ""))


@content_app.command("freshness")
def content_freshness() -> None:
    """List content checked more than 6 months ago, and facts missing a year's value."""
    settings = Settings()
    due = freshness(settings.content_dir, _today(settings))
    for item in due:
        typer.echo(item)
    typer.echo(f"{len(due)} item(s) due for a re-check." if due
               else "Everything was checked within the last 6 months.")


def _today(settings: Settings) -> date:
    """Today where the bot runs (its configured time zone)."""
    return utc_now().astimezone(settings.zone).date()


@content_app.command("diagram")
def content_diagram(flow_id: Annotated[str, typer.Argument(help="e.g. digid")]) -> None:
    """Print a flow as a Mermaid diagram."""
    from bot.content.diagram import mermaid
    from bot.content.flows import load_flows
    from bot.content.knowledge import Knowledge

    settings = Settings()
    flows = load_flows(settings.flows_dir, Knowledge.load(settings.knowledge_dir))
    if flow_id not in flows:
        typer.echo(f"No flow {flow_id!r}; flows: {', '.join(flows)}", err=True)
        raise typer.Exit(1)
    typer.echo(mermaid(flows[flow_id]))


@i18n_app.command("stats")
def i18n_stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Per language: translated (reviewed), draft (by a person, unreviewed), machine
    (machine translation, unreviewed) and missing texts."""
    from bot.content.catalogs import stats

    result = stats(Settings().locales_dir)
    if as_json:
        typer.echo(json.dumps({k: vars(v) for k, v in result.items()}))
        return
    typer.echo(f"{'language':<10}{'translated':>12}{'draft':>8}{'machine':>9}{'missing':>9}")
    for lang, s in result.items():
        typer.echo(f"{lang:<10}{s.translated:>12}{s.draft:>8}{s.machine:>9}{s.missing:>9}")


@i18n_app.command("apply-reviews")
def i18n_apply_reviews(dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be written; change nothing.")] = False) -> None:
    """Write the texts sleutelpersonen accepted with /review into locales/ (reviewed, with a
    `reviewed-by:` line per reviewer's pseudonym), and mark them written."""
    import shutil
    import tempfile
    from pathlib import Path

    from bot.content.catalog_status import Accepted, apply_reviews, po_path
    from bot.services import review_apply

    settings = _settings()
    found = _with_database(settings, lambda uow: review_apply.pending(uow, _today(settings)))
    if not found:
        typer.echo("No accepted reviews to write.")
        return
    accepted = [p.accepted for p in found]
    with tempfile.TemporaryDirectory() as scratch:
        locales = settings.locales_dir
        if dry_run:  # the same run on copies: exactly what would happen, nothing changed
            locales = Path(scratch)
            for language in {a.language for a in accepted}:
                source = po_path(settings.locales_dir, language)
                if source.is_file():
                    po_path(locales, language).parent.mkdir(parents=True)
                    shutil.copy2(source, po_path(locales, language))
        result = apply_reviews(locales, accepted)

    def show(items: Sequence[Accepted]) -> None:
        for a in items:
            where = f" [{a.context}]" if a.context else ""
            typer.echo(f"  {a.language}{where} {a.msgid[:60]!r}: {', '.join(a.reviewers)}")

    verb = "Would write" if dry_run else "Wrote"
    typer.echo(f"{verb} {len(result.applied)} reviewed text(s):")
    show(result.applied)
    for items, why in ((result.not_found, "no such entry (its English text changed, or it "
                                          "is gone)"),
                       (result.plural, "plural entries, which reviews cannot change yet"),
                       (result.broken, "the text changes a {placeholder}, a /command or "
                                       "an HTML tag")):
        if items:
            typer.echo(f"Not written, {why}: {len(items)}")
            show(items)
    if dry_run:
        typer.echo("Dry run: nothing was written.")
        return
    done = {(a.language, a.context, a.msgid) for a in result.applied}
    written = [p for p in found
               if (p.accepted.language, p.accepted.context, p.accepted.msgid) in done]

    async def mark(uow: UnitOfWork) -> int:
        marked = await review_apply.mark_applied(uow, written, utc_now())
        await uow.commit()
        return marked

    _with_database(settings, mark)
    if result.written:
        typer.echo("Next: run `make i18n`, look at `git diff locales/`, and commit the "
                   "catalogs.")


@i18n_app.command("prefill")
def i18n_prefill(lang: Annotated[str, typer.Option(
        help="The catalog to fill: ar, ti or nl.")]) -> None:
    """Fill the missing texts of a catalog with machine translations (marked machine, shown
    with 🤖 until a person reviews them). Never overwrites a reviewed or draft text."""
    from bot.content.catalog_status import prefill_catalog
    from bot.translation.engines import ModelError
    from bot.translation.service import MachineTranslator

    if lang not in languages.CODES or lang == "en":
        raise typer.BadParameter("choose ar, ti or nl", param_hint="--lang")
    settings = Settings()
    machine = MachineTranslator.installed(settings.translation_dir)
    if not machine.can("en", lang):
        typer.echo(f"No machine translation from English to {lang} is installed "
                   "(`wegwijs translate status`).", err=True)
        raise typer.Exit(1)

    def translate(texts: Sequence[str]) -> list[str]:
        done = asyncio.run(machine.translate(list(texts), "en", lang))
        if done is None:
            raise ModelError(f"the model for en→{lang} failed (`wegwijs translate status`)")
        return [t.text for t in done]

    try:
        result = prefill_catalog(settings.locales_dir, lang, translate)
    except ModelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        machine.close()
    typer.echo(f"Filled {result.filled} missing text(s) of {lang} with machine translations.")
    if result.refused:
        typer.echo(f"Refused {len(result.refused)}: the machine text changed a {{placeholder}}, "
                   "a /command or an HTML tag, or was empty:")
        for _context, source in result.refused:
            typer.echo(f"  {source[:70]}")
    if result.plural_skipped:
        typer.echo(f"Skipped {result.plural_skipped} plural text(s).")


@outbox_app.command("status")
def outbox_status() -> None:
    """Rows per kind and status, and the rows that failed (no message content)."""
    async def read(uow: UnitOfWork) -> tuple[dict[tuple[str, str], int], list[outbox.Ended]]:
        return await uow.outbox.counts(), await uow.outbox.failed()

    counts, failed = _with_database(_settings(), read)
    if not counts:
        typer.echo("The outbox is empty.")
    for (kind, status), rows in sorted(counts.items()):
        typer.echo(f"{kind:<14}{status:<13}{rows:>7}")
    for row in failed:
        ended = f"{row.ended_at:%Y-%m-%d %H:%M}" if row.ended_at else "-"
        typer.echo(f"failed: row {row.id} to person {row.recipient_id}, {row.kind.value}, "
                   f"{row.attempts} attempt(s), {ended}: {row.error or 'no reason given'}")


@app.command()
def audit(limit: Annotated[int, typer.Option(min=1, max=1000, help="How many entries.")] = 50
          ) -> None:
    """The newest audit entries of every municipality, also refusals aimed at none."""
    async def read(uow: UnitOfWork) -> list[AuditEntry]:
        return await uow.audit.latest(limit)

    entries = _with_database(_settings(), read)
    if not entries:
        typer.echo("The audit log is empty.")
    for e in entries:
        who = e.telegram_id if e.telegram_id is not None else "operator"
        verdict = "allowed" if e.allowed else f"refused ({e.reason.value if e.reason else '-'})"
        typer.echo(f"{e.at:%Y-%m-%d %H:%M}\t{who}\t{e.action.value}\t{e.target or '-'}\t"
                   f"{e.municipality or '-'}\t{verdict}")


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    from bot.storage.database import Database

    database = Database(settings.db_url)
    try:
        with _database_errors(settings):
            await database.migrate()  # the first connection: where a bad URL shows
        yield database
    finally:
        await database.dispose()


def _with_database(settings: Settings, read: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """`read` in one unit of work on the migrated database."""
    async def go() -> T:
        async with _database(settings) as database, database.uow() as uow:
            return await read(uow)

    return asyncio.run(go())


def _with_roles(settings: Settings, use: Callable[[RolesService], Awaitable[T]]) -> T:
    from bot.content.knowledge import Knowledge

    async def go() -> T:
        async with _database(settings) as database:
            knowledge = Knowledge.load(settings.knowledge_dir)
            return await use(RolesService(database.uow, knowledge, utc_now))

    return asyncio.run(go())


def _refusing_invalid_content(start: Callable[[], None]) -> None:
    """The bot does not start on invalid content; say where the problem is, no traceback."""
    from bot.content.knowledge import ContentError

    try:
        start()
    except ContentError as exc:
        typer.echo(f"Wegwijs cannot start: the content is invalid.\n{exc}", err=True)
        raise typer.Exit(1) from exc


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached is one clear line: no traceback, no password."""
    try:
        yield
    except Exception as exc:
        log.debug("database error", exc_info=True)  # redacted, like every record
        reason = logging_setup.mask(f"{type(exc).__name__}: {exc}", settings.secrets())
        typer.echo(f"Cannot use the database {settings.safe_db_url}\n{reason}", err=True)
        raise typer.Exit(1) from exc


def main() -> None:
    try:
        app(prog_name="wegwijs")
    except Exception:
        # Through logging, not Python's own traceback printer, so secrets are redacted.
        log.critical("wegwijs stopped by an unexpected error", exc_info=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
