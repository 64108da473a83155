"""`wegwijs i18n`: the catalogs' status, the texts sleutelpersonen reviewed with /review, and
machine drafts for missing texts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Annotated

import typer

from bot.cli_support import load_settings, local_today, with_database
from bot.domain import languages
from bot.services.chat import utc_now
from bot.services.ports import UnitOfWork
from bot.settings import Settings

i18n_app = typer.Typer(help="The catalogs: their status, reviewed texts, machine drafts.",
                        no_args_is_help=True)


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

    settings = load_settings()
    found = with_database(settings, lambda uow: review_apply.pending(uow, local_today(settings)))
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

    with_database(settings, mark)
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
