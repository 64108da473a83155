"""Machine translation (issue 12): how long a sentence takes, how often a conversation's
messages come from the cache, and whether the event loop stalls while a model works.

    .venv/bin/python bench/translate.py [--sentences 20] [--small]

Needs the [translate] extra (`make test-translate` installs it). Nothing is downloaded: the
models are built here with tests/tiny_models.py, as big as Argos's own (Transformer base:
6+6 layers, d_model 512, 8 heads, FFN 2048, int8; a 32,000-piece vocabulary) but with random
weights and a fixed output of about 28 pieces (the tiny SentencePiece model cuts text into
short pieces), so the computation per sentence is real and the text is not. `--small` uses
the 1+1-layer test models instead (a quick look).

1. Latency per sentence, `--sentences` different Arabic sentences one by one (no cache hit):
     ctranslate2      the baseline: the model's ctranslate2.Translator called directly on
                      the sentence's pieces (beam 4, as argostranslate asks)
     argos ar→en      MachineTranslator.translate: argostranslate's PackageTranslation in
                      the worker thread, the caches looked at first
     argos ar→nl      the same through English (ar→en, then en→nl): two models
   The first call of each (loading the model) is shown apart.

2. A conversation: an Arabic newcomer and a Dutch sleutelpersoon, 30 messages, with what
   people repeat ("شكرا", "ok", "Dank je wel", greetings). Each message is translated once
   to the reader's language, as the relay does; the hit rate is the share served from memory.

3. The event loop while translating: a task wakes every millisecond and notes how late it
   is, while `--sentences` sentences are translated
     on the loop      the baseline: the model called on the event loop itself
     worker thread    MachineTranslator.translate, as the bot does
   Target: no stall over 20 ms with the worker thread.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

try:
    import ctranslate2
    from tiny_models import Size, build_argos
except ImportError:
    sys.exit("bench/translate.py needs the [translate] extra: make test-translate")

from bot.translation import argos  # noqa: E402
from bot.translation.service import MachineTranslator, argos_dir  # noqa: E402

STALL_TARGET_MS = 20.0
OUTPUT = {  # what each model always says: 26-31 pieces, a short sentence's length
    ("ar", "en"): "I have a letter about my rent",
    ("en", "nl"): "Ik heb een brief over mijn huur",
    ("nl", "en"): "Please send a photo of the letter",
    ("en", "ar"): "أرسل لي صورة الرسالة من فضلك",
}
SENTENCES = [f"وصلتني رسالة رقم {n} من البلدية عن الإيجار ولا أفهم ما المطلوب مني." for n in
             range(200)]
CONVERSATION = [  # (who writes, text): the newcomer in Arabic, the sleutelpersoon in Dutch
    ("ar", "السلام عليكم"), ("nl", "Hallo! Ik ben Daan. Waarmee kan ik helpen?"),
    ("ar", "وصلتني رسالة من البلدية عن الإيجار"), ("nl", "Kun je een foto van de brief sturen?"),
    ("ar", "ok"), ("ar", "شكرا"), ("nl", "Dank je wel"),
    ("nl", "Het gaat over je huurtoeslag."), ("ar", "ماذا يجب أن أفعل؟"),
    ("nl", "Je moet je inkomen doorgeven op Mijn toeslagen."), ("ar", "لا أفهم"),
    ("nl", "Ik leg het uit."), ("ar", "شكرا"), ("ar", "ok"), ("nl", "Heb je DigiD?"),
    ("ar", "نعم"), ("nl", "Goed. Log in met DigiD."), ("ar", "ok"),
    ("ar", "لا أفهم"), ("nl", "Ik leg het uit."), ("nl", "Kun je een foto van de brief sturen?"),
    ("ar", "شكرا"), ("nl", "Dank je wel"), ("ar", "ماذا يجب أن أفعل؟"),
    ("nl", "Bel me morgen als het niet lukt."), ("ar", "ok"), ("ar", "شكرا جزيلا"),
    ("nl", "Graag gedaan"), ("ar", "مع السلامة"), ("nl", "Tot ziens"),
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


async def stalls(work: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """(the longest, the 99th percentile) lateness of a 1 ms timer while `work` runs."""
    late: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        loop = asyncio.get_running_loop()
        while not done.is_set():
            start = loop.time()
            await asyncio.sleep(0.001)
            late.append(loop.time() - start - 0.001)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.01)
    await work()
    done.set()
    await ticker
    late.sort()
    return late[-1], late[int(len(late) * 0.99) - 1]


async def main(count: int, small: bool) -> None:
    size = None if small else Size()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "translation"
        built = time.perf_counter()
        for (source, target), text in OUTPUT.items():
            argos.install(build_argos(Path(tmp) / "made", source, target, text, size=size),
                          argos_dir(home))
        print(f"Built and installed 4 {'test' if small else 'Transformer-base-sized'} models "
              f"in {time.perf_counter() - built:.1f} s.\n")
        sentences = SENTENCES[:count]

        # 1. Latency per sentence.
        translator = MachineTranslator.installed(home)
        [model] = [m for m in translator.models() if (m.source, m.target) == ("ar", "en")]
        raw = ctranslate2.Translator(str(model.path / "model"), device="cpu")
        import sentencepiece
        pieces = sentencepiece.SentencePieceProcessor(
            model_file=str(model.path / "sentencepiece.model"))
        rows: list[tuple[str, float, list[float]]] = []
        start = time.perf_counter()
        raw.translate_batch([pieces.encode(sentences[0], out_type=str)], beam_size=4)
        first = time.perf_counter() - start
        samples = []
        for sentence in sentences:
            start = time.perf_counter()
            raw.translate_batch([pieces.encode(sentence, out_type=str)], beam_size=4)
            samples.append(time.perf_counter() - start)
        rows.append(("ctranslate2", first, samples))
        for label, target in (("argos ar→en", "en"), ("argos ar→nl", "nl")):
            start = time.perf_counter()
            await translator.translate(["تحميل النموذج."], "ar", target)
            first = time.perf_counter() - start
            samples = []
            for sentence in sentences:
                start = time.perf_counter()
                await translator.translate([sentence], "ar", target)
                samples.append(time.perf_counter() - start)
            rows.append((label, first, samples))
        base = statistics.median(rows[0][2])
        print("1. Latency per sentence (ms; ratio: median against ctranslate2 called directly)")
        print(f"{'':<14}{'first':>7}{'n':>5}{'p50':>7}{'p95':>7}{'max':>7}{'ratio':>7}")
        for label, first, samples in rows:
            samples.sort()
            print(f"{label:<14}{ms(first):>7}{len(samples):>5}{ms(statistics.median(samples)):>7}"
                  f"{ms(samples[int(len(samples) * 0.95) - 1]):>7}{ms(samples[-1]):>7}"
                  f"{statistics.median(samples) / base:>7.2f}")
        translator.close()

        # 2. A conversation's cache hits.
        talk = MachineTranslator.installed(home)
        start = time.perf_counter()
        for writer, text in CONVERSATION:
            await talk.translate([text], writer, "nl" if writer == "ar" else "ar")
        spent = time.perf_counter() - start
        total = talk.hits + talk.misses
        print(f"\n2. A conversation of {len(CONVERSATION)} messages (ar ↔ nl, both through "
              "English)")
        print(f"{'translated':>11}{'from cache':>12}{'hit rate':>10}{'total s':>9}"
              f"{'ms/message':>12}")
        print(f"{talk.misses:>11}{talk.hits:>12}{talk.hits / total:>10.0%}{spent:>9.1f}"
              f"{spent / len(CONVERSATION) * 1000:>12.0f}")
        talk.close()

        # 3. The event loop while translating.
        loop_translator = MachineTranslator.installed(home)
        engine, model = loop_translator._models[("ar", "en")]
        engine.translate(model, ["تحميل النموذج."])  # loaded before either is measured
        await loop_translator.translate(["تحميل النموذج."], "ar", "en")
        fresh = [f"{s} (مرة ثانية)" for s in sentences]

        async def on_loop() -> None:
            for sentence in fresh:
                engine.translate(model, [sentence])
                await asyncio.sleep(0)

        async def in_worker() -> None:
            for sentence in sentences:
                await loop_translator.translate([sentence], "ar", "en")

        blocked = await stalls(on_loop)
        worker = await stalls(in_worker)
        loop_translator.close()
        print(f"\n3. The event loop while {len(sentences)} sentences are translated "
              "(a 1 ms timer's lateness, ms)")
        print(f"{'':<16}{'max':>7}{'p99':>7}{'ratio':>7}")
        for label, (longest, p99) in (("on the loop", blocked), ("worker thread", worker)):
            print(f"{label:<16}{ms(longest):>7}{ms(p99):>7}{longest / blocked[0]:>7.2f}")
        verdict = "met" if worker[0] * 1000 <= STALL_TARGET_MS else "NOT met"
        print(f"Target: no stall over {STALL_TARGET_MS:.0f} ms with the worker thread: {verdict}.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--small", action="store_true",
                        help="the 1+1-layer test models (a quick look)")
    args = parser.parse_args()
    asyncio.run(main(min(args.sentences, len(SENTENCES)), args.small))
