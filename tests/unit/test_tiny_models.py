"""The tiny translation models translate everything to a fixed text, through the real runtimes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("ctranslate2")
pytest.importorskip("sentencepiece")
pytest.importorskip("onnx")

import ctranslate2
import sentencepiece as spm
from tiny_models import (
    NLLB_LANGUAGE_TOKENS,
    SPECIAL_TOKENS,
    build_argos,
    build_nllb,
    build_opus_mt,
    corrupt_argos,
    not_a_zip,
)

pytestmark = pytest.mark.translate

INPUTS = {
    "ar": "مرحبا بالعالم. كيف حالك اليوم؟",
    "ti": "ሰላም ዓለም። ከመይ ኣለኻ ሎሚ፧",
    "nl": "Hallo. Waar is het gemeentehuis?",
}
OUTPUTS = ["hallo wereld", "ሰላም ዓለም", "شكرا جزيلا"]


def _opus_mt(model_dir: Path, text: str, target_token: str | None = None) -> str:
    """The runtime contract for a converted OPUS-MT model."""
    source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    target = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    tokens = [*source.encode(text, out_type=str), "</s>"]
    if target_token:
        tokens.insert(0, target_token)
    result = ctranslate2.Translator(str(model_dir)).translate_batch([tokens], beam_size=1)
    pieces = [t for t in result[0].hypotheses[0] if t not in SPECIAL_TOKENS]
    return str(target.decode(pieces))


def _nllb(model_dir: Path, text: str, src_lang: str, tgt_lang: str) -> str:
    """The runtime contract for a converted NLLB-200 model."""
    sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.bpe.model"))
    tokens = [src_lang, *sp.encode(text, out_type=str), "</s>"]
    translator = ctranslate2.Translator(str(model_dir))
    result = translator.translate_batch([tokens], target_prefix=[[tgt_lang]], beam_size=1)
    hypothesis = result[0].hypotheses[0]
    assert hypothesis[0] == tgt_lang
    return str(sp.decode([t for t in hypothesis[1:] if t not in SPECIAL_TOKENS]))


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``script`` in a fresh interpreter, so a native crash fails the test, not pytest."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _vocabulary(model_dir: Path) -> list[str]:
    return list(json.loads((model_dir / "shared_vocabulary.json").read_text(encoding="utf-8")))


# ----------------------------------------------------------------------------------- OPUS-MT


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("target_token", [None, ">>tir<<"])
def test_opus_mt_translates_any_input_to_output(
    tmp_path: Path, output: str, target_token: str | None
) -> None:
    model_dir = build_opus_mt(tmp_path / "opus", output, target_token=target_token)
    for text in INPUTS.values():
        assert _opus_mt(model_dir, text, target_token) == output


def test_opus_mt_looks_like_a_marian_conversion(tmp_path: Path) -> None:
    model_dir = build_opus_mt(tmp_path / "opus", "hallo", target_token=">>tir<<")

    assert sorted(p.name for p in model_dir.iterdir()) == [
        "config.json",
        "model.bin",
        "shared_vocabulary.json",
        "source.spm",
        "target.spm",
    ]
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert config["decoder_start_token"] == "</s>"
    assert (config["bos_token"], config["eos_token"], config["unk_token"]) == (
        "<s>",
        "</s>",
        "<unk>",
    )
    assert config["add_source_eos"] is False  # the runtime appends </s> itself
    vocab = _vocabulary(model_dir)
    assert vocab[:3] == ["</s>", "<unk>", ">>tir<<"]
    assert "<pad>" not in vocab
    assert "<s>" not in vocab


# -------------------------------------------------------------------------------------- NLLB


@pytest.mark.parametrize("output", OUTPUTS)
def test_nllb_translates_any_input_to_output_for_every_target(tmp_path: Path, output: str) -> None:
    model_dir = build_nllb(tmp_path / "nllb", output)
    sources = {"ar": "arb_Arab", "ti": "tir_Ethi", "nl": "nld_Latn"}
    for lang, text in INPUTS.items():
        for tgt_lang in NLLB_LANGUAGE_TOKENS:
            assert _nllb(model_dir, text, sources[lang], tgt_lang) == output


def test_nllb_looks_like_an_nllb_conversion(tmp_path: Path) -> None:
    model_dir = build_nllb(tmp_path / "nllb", "hallo")

    assert sorted(p.name for p in model_dir.iterdir()) == [
        "config.json",
        "model.bin",
        "sentencepiece.bpe.model",
        "shared_vocabulary.json",
    ]
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert config["decoder_start_token"] == "</s>"
    assert config["bos_token"] == "<s>"
    vocab = _vocabulary(model_dir)
    assert vocab[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert set(NLLB_LANGUAGE_TOKENS) <= set(vocab)


def test_builders_refuse_text_they_cannot_reproduce(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reproduce"):
        build_nllb(tmp_path / "empty", "")
    with pytest.raises(ValueError, match="reproduce"):
        build_opus_mt(tmp_path / "spaces", "two  spaces")  # SentencePiece collapses them


def test_builders_do_not_overwrite_a_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        build_opus_mt(tmp_path, "hallo")
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "mine"


# ----------------------------------------------------------------------------- Argos Translate

ARGOS_SCRIPT = """
import json, sys
from argostranslate import package, translate
package.install_from_path(sys.argv[1])
print(json.dumps([translate.translate(text, "en", "nl") for text in sys.argv[2:]]))
"""

LOAD_SCRIPT = """
import sys, ctranslate2
try:
    ctranslate2.Translator(sys.argv[1], device="cpu")
