"""A newcomer who writes Arabic and a sleutelpersoon who reads only Dutch talk through the
bot, with marked machine translations both ways (issue 12), over real aiogram and HTTP.
The tiny models always say the same sentence, so what arrives can be asserted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("argostranslate")
pytest.importorskip("onnx")

from conftest import refused
from fakes.bot_api import FakeBotAPI
from harness import RunningBot
from test_handoff import appoint, ask, heard, invite, newcomer_of
from texts import data, seen, tr
from tiny_models import build_argos

from bot.services.relay import TRANSLATED
from bot.services.relay_translation import FAILED, MARKER
from bot.translation import argos
from bot.translation.service import argos_dir

pytestmark = pytest.mark.translate

SAID = {("ar", "en"): "I have a letter from the municipality",
        ("en", "nl"): "Ik heb een brief van de gemeente",
        ("nl", "en"): "Please send me a photo of the letter",
        ("en", "ar"): "أرسل لي صورة الرسالة من فضلك"}


@pytest.fixture(autouse=True)
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to claim are proactive: at night they would wait for the morning."""
    monkeypatch.setenv("WEGWIJS_QUIET_HOURS", "")


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot with four tiny Argos packages installed before it starts."""
    for (source, target), text in SAID.items():
        argos.install(build_argos(tmp_path / "made", source, target, text),
                      argos_dir(tmp_path / "translation"))
    running = RunningBot(api, tmp_path)
    await running.start()
    yield running
    if running._task is not None:
        await running.stop()
    assert not refused(api), "the fake Bot API rejected requests:\n" + api.dump()


async def test_an_arabic_newcomer_and_a_dutch_sleutelpersoon_through_machine_translation(
        api: FakeBotAPI, bot: RunningBot) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    daan = await invite(coordinator, "leiden", 901, "nl", "Daan")  # speaks Dutch only
    amal = await newcomer_of(api, 101, "ar")
    handoff_id, _message_id, _answers = await ask(amal, "عندي رسالة من البلدية لا أفهمها")

    # Nobody speaks Arabic here: Daan is asked, and told the messages come translated.
    [request] = await heard(daan)
    assert data(request) == [f"r:claim:{handoff_id}"]
    assert "🤖" in seen(request)
    await daan.press(f"r:claim:{handoff_id}")
    [card] = await heard(daan)  # (the card came with the press; the copy follows)
    question = card if "عندي رسالة" in seen(card) else (await heard(daan))[0]
    shown = seen(question)
    assert shown.startswith("عندي رسالة من البلدية لا أفهمها")  # the original first
    marker = tr("nl", MARKER).split("{language}")[0]
    assert marker in shown and shown.rstrip().endswith(SAID[("en", "nl")])  # via English
    [claimed] = await heard(amal)  # Daan will answer, and reads her through a machine
    assert tr("ar", TRANSLATED).split("{name}")[1].strip()[:20] in seen(claimed)

    # Daan answers in Dutch; Amal reads it with its Arabic translation, marked in Arabic.
    api.user_message(daan.id, "Stuur me een foto van de brief alstublieft", language_code="nl")
    [answer] = await heard(amal)
    assert answer.method == "sendMessage"
    assert seen(answer).startswith("Stuur me een foto van de brief alstublieft")
    assert tr("ar", MARKER).split("{language}")[0] in seen(answer)
    assert SAID[("en", "ar")] in seen(answer)

    rows = bot.rows("SELECT waiting_text FROM relay_messages WHERE waiting_text IS NOT NULL")
    assert rows == []  # the text kept for the translation went once it was copied


async def test_a_model_that_breaks_while_the_bot_runs_leaves_the_original_and_a_note(
        api: FakeBotAPI, bot: RunningBot, tmp_path: Path) -> None:
    coordinator = await appoint(api, bot, 900, "leiden")
    daan = await invite(coordinator, "leiden", 901, "nl", "Daan")
    amal = await newcomer_of(api, 101, "ar")
    handoff_id, _message_id, _answers = await ask(amal, "عندي سؤال عن الإيجار")
    await heard(daan)
    await daan.press(f"r:claim:{handoff_id}")
    await heard(daan)  # the question, translated
    await heard(amal)  # Daan will answer
    # The Dutch→English model's weights are damaged on disk (loaded at its first use).
    [nl_en] = (tmp_path / "translation" / "argos").glob("translate-nl_en-*")
    (nl_en / "model" / "model.bin").write_bytes(b"\x06\x00\x00\x00damaged")
    api.user_message(daan.id, "Ik bel je morgen", language_code="nl")
    [answer] = await heard(amal)
    assert seen(answer).startswith("Ik bel je morgen")
    assert tr("ar", FAILED) in seen(answer)
    # The bot goes on: the next message is copied as it is (no model for the pair now).
    api.user_message(daan.id, "Tot morgen", language_code="nl")
    [next_one] = await heard(amal)
    assert next_one.method == "copyMessage"
