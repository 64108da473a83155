"""Tiny, deterministic machine-translation models for tests: no torch, nothing downloaded.

Each builder trains a ~120-piece SentencePiece model in memory on a few lines of Arabic,
Tigrinya, English and Dutch, and writes CTranslate2 weights built with numpy through a
custom ``ctranslate2.converters.Converter`` (the same validate -> optimize -> save path as
the real converters). The encoder is random. The decoder ignores it: token embeddings and
every attention/FFN output projection are zero, so its residual stream is just a learned
position encoding, a one-hot vector selecting slot ``t`` at decoding step ``t``, and the
output projection maps slot ``k`` to one output piece and the last slot to ``</s>``. So
every input translates to the same text, which makes tests assertable.

The builders mirror the on-disk shape and ``config.json`` tokens of:

- ``build_argos``: an Argos Translate ``.argosmodel`` (OpenNMT-py conversion + MiniSBD);
- ``build_opus_mt``: ``ct2-transformers-converter --model Helsinki-NLP/opus-mt-xx-yy``;
- ``build_nllb``: ``ct2-transformers-converter --model facebook/nllb-200-distilled-600M``.

Import this module only after ``pytest.importorskip("ctranslate2")`` (and sentencepiece,
onnx): those come with the optional ``[translate]`` extra.
"""

from __future__ import annotations

import io
import json
import struct
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sentencepiece as spm
from ctranslate2.converters import Converter
from ctranslate2.specs import TransformerSpec, common_spec

Array = npt.NDArray[np.float32]

LANGUAGE_NAMES = {"en": "English", "nl": "Dutch", "ar": "Arabic", "ti": "Tigrinya"}
NLLB_LANGUAGE_TOKENS = ("eng_Latn", "nld_Latn", "arb_Arab", "tir_Ethi")
# What a runtime strips from hypotheses before detokenizing.
SPECIAL_TOKENS = frozenset({"</s>", "<pad>", "<unk>", "<s>"})

# Enough text that SentencePiece covers every character the tests feed in, in all 4 scripts.
TRAINING_LINES = (
    "hello world. how are you today? thank you very much!",
    "please choose your language. your appointment is tomorrow.",
    "Hello. Where is the town hall? I need help with my letter.",
    "hallo wereld. hoe gaat het vandaag? dank je wel!",
    "kies je taal alstublieft. je afspraak is morgen.",
    "Hallo. Waar is het gemeentehuis? Ik heb hulp nodig met mijn brief.",
    "مرحبا بالعالم. كيف حالك اليوم؟ شكرا جزيلا!",
    "من فضلك اختر لغتك. موعدك غدا.",
    "ሰላም ዓለም። ከመይ ኣለኻ ሎሚ፧ የቐንየለይ!",
    "በጃኹም ቋንቋኹም ምረጹ። ቆጸራኹም ጽባሕ እዩ።",
    "0 1 2 3 4 5 6 7 8 9 , ; : ' \" ( ) - / @ # % & +",
)

# MiniSBD labels: 0 = inside a token, 1 = token end, 2 = token and sentence end.
SENTENCE_END_CHARS = (".", "!", "?", "\u061f", "\u1362", "\u1367", "\u1368")  # ؟ ። ፧ ፨


def train_sentencepiece(
    extra_lines: Sequence[str] = (), *, model_type: str = "unigram", vocab_size: int = 120
) -> bytes:
    """Serialized SentencePiece model trained on TRAINING_LINES plus ``extra_lines``."""
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([*TRAINING_LINES, *extra_lines] * 4),
        model_writer=buf,
        vocab_size=vocab_size,
        hard_vocab_limit=False,  # the corpus is too small to reach any exact size
        character_coverage=1.0,  # every Ge'ez/Arabic character gets a piece, no <unk>
        model_type=model_type,
        normalization_rule_name="identity",  # no 200 KB NFKC table; decode(encode(x)) == x
        num_threads=1,  # deterministic
        minloglevel=2,
    )
    return buf.getvalue()


def _output_pieces(model: bytes, output: str) -> list[str]:
    """Pieces for ``output``; refuse text the tiny model could not reproduce exactly."""
    sp = spm.SentencePieceProcessor(model_proto=model)
    pieces: list[str] = sp.encode(output, out_type=str)
    if not output or sp.unk_id() in sp.encode(output) or sp.decode(pieces) != output:
        raise ValueError(f"tiny models cannot reproduce {output!r} exactly")
    return pieces


@dataclass(frozen=True)
class _Tokens:
    """The special tokens a converter writes into config.json."""

    bos: str = "<s>"
    eos: str = "</s>"
    unk: str = "<unk>"
    decoder_start: str = "<s>"