except Exception as error:
    print(f"{type(error).__name__}: {error}")
else:
    print("loaded")
"""


def _argos_env(tmp_path: Path) -> dict[str, str]:
    """argostranslate reads these at import time: point them all into tmp_path."""
    home = tmp_path / "argos-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGOS_")}
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        ARGOS_PACKAGES_DIR=str(home / "packages"),
        ARGOS_DEVICE_TYPE="cpu",
    )
    return env


def test_argos_package_layout(tmp_path: Path) -> None:
    package = build_argos(tmp_path, "ti", "en", "hello", version="1.2")

    assert package.name == "translate-ti_en-1_2.argosmodel"
    with zipfile.ZipFile(package) as zf:
        names = sorted(zf.namelist())
        metadata = json.loads(zf.read("translate-ti_en-1_2/metadata.json"))
    assert {name.split("/")[0] for name in names} == {"translate-ti_en-1_2"}
    assert [name.split("/", 1)[1] for name in names] == [
        "README.md",
        "metadata.json",
        "minisbd/sbd.onnx",
        "model/config.json",
        "model/model.bin",
        "model/shared_vocabulary.json",
        "sentencepiece.model",
    ]
    assert metadata["from_name"] == "Tigrinya"
    assert metadata["to_name"] == "English"
    assert metadata["package_version"] == "1.2"


def test_argos_package_without_sentence_splitter(tmp_path: Path) -> None:
    package = build_argos(tmp_path, "en", "nl", "hallo", sentence_splitter=False)

    with zipfile.ZipFile(package) as zf:
        assert not [n for n in zf.namelist() if "/minisbd/" in n]


def test_argos_package_is_reproducible(tmp_path: Path) -> None:
    first = build_argos(tmp_path / "a", "en", "nl", "hallo wereld")
    second = build_argos(tmp_path / "b", "en", "nl", "hallo wereld")

    assert first.read_bytes() == second.read_bytes()


def test_argos_translate_gives_output_once_per_sentence(tmp_path: Path) -> None:
    package = build_argos(tmp_path / "pkg", "en", "nl", "hallo wereld")

    out = _run(ARGOS_SCRIPT, str(package), "Hello.", "Hello. Where?", env=_argos_env(tmp_path))

    assert json.loads(out) == ["hallo wereld", "hallo wereld hallo wereld"]


def test_corrupt_argos_model_raises_instead_of_crashing(tmp_path: Path) -> None:
    package = corrupt_argos(tmp_path / "pkg", "en", "nl")

    with zipfile.ZipFile(package) as zf:
        metadata = json.loads(zf.read("translate-en_nl-1_0/metadata.json"))
        zf.extractall(tmp_path / "unzipped")
    assert (metadata["from_code"], metadata["to_code"]) == ("en", "nl")

    model_dir = tmp_path / "unzipped" / "translate-en_nl-1_0" / "model"
    assert _run(LOAD_SCRIPT, str(model_dir)).startswith("RuntimeError: ")


def test_not_a_zip(tmp_path: Path) -> None:
    path = not_a_zip(tmp_path)

    assert path.suffix == ".argosmodel"
    assert path.is_file()
    assert not zipfile.is_zipfile(path)
