"""Offline machine translation on tiny models the tests build (issue 12): installing Argos
packages and CTranslate2 conversions from files, English as the pivot, a missing pair, a
corrupt model (a clear error; the bot goes on without it), the caches, and the command
line. Runs only with the [translate] extra (CI installs it for these)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("argostranslate")
pytest.importorskip("onnx")

from tiny_models import (
    build_argos,
    build_nllb,
    build_opus_mt,
    corrupt_argos,
    not_a_zip,
)
from typer.testing import CliRunner

from bot.cli import app
from bot.storage.database import Database
from bot.translation import argos, ct2
from bot.translation.engines import ModelError
from bot.translation.service import MachineTranslator, argos_dir, ct2_dir

pytestmark = pytest.mark.translate
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """ar→en and en→nl Argos packages installed; en→ar too (a reply back)."""
    home = tmp_path / "translation"
    made = tmp_path / "made"
    argos.install(build_argos(made, "ar", "en", "hello world"), argos_dir(home))
    argos.install(build_argos(made, "en", "nl", "hallo wereld"), argos_dir(home))
    argos.install(build_argos(made, "en", "ar", "مرحبا بالعالم"), argos_dir(home))
    return home


async def test_a_pair_with_a_model_is_translated_and_others_go_through_english(
        models: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    translator = MachineTranslator.installed(models)
    [direct] = await translator.translate(["مرحبا"], "ar", "en") or []
    assert direct.text == "hello world"
    [pivot] = await translator.translate(["مرحبا. كيف حالك؟"], "ar", "nl") or []
    assert pivot.text == "hallo wereld"  # (ar→en gave "hello world hello world": one sentence)
    assert pivot.model == "argos:ar-en:1.0 + argos:en-nl:1.0"
    route = translator.route("nl", "ar")
    assert route is None  # no nl→en model: missing, not guessed
    assert await translator.translate(["Hallo"], "nl", "ar") is None
    assert not translator.can("ti", "en")
    assert "مرحبا" not in caplog.text  # argostranslate logs texts at INFO: kept quiet


async def test_lines_are_kept_and_the_same_text_is_translated_once(models: Path) -> None:
    translator = MachineTranslator.installed(models)
    first = await translator.translate(["مرحبا\nشكرا", "مرحبا\nشكرا", "نعم"], "ar", "en")
    assert [t.text for t in first or []] == ["hello world\nhello world"] * 2 + ["hello world"]
    assert (translator.hits, translator.misses) == (1, 2)
    await translator.translate(["نعم"], "ar", "en")
    assert (translator.hits, translator.misses) == (2, 2)


async def test_translation_runs_beside_the_event_loop(models: Path) -> None:
    translator = MachineTranslator.installed(models)
    threads: set[str] = set()
    engine = translator._models[("ar", "en")][0]
    original = engine.translate

    def spy(model: object, texts: object) -> list[str]:
        threads.add(threading.current_thread().name)
        return original(model, texts)  # type: ignore[arg-type]

    engine.translate = spy  # type: ignore[method-assign]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await translator.translate([f"جملة رقم {n}." for n in range(30)], "ar", "en")
    task.cancel()
    assert threads and all(name.startswith("translate") for name in threads)
    assert ticks > 1  # the loop went on while the worker translated
    translator.close()


async def test_shared_texts_are_kept_in_the_database_and_conversations_are_not(
        models: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cache.db'}")
    await database.migrate()
    try:
        first = MachineTranslator.installed(models, database.uow, lambda: NOW)
        await first.translate(["اجتماع يوم الاثنين"], "ar", "en", store=True)
        await first.translate(["رسالتي الخاصة"], "ar", "en")  # a conversation's message
        again = MachineTranslator.installed(models, database.uow, lambda: NOW)
        [kept] = await again.translate(["اجتماع يوم الاثنين"], "ar", "en", store=True) or []
        assert kept.text == "hello world" and (again.hits, again.misses) == (1, 0)
        async with database.uow() as uow:
            stored = await uow.translations.get(["x"], NOW)
            assert stored == {}
        from sqlalchemy import text
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT source, target, model, text FROM translation_cache"))).all()
        assert rows == [("ar", "en", "argos:ar-en:1.0", "hello world")]
    finally:
        await database.dispose()


async def test_a_corrupt_model_is_refused_at_install_and_skipped_at_run_time(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    home = tmp_path / "translation"
    with pytest.raises(ModelError, match="incomplete"):
        argos.install(corrupt_argos(tmp_path / "made", "ar", "en"), argos_dir(home))
    assert not any(argos_dir(home).iterdir())  # nothing left behind
    with pytest.raises(ModelError, match="not a zip"):
        argos.install(not_a_zip(tmp_path / "bad"), argos_dir(home))
    # A model that broke after it was installed (a disk error): used once, then never.
    argos.install(build_argos(tmp_path / "made", "ar", "en", "hello world"), argos_dir(home))
    [installed] = [p for p in argos_dir(home).iterdir()]
    (installed / "model" / "model.bin").write_bytes(b"\x06\x00\x00\x00garbage")
    translator = MachineTranslator.installed(home)
    assert await translator.translate(["مرحبا"], "ar", "en") is None
    assert "does not work and is not used again" in caplog.text
    assert not translator.can("ar", "en")
    [broken] = translator.broken()
    assert broken.path == installed


async def test_opus_mt_and_nllb_conversions_serve_tigrinya(tmp_path: Path) -> None:
    home = tmp_path / "translation"
    ct2.install(build_opus_mt(tmp_path / "ti-en", "hello world"), ct2_dir(home),
                [("ti", "en")])
    ct2.install(build_opus_mt(tmp_path / "en-ti", "ሰላም ዓለም", target_token=">>tir<<"),
                ct2_dir(home), [("en", "ti")], target_token=">>tir<<")
    argos.install(build_argos(tmp_path / "made", "en", "nl", "hallo wereld"), argos_dir(home))
    translator = MachineTranslator.installed(home)
    [english] = await translator.translate(["ሰላም። ከመይ ኣለኹም፧"], "ti", "en") or []
    assert english.text == "hello world hello world"
    [dutch] = await translator.translate(["ሰላም"], "ti", "nl") or []  # OPUS-MT, then Argos
    assert dutch.text == "hallo wereld"
    assert dutch.model.startswith("opus-mt:ti-en:") and dutch.model.endswith("argos:en-nl:1.0")
    [tigrinya] = await translator.translate(["Hello"], "en", "ti") or []
    assert tigrinya.text == "ሰላም ዓለም"

    nllb_home = tmp_path / "nllb"
    models = ct2.install(build_nllb(tmp_path / "nllb-model", "ሰላም"), ct2_dir(nllb_home), [])
    assert len(models) == 12  # every pair of the four languages, in one model
    nllb = MachineTranslator.installed(nllb_home)
    [direct] = await nllb.translate(["مرحبا"], "ar", "ti") or []
    assert direct.text == "ሰላም" and nllb.route("ar", "ti") is not None
    assert len(nllb.route("ar", "ti").hops) == 1  # type: ignore[union-attr]


def test_the_command_line_installs_from_a_file_and_tells_what_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    empty = runner.invoke(app, ["translate", "status"])
    assert "No models installed" in empty.output and "missing    ar→en" in empty.output
    for source, target, text in (("ar", "en", "hello"), ("en", "nl", "hallo")):
        made = build_argos(tmp_path / "made", source, target, text)
        result = runner.invoke(app, ["translate", "install", str(made)])
        assert result.exit_code == 0, result.output
        assert f"Installed {source}→{target} (argos:{source}-{target}:1.0)." in result.output
    status = runner.invoke(app, ["translate", "status"]).output
    assert "installed  ar→en  argos:ar-en:1.0" in status
    assert "via en     ar→nl" in status
    assert "en→ar" in status.split("missing", 1)[1]
    refused = runner.invoke(app, ["translate", "install",
                                  str(corrupt_argos(tmp_path / "bad", "nl", "en"))])
    assert refused.exit_code == 1 and "Not installed:" in refused.output
    opus = runner.invoke(app, ["translate", "install", str(build_opus_mt(
        tmp_path / "opus", "hello")), "--from", "ti", "--to", "en"])
    assert opus.exit_code == 0 and "Installed ti→en (opus-mt:ti-en:" in opus.output


def test_prefill_fills_only_missing_texts_as_machine_drafts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from bot.content.catalog_status import Status, entries, read_catalog, write_catalog

    content = tmp_path / "content"
    shutil.copytree(Path(__file__).resolve().parents[2] / "locales", content / "locales")
    monkeypatch.setenv("WEGWIJS_CONTENT_DIR", str(content))
    monkeypatch.setenv("WEGWIJS_DATA_DIR", str(tmp_path / "data"))
    path = content / "locales" / "ar" / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(path, "ar")
    plain = "Nothing was deleted."
    with_name = "Newcomer {name}"
    for message in catalog:
        if message.id in (plain, with_name):
            message.string = ""
    write_catalog(path, catalog)
    runner = CliRunner()
    none = runner.invoke(app, ["i18n", "prefill", "--lang", "ar"])
    assert none.exit_code == 1 and "No machine translation from English to ar" in none.output
    argos.install(build_argos(tmp_path / "made", "en", "ar", "لم يُحذف شيء"),
                  argos_dir(tmp_path / "data" / "translation"))
    result = runner.invoke(app, ["i18n", "prefill", "--lang", "ar"])
    assert result.exit_code == 0, result.output
    assert "Filled 1 missing text(s) of ar" in result.output
    assert "Refused 1" in result.output and with_name in result.output  # {name} was lost
    found = {e.msgid: e for e in entries(content / "locales", "ar")}
    assert found[plain].status is Status.MACHINE and found[plain].text == "لم يُحذف شيء"
    assert found[with_name].status is Status.MISSING
    assert found["Please choose one of the buttons."].status is Status.REVIEWED  # untouched


def test_a_corrupt_ctranslate2_conversion_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    model = build_opus_mt(tmp_path / "opus", "hello")
    (model / "model.bin").write_bytes(b"\x06\x00\x00\x00damaged")
    home = ct2_dir(tmp_path / "translation")
    with pytest.raises(ModelError, match="opus-mt-"):
        ct2.install(model, home, [("ti", "en")])
    assert not any(home.iterdir())
    with pytest.raises(ModelError, match="neither OPUS-MT"):
        (tmp_path / "plain").mkdir()
        (tmp_path / "plain" / "model.bin").write_bytes(b"")
        ct2.install(tmp_path / "plain", home, [("ti", "en")])
    with pytest.raises(ModelError, match="give --from and --to"):
        ct2.install(build_opus_mt(tmp_path / "opus2", "hello"), home, [])