@dataclass(frozen=True)
class Size:
    """A model as big as a real one (bench/translate.py): Argos's Transformer base has 6+6
    layers, d_model 512, 8 heads, FFN 2048 and a 50,000-piece vocabulary. The weights stay
    random and the output fixed; only the amount of computation is real."""

    layers: int = 6
    d_model: int = 512
    heads: int = 8
    ffn: int = 2048
    vocabulary: int = 32_000
    quantization: str = "int8"  # as argos-train converts its packages


class _TinyConverter(Converter):  # type: ignore[misc]  # ctranslate2 ships no type hints
    """Builds a 1+1 layer TransformerSpec whose decoder emits ``slots[t]`` at step ``t``.

    A ``None`` slot emits nothing in particular; use it where the runtime forces the token
    (NLLB's target-language prefix).
    """

    def __init__(
        self,
        vocab: Sequence[str],
        slots: Sequence[str | None],
        *,
        tokens: _Tokens = _Tokens(),
        pre_norm: bool = True,
        start_from_zero_embedding: bool = False,
        activation: common_spec.Activation = common_spec.Activation.RELU,
        size: Size | None = None,
    ) -> None:
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocabulary has duplicate tokens")
        missing = {s for s in slots if s is not None} - set(vocab)
        if missing:
            raise ValueError(f"slot tokens not in the vocabulary: {sorted(missing)}")
        self.vocab = list(vocab)
        if size is not None:  # pieces nobody produces, so the output layer is full size
            self.vocab += [f"▁unused{i}" for i in range(max(0, size.vocabulary - len(vocab)))]
        self.slots = [*slots, tokens.eos]
        self.tokens = tokens
        self.pre_norm = pre_norm
        self.start_from_zero_embedding = start_from_zero_embedding
        self.activation = activation
        # One residual dimension per slot; 4 heads need d divisible by 4 (8 keeps it round).
        self.d = max(32, -(-len(self.slots) // 8) * 8)
        self.ffn = 2 * self.d
        self.layers, self.heads = 1, 4
        if size is not None:
            self.d, self.ffn = max(self.d, size.d_model), size.ffn
            self.layers, self.heads = size.layers, size.heads
        self.max_positions = 256
        self.rng = np.random.default_rng(0)
        self.quantization = size.quantization if size is not None else None

    def _rand(self, *shape: int) -> Array:
        return (self.rng.standard_normal(shape) * 0.1).astype(np.float32)

    def _ln(self, spec: Any) -> None:
        spec.gamma = np.ones(self.d, dtype=np.float32)
        spec.beta = np.zeros(self.d, dtype=np.float32)

    def _linear(self, spec: Any, out_dim: int, in_dim: int, *, zero: bool = False) -> None:
        shape = (out_dim, in_dim)
        spec.weight = np.zeros(shape, np.float32) if zero else self._rand(*shape)
        spec.bias = np.zeros(out_dim, dtype=np.float32)

    def _ffn(self, spec: Any, *, zero_out: bool) -> None:
        self._ln(spec.layer_norm)
        self._linear(spec.linear_0, self.ffn, self.d)
        self._linear(spec.linear_1, self.d, self.ffn, zero=zero_out)

    def _load(self) -> TransformerSpec:
        d, n_vocab = self.d, len(self.vocab)
        spec = TransformerSpec.from_config(
            num_layers=self.layers, num_heads=self.heads, pre_norm=self.pre_norm,
            activation=self.activation
        )

        # Encoder: random weights so the real encoder path runs; sinusoidal positions.
        enc = spec.encoder
        enc.embeddings[0].weight = self._rand(n_vocab, d)
        if self.pre_norm:
            self._ln(enc.layer_norm)
        for layer in enc.layer:
            self._ln(layer.self_attention.layer_norm)
            self._linear(layer.self_attention.linear[0], 3 * d, d)
            self._linear(layer.self_attention.linear[1], d, d)
            self._ffn(layer.ffn, zero_out=False)

        # Decoder: every sublayer adds 0 to the residual stream, which therefore holds only
        # the position encoding (layer norms keep its argmax, pre- or post-norm alike).
        dec = spec.decoder
        dec.embeddings.weight = np.zeros((n_vocab, d), dtype=np.float32)
        dec.start_from_zero_embedding = self.start_from_zero_embedding
        if self.pre_norm:
            self._ln(dec.layer_norm)
        for layer in dec.layer:
            self._ln(layer.self_attention.layer_norm)
            self._linear(layer.self_attention.linear[0], 3 * d, d)
            self._linear(layer.self_attention.linear[1], d, d, zero=True)
            self._ln(layer.attention.layer_norm)
            self._linear(layer.attention.linear[0], d, d)
            self._linear(layer.attention.linear[1], 2 * d, d)
            self._linear(layer.attention.linear[2], d, d, zero=True)
            self._ffn(layer.ffn, zero_out=True)

        # Step t -> one-hot slot min(t, last); slot k -> logit 10 for its token.
        last = len(self.slots) - 1
        encodings = np.zeros((self.max_positions, d), dtype=np.float32)
        steps = np.arange(self.max_positions)
        encodings[steps, np.minimum(steps, last)] = 1.0
        dec.position_encodings.encodings = encodings
        index = {token: i for i, token in enumerate(self.vocab)}
        projection = np.zeros((n_vocab, d), dtype=np.float32)
        for k, token in enumerate(self.slots):
            if token is not None:
                projection[index[token], k] = 10.0
        dec.projection.weight = projection
        dec.projection.bias = np.zeros(n_vocab, dtype=np.float32)

        spec.config.bos_token = self.tokens.bos
        spec.config.eos_token = self.tokens.eos
        spec.config.unk_token = self.tokens.unk
        spec.config.decoder_start_token = self.tokens.decoder_start
        # Identical lists make spec.save() write one shared_vocabulary.json.
        spec.register_source_vocabulary(self.vocab)
        spec.register_target_vocabulary(self.vocab)
        return spec

    def write(self, out_dir: Path) -> Path:
        """Convert into ``out_dir``, which must be missing or empty (convert() rmtrees it)."""
        if out_dir.exists() and any(out_dir.iterdir()):
            raise FileExistsError(f"{out_dir} is not empty")
        self.convert(str(out_dir), force=True, quantization=self.quantization)
        return out_dir


# --------------------------------------------------------------------------- Argos Translate


def make_minisbd_onnx(path: Path) -> None:
    """Rule-based splitter in MiniSBD's ONNX format: logits = table[units] + features @ 0.

    Every character is a one-character token; SENTENCE_END_CHARS also end the sentence. This
    spares tests the Stanza/MiniSBD download argostranslate would otherwise attempt.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    units = ["<PAD>", "<UNK>", " ", *SENTENCE_END_CHARS]
    table = np.full((len(units), 5), -10.0, dtype=np.float32)
    table[0, 0] = 10.0  # <PAD>
    table[1:3, 1] = 10.0  # any other character, and space: token end
    table[3:, 2] = 10.0  # sentence end
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "units"], ["g"], axis=0),
            helper.make_node("MatMul", ["features", "fzero"], ["f"]),
            helper.make_node("Add", ["g", "f"], ["logits"]),
        ],
        "tiny_sbd",
        [
            helper.make_tensor_value_info("units", TensorProto.INT64, ["B", "N"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", "N", 1]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", "N", 5])],
        initializer=[
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(np.zeros((1, 5), np.float32), "fzero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by older onnxruntime builds too
    config = {
        "feat_funcs": ["space_before"],
        "max_seqlen": 1000,
        "batch_size": 32,
        "use_dictionary": False,
        "num_dict_feat": 0,
        "skip_newline": False,
        "no_ssplit": False,
    }
    vocab = {
        "lang": "xx",
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {u: i for i, u in enumerate(units)},
        "_id2unit": units,
    }
    metadata = {
        "lang_code": "xx",
        "config": json.dumps(config),
        "vocab": json.dumps(vocab),
        "lexicon": "null",
    }
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _argos_package(
    out_dir: Path,
    source: str,
    target: str,
    output: str,
    *,
    version: str,
    sentence_splitter: bool,
    model_bin: bytes | None = None,
    size: Size | None = None,
) -> Path:
    name = f"translate-{source}_{target}-{version.replace('.', '_')}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        root.mkdir()
        sp_model = train_sentencepiece([output])
        (root / "sentencepiece.model").write_bytes(sp_model)
        vocab_sp = spm.SentencePieceProcessor(model_proto=sp_model)
        # argostranslate feeds the raw SentencePiece pieces, so the model vocabulary is the
        # SentencePiece vocabulary (<unk>, <s>, </s>, ...); the decoder starts from <s>.
        vocab = [vocab_sp.id_to_piece(i) for i in range(vocab_sp.get_piece_size())]
        _TinyConverter(vocab, _output_pieces(sp_model, output), size=size).write(
            root / "model")
        if model_bin is not None:
            (root / "model" / "model.bin").write_bytes(model_bin)
        if sentence_splitter:
            (root / "minisbd").mkdir()
            make_minisbd_onnx(root / "minisbd" / "sbd.onnx")
        metadata = {
            "package_version": version,
            "argos_version": "1.11",
            "type": "translate",
            "from_code": source,
            "from_name": LANGUAGE_NAMES.get(source, source),
            "to_code": target,
            "to_name": LANGUAGE_NAMES.get(target, target),
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (root / "README.md").write_text(
            f"Tiny test package: translates everything to {output!r}.\n", encoding="utf-8"
        )

        out_dir.mkdir(parents=True, exist_ok=True)
        package = out_dir / f"{name}.argosmodel"
        with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                # Fixed timestamps keep the archive byte-for-byte reproducible.
                info = zipfile.ZipInfo(file.relative_to(tmp).as_posix(), (1980, 1, 1, 0, 0, 0))
                zf.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
    return package


def build_argos(
    out_dir: Path,
    source: str,
    target: str,
    output: str,
    *,
    version: str = "1.0",
    sentence_splitter: bool = True,
    size: Size | None = None,
) -> Path:
    """Write ``translate-<source>_<target>-<version>.argosmodel`` into ``out_dir``.

    argostranslate translates each sentence to ``output``: "A. B." gives "output output".
    Without ``sentence_splitter`` there is no ``minisbd/`` and argostranslate would try to
    download a MiniSBD model, so only use that to test how a runtime copes.
    """
    return _argos_package(
        out_dir, source, target, output, version=version, sentence_splitter=sentence_splitter,
        size=size,
    )


def corrupt_argos(out_dir: Path, source: str, target: str, *, version: str = "1.0") -> Path:
    """A valid-looking package (zip, metadata, tokenizer) whose model.bin is garbage.

    The garbage starts like a real model.bin (binary version 6), so CTranslate2 raises
    "File model.bin is incomplete" instead of a misleading "model from a later version".
    """
    garbage = struct.pack("<I", 6) + b"\xff" * 256
    return _argos_package(
        out_dir,
        source,
        target,
        "hallo",
        version=version,
        sentence_splitter=True,
        model_bin=garbage,
    )


def not_a_zip(out_dir: Path) -> Path:
    """A ``.argosmodel`` that is not a zip archive (say, an HTML error page saved as one)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "translate-en_nl-1_0.argosmodel"
    path.write_bytes(b"<html><body>502 Bad Gateway</body></html>\n")
    return path


# ---------------------------------------------------------------------- CTranslate2 directories


def build_opus_mt(out_dir: Path, output: str, *, target_token: str | None = None) -> Path:
    """A directory like ``ct2-transformers-converter --model Helsinki-NLP/opus-mt-xx-yy``.

    Files: model.bin, config.json, shared_vocabulary.json, source.spm, target.spm (the same
    model; the runtime reads both). Like MarianMTLoader's output: the vocabulary is Marian's
    (``</s>``, ``<unk>``, language tags like ``>>tir<<`` when ``target_token`` is given,
    then pieces; no ``<s>``, and the ``<pad>`` Transformers appends is dropped), the decoder
    starts from ``</s>`` with a zero embedding, post-norm layers, swish activation.
    """
    sp_model = train_sentencepiece([output])
    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    controls = {"<unk>", "<s>", "</s>"}
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    tags = [target_token] if target_token else []
    vocab = ["</s>", "<unk>", *tags, *(p for p in pieces if p not in controls)]
    converter = _TinyConverter(
        vocab,
        _output_pieces(sp_model, output),
        # MarianMTLoader.set_config leaves bos_token at its default "<s>" (absent from the
        # vocabulary, and never used) and sets decoder_start_token to the eos token.
        tokens=_Tokens(bos="<s>", eos="</s>", unk="<unk>", decoder_start="</s>"),
        pre_norm=False,
        start_from_zero_embedding=True,
        activation=common_spec.Activation.SWISH,
    )
    converter.write(out_dir)
    (out_dir / "source.spm").write_bytes(sp_model)
    (out_dir / "target.spm").write_bytes(sp_model)
    return out_dir


def build_nllb(out_dir: Path, output: str) -> Path:
    """A directory like the CTranslate2 conversion of facebook/nllb-200-distilled-600M.

    Files: model.bin, config.json, shared_vocabulary.json, sentencepiece.bpe.model. Like
    M2M100Loader's output: fairseq vocabulary order (``<s>``, ``<pad>``, ``</s>``,
    ``<unk>``, pieces, language tokens, ``<mask>``), pre-norm layers, and the decoder starts
    from ``</s>`` (NLLB's decoder_start_token_id is 2). The runtime forces the target
    language as the first target token, so decoding step 0 is a placeholder slot.
    """
    sp_model = train_sentencepiece([output], model_type="bpe")
    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    controls = {"<unk>", "<s>", "</s>"}
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = [
        "<s>",
        "<pad>",
        "</s>",
        "<unk>",
        *(p for p in pieces if p not in controls),
        *NLLB_LANGUAGE_TOKENS,
        "<mask>",
    ]
    converter = _TinyConverter(
        vocab,
        [None, *_output_pieces(sp_model, output)],
        tokens=_Tokens(bos="<s>", eos="</s>", unk="<unk>", decoder_start="</s>"),
        pre_norm=True,
    )
    converter.write(out_dir)
    (out_dir / "sentencepiece.bpe.model").write_bytes(sp_model)
    return out_dir
