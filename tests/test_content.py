"""Content: every text translated, Tigrinya marked as drafts, `content check` names file:line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.content.catalogs import po_path, stats
from bot.content.check import check_content, source_msgids
from bot.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with po_path(LOCALES, lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def test_the_shipped_content_is_valid() -> None:
    assert check_content(PROJECT_ROOT) == []


def test_every_text_in_code_and_content_is_translated_in_ar_ti_nl() -> None:
    texts = set(source_msgids(PROJECT_ROOT))
    contexts = {context.split(" ")[0] for context, _msgid in texts}
    assert {"", "flow", "glossary", "organisation", "calendar"} <= contexts
    for lang in ("ar", "ti", "nl"):
        translated = {(m.context or "", m.id) for m in catalog(lang) if m.id and m.string}
        assert texts <= translated, (lang, sorted(texts - translated)[:5])


def test_tigrinya_is_marked_draft_until_reviewed_and_others_are_not() -> None:
    result = stats(LOCALES)
    assert result["ti"].missing == 0 and result["ti"].draft > 0
    assert result["ar"].draft == 0 and result["ar"].missing == 0
    assert result["nl"].draft == 0 and result["nl"].missing == 0


def run_cli(*args: str, root: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if root is not None:
        env["WEGWIJS_CONTENT_DIR"] = str(root)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_content_check_reports_file_and_line(tmp_path: Path) -> None:
    for part in ("bot", "knowledge", "locales"):
        shutil.copytree(PROJECT_ROOT / part, tmp_path / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    municipalities = tmp_path / "knowledge" / "municipalities.yaml"
    municipalities.write_text(municipalities.read_text().replace(
        "website: https://www.delft.nl/", "website: not-a-url"))
    ar = tmp_path / "locales" / "ar" / "LC_MESSAGES" / "messages.po"
    lines = ar.read_text(encoding="utf-8").splitlines()
    index = lines.index('msgid "Saved."')
    lines[index + 1] = 'msgstr ""'
    ar.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("content", "check", root=tmp_path)
    assert result.returncode == 1
    assert f"{municipalities}:" in result.stderr and "website" in result.stderr
    assert f"{ar}:{index + 1}: 'Saved.' is not translated" in result.stderr


def test_i18n_stats_command() -> None:
    result = run_cli("i18n", "stats", "--json")
    assert result.returncode == 0, result.stderr
    numbers = json.loads(result.stdout)
    assert set(numbers) == {"ar", "nl", "ti"} and numbers["ti"]["missing"] == 0
