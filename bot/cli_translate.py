"""`wegwijs translate`: install machine translation models from files and see what works.

Nothing is ever downloaded: an operator brings the model files (see README, "Machine
translation").
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.domain import languages
from bot.translation import argos, ct2
from bot.translation.engines import ModelError
from bot.translation.service import MachineTranslator, argos_dir, ct2_dir, extra_installed

translate_app = typer.Typer(help="Offline machine translation models.", no_args_is_help=True)


def _directory() -> Path:
    from bot.settings import Settings
    return Settings().translation_dir


@translate_app.command("install")
def install(
    path: Annotated[Path, typer.Argument(
        help="An Argos Translate package (.argosmodel), or a CTranslate2 conversion of an "
             "OPUS-MT or NLLB-200 model (a directory).", exists=True)],
    source: Annotated[str | None, typer.Option(
        "--from", help="OPUS-MT: the model's source language (ar, en, nl, ti).")] = None,
    target: Annotated[str | None, typer.Option(
        "--to", help="OPUS-MT: the model's target language.")] = None,
    target_token: Annotated[str | None, typer.Option(
        help="OPUS-MT with several target languages: the token that picks one, e.g. "
             "'>>tir<<'.")] = None,
) -> None:
    """Install a model from a file on this machine (it is tried once before it is kept)."""
    directory = _directory()
    try:
        if path.is_dir():
            pairs = [(source, target)] if source and target else []
            models = ct2.install(path, ct2_dir(directory), pairs, target_token)
        else:
            if path.suffix != argos.SUFFIX:
                raise ModelError(f"{path.name}: an Argos Translate package ends in "
                                 f"{argos.SUFFIX}; a CTranslate2 model is a directory")
            models = [argos.install(path, argos_dir(directory))]
    except ModelError as exc:
        typer.echo(f"Not installed: {exc}", err=True)
        raise typer.Exit(1) from exc
    for model in models:
        typer.echo(f"Installed {model.source}→{model.target} ({model.version}).")


@translate_app.command("status")
def status() -> None:
    """Which pairs can be translated, directly or through English, and what is missing."""
    extra = extra_installed()
    if not extra["argostranslate"] and not extra["ctranslate2"]:
        typer.echo("Machine translation is not installed: the bot works without it. "
                   "To add it: pip install '.[translate]', then `wegwijs translate install "
                   "FILE`.")
    translator = MachineTranslator.installed(_directory())
    models = translator.models()
    if not models:
        typer.echo(f"No models installed in {_directory()}.")
    for model in sorted(models, key=lambda m: (m.source, m.target)):
        typer.echo(f"installed  {model.source}→{model.target}  {model.version}")
    codes = sorted(languages.CODES)
    for source in codes:
        for target in codes:
            route = translator.route(source, target)
            if source == target or route is None or len(route.hops) == 1:
                continue
            typer.echo(f"via {route.hops[0].target}     {source}→{target}")
    missing = [f"{s}→{t}" for s in codes for t in codes if s != t and not translator.can(s, t)]
    if missing:
        typer.echo(f"missing    {' '.join(missing)}")
    for broken in translator.broken():
        typer.echo(f"broken     {broken.path.name}: {broken.reason}")
