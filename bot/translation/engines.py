"""What a translation engine offers, and how models are found on disk.

An engine is synchronous: the service calls it in its one worker thread, never on the event
loop. This module imports no translation library, so the bot runs without the [translate]
extra and can still say why nothing is installed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

PIVOT = "en"  # every Argos model is X↔English; OPUS-MT Tigrinya models are too


class ModelError(Exception):
    """A model file or directory that cannot be installed or loaded; the text says why."""


@dataclass(frozen=True)
class Model:
    """One installed model for one language pair (a multilingual model appears per pair)."""

    engine: str  # "argos", "opus-mt" or "nllb"
    source: str
    target: str
    version: str  # part of every cache key: a new model never serves an old translation
    path: Path


@dataclass(frozen=True)
class Broken:
    """An installed model that failed to load: listed by `translate status`, never used."""

    path: Path
    reason: str


class Engine(Protocol):
    name: str

    def models(self) -> list[Model]: ...

    def broken(self) -> list[Broken]: ...

    def translate(self, model: Model, texts: Sequence[str]) -> list[str]:
        """Translate with one model; raises ModelError when the model cannot run."""


def scan(directory: Path, read: Callable[[Path], list[Model]]
         ) -> tuple[list[Model], list[Broken]]:
    """The models in each folder of `directory` (one or more per folder), and the folders
    that cannot be read. A folder starting with "." is an install under way."""
    models: list[Model] = []
    broken: list[Broken] = []
    if directory.is_dir():
        for path in sorted(p for p in directory.iterdir()
                           if p.is_dir() and not p.name.startswith(".")):
            try:
                models.extend(read(path))
            except ModelError as exc:
                broken.append(Broken(path, str(exc)))
    return models, broken


# Where a model ends a sentence: Latin, Arabic (؟ ۔) and Ethiopic (። ፧ ፨) punctuation.
_SENTENCE_END = re.compile(r"(?<=[.!?\u061f\u06d4\u1362\u1367\u1368])\s+")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences by punctuation: what the models were trained on, and
    a splitter that never downloads anything."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def paragraphs(text: str) -> list[str]:
    """Lines are kept: a message's line breaks survive translation."""
    return text.split("\n")
