"""Argos Translate packages (.argosmodel files) installed under the data directory.

The only module that imports argostranslate. Its settings are read from the environment when
it is first imported and it creates directories in the home folder, so the import is deferred
and pointed at our own directory. Packages are loaded and run by argostranslate's own code
(Package, PackageTranslation); only the sentence splitter is ours when a package brings none,
because argostranslate would download one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from bot.domain import languages
from bot.translation.engines import Broken, Model, ModelError, scan, sentences

log = logging.getLogger(__name__)
NAME = "argos"
SUFFIX = ".argosmodel"
PROBE = "Hello."  # translated once at install: a package that cannot run is refused
EXTRA = "Argos Translate is not installed: pip install '.[translate]'"


def _argos(home: Path) -> tuple[ModuleType, ModuleType]:
    if "argostranslate.settings" not in sys.modules:
        # Keep argostranslate's folders (and any cache it writes) inside ours.
        home.mkdir(parents=True, exist_ok=True)
        for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[variable] = str(home)
        os.environ.setdefault("ARGOS_PACKAGES_DIR", str(home / "packages"))
        os.environ.setdefault("ARGOS_DEVICE_TYPE", "cpu")
    try:
        from argostranslate import package, translate
    except ImportError as exc:
        raise ModelError(EXTRA) from exc
    # It logs every text it translates at INFO: people's messages never reach a log.
    for name in ("argostranslate", "argostranslate.utils"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return package, translate


class _Punctuation:
    """argostranslate's sentence splitter interface, without a model to download."""

    def split_sentences(self, text: str) -> list[str]:
        return sentences(text) or [text]


class ArgosEngine:
    """The packages in `directory` (one folder each, as argostranslate extracts them)."""

    name = NAME

    def __init__(self, directory: Path, home: Path | None = None) -> None:
        self._dir = directory
        # Where argostranslate may write (beside the packages, never among them).
        self._home = home or directory.parent / "argos-home"
        self._loaded: dict[Model, Any] = {}
        self._models, self._broken = scan(directory, lambda path: [_model_of(path)])

    def models(self) -> list[Model]:
        return list(self._models)

    def broken(self) -> list[Broken]:
        return list(self._broken)

    def translate(self, model: Model, texts: Sequence[str]) -> list[str]:
        translation = self._translation(model)
        try:
            return [str(translation.translate(text)) for text in texts]
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on a bad model
            raise ModelError(f"{model.path.name}: {exc}") from exc

    def _translation(self, model: Model) -> Any:
        if model not in self._loaded:
            package, translate = _argos(self._home)
            try:
                pkg = package.Package(model.path)
                translation = translate.PackageTranslation(
                    translate.Language(model.source, model.source),
                    translate.Language(model.target, model.target), pkg)
            except Exception as exc:
                raise ModelError(f"{model.path.name}: {exc}") from exc
            if not any((model.path / "minisbd").glob("*.onnx")):
                translation.sentencizer = _Punctuation()
            self._loaded[model] = translation
        return self._loaded[model]


def _model_of(path: Path) -> Model:
    try:
        metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path.name}: no readable metadata.json ({exc})") from exc
    if not isinstance(metadata, dict) or metadata.get("type", "translate") != "translate":
        raise ModelError(f"{path.name}: not a translation package")
    source, target = metadata.get("from_code"), metadata.get("to_code")
    if source not in languages.CODES or target not in languages.CODES or source == target:
        raise ModelError(f"{path.name}: translates {source}→{target}; Wegwijs uses "
                         f"{', '.join(sorted(languages.CODES))}")
    if not (path / "model" / "model.bin").is_file():
        raise ModelError(f"{path.name}: no model/model.bin")
    version = str(metadata.get("package_version", "0"))
    return Model(NAME, str(source), str(target), f"{NAME}:{source}-{target}:{version}", path)


def install(file: Path, directory: Path) -> Model:
    """Check the package, unpack it beside the others, and translate once with it; a package
    that cannot be read or run is refused and leaves nothing behind."""
    if not zipfile.is_zipfile(file):
        raise ModelError(f"{file.name} is not an Argos Translate package (not a zip file)")
    with zipfile.ZipFile(file) as archive:
        names = [n for n in archive.namelist() if n and not n.endswith("/")]
        folders = {PurePosixPath(n).parts[0] for n in names}
        if len(folders) != 1 or any(_unsafe(n) for n in names):
            raise ModelError(f"{file.name}: a package holds one folder and nothing outside it")
        [folder] = folders
        if f"{folder}/metadata.json" not in names:
            raise ModelError(f"{file.name}: no metadata.json in {folder}/")
        directory.mkdir(parents=True, exist_ok=True)
        incoming = directory / f".incoming-{folder}"
        shutil.rmtree(incoming, ignore_errors=True)
        archive.extractall(incoming)
    try:
        model = _model_of(incoming / folder)
        ArgosEngine(incoming, directory.parent / "argos-home").translate(model, [PROBE])
        final = directory / folder
        for older in ArgosEngine(directory).models():  # one package per pair: the new one
            if (older.source, older.target) == (model.source, model.target):
                shutil.rmtree(older.path)
        shutil.rmtree(final, ignore_errors=True)
        (incoming / folder).rename(final)
        return Model(model.engine, model.source, model.target, model.version, final)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def _unsafe(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return name.startswith("/") or ".." in parts or "\\" in name
