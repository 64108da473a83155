"""CTranslate2 conversions an operator supplies: OPUS-MT (Marian, Apache-2.0) and NLLB-200
(CC-BY-NC-4.0: non-commercial use only). Argos has no Tigrinya model; these do.

The only module that imports ctranslate2 and sentencepiece. A model is a directory as
`ct2-transformers-converter` writes it, copied under the data directory with a small
`wegwijs-model.json` that says which engine and pairs it serves.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.domain import languages
from bot.translation.engines import Broken, Model, ModelError, paragraphs, scan, sentences

MANIFEST = "wegwijs-model.json"
OPUS_MT, NLLB = "opus-mt", "nllb"
# NLLB-200's language tokens for our four languages.
NLLB_CODES = {"ar": "arb_Arab", "en": "eng_Latn", "nl": "nld_Latn", "ti": "tir_Ethi"}
SPECIAL = frozenset({"</s>", "<s>", "<pad>", "<unk>"})
BEAM = 2  # chat-length texts: nearly the quality of 4 at half the time on two cores
EXTRA = "CTranslate2 is not installed: pip install '.[translate]'"


@dataclass(frozen=True)
class _Manifest:
    engine: str
    pairs: tuple[tuple[str, str], ...]
    target_token: str | None  # OPUS-MT models with several targets, e.g. ">>tir<<"
    version: str


def kind_of(directory: Path) -> str:
    """Which conversion a directory holds, from the tokenizer files beside model.bin."""
    if not (directory / "model.bin").is_file():
        raise ModelError(f"{directory.name}: no model.bin (a CTranslate2 conversion has one)")
    if (directory / "source.spm").is_file() and (directory / "target.spm").is_file():
        return OPUS_MT
    if (directory / "sentencepiece.bpe.model").is_file():
        return NLLB
    raise ModelError(f"{directory.name}: neither OPUS-MT (source.spm, target.spm) nor "
                     "NLLB-200 (sentencepiece.bpe.model)")


def _version(directory: Path) -> str:
    """Cheap and stable: the config and the first megabyte and size of the weights."""
    digest = hashlib.sha256()
    for name in ("config.json", "model.bin"):
        path = directory / name
        if path.is_file():
            with path.open("rb") as fh:
                digest.update(fh.read(1 << 20))
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:12]


def install(source_dir: Path, directory: Path, pairs: Sequence[tuple[str, str]],
            target_token: str | None = None) -> list[Model]:
    """Copy a conversion under `directory`, note what it serves, translate once with it."""
    if not source_dir.is_dir():
        raise ModelError(f"{source_dir} is not a directory (a CTranslate2 conversion is one)")
    engine = kind_of(source_dir)
    if engine == NLLB and not pairs:
        codes = sorted(languages.CODES)
        pairs = [(s, t) for s in codes for t in codes if s != t]
    if not pairs:
        raise ModelError("an OPUS-MT model serves one pair: give --from and --to")
    for source, target in pairs:
        if source not in languages.CODES or target not in languages.CODES or source == target:
            raise ModelError(f"{source}→{target}: Wegwijs uses "
                             f"{', '.join(sorted(languages.CODES))}")
    name = f"{engine}-{source_dir.name}"
    directory.mkdir(parents=True, exist_ok=True)
    incoming = directory / f".incoming-{name}"
    shutil.rmtree(incoming, ignore_errors=True)
    shutil.copytree(source_dir, incoming)
    manifest = _Manifest(engine, tuple(pairs), target_token, _version(incoming))
    (incoming / MANIFEST).write_text(json.dumps({
        "engine": engine, "pairs": [list(p) for p in manifest.pairs],
        "target_token": target_token, "version": manifest.version}), encoding="utf-8")
    try:
        models = _models_of(incoming)
        CTranslate2Engine(directory).translate(models[0], ["Hello."])
        final = directory / name
        shutil.rmtree(final, ignore_errors=True)
        incoming.rename(final)
        return _models_of(final)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def _models_of(path: Path) -> list[Model]:
    manifest = _read_manifest(path)
    return [Model(manifest.engine, s, t, f"{manifest.engine}:{s}-{t}:{manifest.version}", path)
            for s, t in manifest.pairs]


def _read_manifest(path: Path) -> _Manifest:
    try:
        raw = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        return _Manifest(str(raw["engine"]), tuple((str(s), str(t)) for s, t in raw["pairs"]),
                         raw.get("target_token"), str(raw["version"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path.name}: unreadable {MANIFEST} ({exc})") from exc


class CTranslate2Engine:
    """Every conversion installed under `directory`."""

    name = "ctranslate2"

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._loaded: dict[Path, tuple[Any, Any, Any, _Manifest]] = {}
        self._models, self._broken = scan(directory, _models_of)

    def models(self) -> list[Model]:
        return list(self._models)

    def broken(self) -> list[Broken]:
        return list(self._broken)

    def translate(self, model: Model, texts: Sequence[str]) -> list[str]:
        translator, source_spm, target_spm, manifest = self._load(model.path)
        # Every sentence of every text in one batch; put back together afterwards.
        layout = [[sentences(p) for p in paragraphs(text)] for text in texts]
        batch: list[list[str]] = []
        for text in layout:
            for paragraph in text:
                for sentence in paragraph:
                    pieces = [*source_spm.encode(sentence, out_type=str), "</s>"]
                    if manifest.engine == NLLB:
                        pieces = [NLLB_CODES[model.source], *pieces]
                    elif manifest.target_token:
                        pieces = [manifest.target_token, *pieces]
                    batch.append(pieces)
        prefix = [[NLLB_CODES[model.target]]] * len(batch) if manifest.engine == NLLB else None
        try:
            results = translator.translate_batch(batch, target_prefix=prefix, beam_size=BEAM,
                                                 max_decoding_length=256) if batch else []
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError
            raise ModelError(f"{model.path.name}: {exc}") from exc
        out = iter(results)
        translated = []
        for text in layout:
            lines = []
            for paragraph in text:
                said = []
                for _sentence in paragraph:
                    tokens = next(out).hypotheses[0]
                    if manifest.engine == NLLB:
                        tokens = tokens[1:]  # the target language token
                    said.append(str(target_spm.decode([t for t in tokens if t not in SPECIAL])))
                lines.append(" ".join(said))
            translated.append("\n".join(lines))
        return translated

    def _load(self, path: Path) -> tuple[Any, Any, Any, _Manifest]:
        if path not in self._loaded:
            try:
                import ctranslate2
                import sentencepiece
            except ImportError as exc:
                raise ModelError(EXTRA) from exc
            manifest = _read_manifest(path)
            try:
                translator = ctranslate2.Translator(str(path), device="cpu", inter_threads=1)
                if manifest.engine == NLLB:
                    source = target = sentencepiece.SentencePieceProcessor(
                        model_file=str(path / "sentencepiece.bpe.model"))
                else:
                    source = sentencepiece.SentencePieceProcessor(
                        model_file=str(path / "source.spm"))
                    target = sentencepiece.SentencePieceProcessor(
                        model_file=str(path / "target.spm"))
            except Exception as exc:
                raise ModelError(f"{path.name}: {exc}") from exc
            self._loaded[path] = (translator, source, target, manifest)
        return self._loaded[path]
