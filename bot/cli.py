"""The `wegwijs` command line: run the bot, chat in the console, manage the database."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from bot.cli_i18n import i18n_app
from bot.cli_support import (
    database_errors,
    load_settings,
    local_today,
    open_database,
    with_database,
)
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


LangOption = Annotated[
    str | None, typer.Option(help="Answer the language question: ar, ti, en or nl.")]
MunicipalityOption = Annotated[
    str | None, typer.Option(help="Answer the municipality question, e.g. leiden.")]
UserIdOption = Annotated[int, typer.Option(help="The pretend Telegram user id.")]


@app.command()
def run() -> None:
    """Serve Telegram with long polling (needs WEGWIJS_BOT_TOKEN)."""
    settings = load_settings()
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
    settings = load_settings()
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

    settings = load_settings()
    with database_errors(settings):
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
        added = _with_roles(load_settings(), grant)
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

    if not _with_roles(load_settings(), revoke):
        typer.echo(f"{telegram_id} is not {role.value} in {municipality}: nothing to revoke. "
                   "See `wegwijs roles list`.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked {role.value} in {municipality} from {telegram_id}.")


@roles_app.command("list")
def roles_list() -> None:
    """Show everyone with a role."""
    async def everyone(roles: RolesService) -> list[RoleGrant]:
        return await roles.everyone()

    grants = _with_roles(load_settings(), everyone)
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
    due = freshness(settings.content_dir, local_today(settings))
    for item in due:
        typer.echo(f"warning: {item}", err=True)
    typer.echo("Content is valid." + (f" {len(due)} item(s) are due for a re-check "
                                      "(`wegwijs content freshness`)." if due else ""))


@content_app.command("freshness")
def content_freshness() -> None:
    """List content checked more than 6 months ago, and facts missing a year's value."""
    settings = Settings()
    due = freshness(settings.content_dir, local_today(settings))
    for item in due:
        typer.echo(item)
    typer.echo(f"{len(due)} item(s) due for a re-check." if due
               else "Everything was checked within the last 6 months.")


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


@outbox_app.command("status")
def outbox_status() -> None:
    """Rows per kind and status, and the rows that failed (no message content)."""
    async def read(uow: UnitOfWork) -> tuple[dict[tuple[str, str], int], list[outbox.Ended]]:
        return await uow.outbox.counts(), await uow.outbox.failed()

    counts, failed = with_database(load_settings(), read)
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

    entries = with_database(load_settings(), read)
    if not entries:
        typer.echo("The audit log is empty.")
    for e in entries:
        who = e.telegram_id if e.telegram_id is not None else "operator"
        verdict = "allowed" if e.allowed else f"refused ({e.reason.value if e.reason else '-'})"
        typer.echo(f"{e.at:%Y-%m-%d %H:%M}\t{who}\t{e.action.value}\t{e.target or '-'}\t"
                   f"{e.municipality or '-'}\t{verdict}")


def _with_roles(settings: Settings, use: Callable[[RolesService], Awaitable[T]]) -> T:
    from bot.content.knowledge import Knowledge

    async def go() -> T:
        async with open_database(settings) as database:
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


def main() -> None:
    try:
        app(prog_name="wegwijs")
    except Exception:
        # Through logging, not Python's own traceback printer, so secrets are redacted.
        log.critical("wegwijs stopped by an unexpected error", exc_info=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
