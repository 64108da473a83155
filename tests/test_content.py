"""Content: every text translated, Tigrinya marked as drafts, `content check` names file:line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.content.catalogs import po_path, read_catalog, stats
from bot.content.check import check_catalogs, check_content, source_msgids
from bot.content.telegram_html import html_problem, parse_telegram_html
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


# -- Telegram HTML in the catalogs ------------------------------------------------------


MENU = "<b>Menu</b>\nWhat would you like to do?"  # a text in code, sent as HTML


def own_catalogs(root: Path, code: Path = PROJECT_ROOT / "bot") -> Path:
    """A project root sharing code and content with this one, with catalogs of its own."""
    root.mkdir(exist_ok=True)
    (root / "bot").symlink_to(code)
    for part in ("flows", "knowledge"):
        (root / part).symlink_to(PROJECT_ROOT / part)
    shutil.copytree(LOCALES, root / "locales")
    return root


def edit_catalog(root: Path, lang: str, edit: Callable[[Catalog], None]) -> Path:
    path = po_path(root / "locales", lang)
    catalog = read_catalog(path, lang)
    edit(catalog)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return path


def problems_at(root: Path, path: Path, msgid: str, context: str | None = None) -> list[str]:
    """What `content check` says about one catalog entry (named by file and line)."""
    message = read_catalog(path, path.parent.parent.name).get(msgid, context=context)
    assert message is not None and message.lineno
    where = f"{path}:{message.lineno}: "
    return [p.removeprefix(where) for p in check_catalogs(root) if p.startswith(where)]


def step_context(lang: str = "ar") -> tuple[str, str]:
    """(context, msgid) of a step text with a <b> in it."""
    return next((m.context, str(m.id)) for m in catalog(lang)
                if m.context and m.context.startswith("flow digid, step") and "<b>" in m.id)


@pytest.mark.parametrize("text", [
    "plain, with &amp; &lt; &gt; &quot; &#39; &#x1F600;",
    "<b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>i</ins> <s>s</s> "
    "<strike>s</strike> <del>d</del>",
    '<span class="tg-spoiler">x</span> <tg-spoiler>y</tg-spoiler>',
    '<a href="https://example.org/?a=1&amp;b=2">link</a> <b>bold <i>both</i></b>',
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    '<pre><code class="language-python">x</code></pre> <code>c</code>',
    "<blockquote expandable>q</blockquote> <blockquote>r</blockquote>",
])
def test_html_problem_accepts_what_telegram_accepts(text: str) -> None:
    assert html_problem(text) is None


@pytest.mark.parametrize(("text", "error"), [
    ("<b><i>x</b></i>", "Unmatched end tag"),  # misnested: the old regex let this through
    ("<b>x", "Can't find end tag"),
    ("x</b>", "Unexpected end tag"),
    ("<div>x</div>", 'Unsupported start tag "div"'),
    ("<br/>", "Unsupported start tag"),
    ("1 < 2", "Unsupported start tag"),
    ("2 > 1", '">" at byte offset 2 must be escaped'),
    ("R&D", '"&" at byte offset 1 must be escaped'),
    ("&nbsp;", "Unsupported HTML entity"),
    ("&#xD800;", "Invalid character reference"),
    ("<span>x</span>", 'class "tg-spoiler"'),
    ("<a>x</a>", 'attribute "href"'),
    ('<a href="/relative">x</a>', "absolute URL"),
    ('<b class="x">x</b>', 'unsupported attribute "class"'),
    ('<a href="https://x.nl" target="_blank">x</a>', 'unsupported attribute "target"'),
])
def test_html_problem_refuses_what_would_break_or_show_wrong(text: str, error: str) -> None:
    problem = html_problem(text)
    assert problem is not None and error in problem, problem


def test_tags_keep_their_links_for_comparing_translations() -> None:
    parsed = parse_telegram_html('<a href="https://a.nl/?x=1&amp;y=2">a</a> <b>b</b>')
    assert parsed.tags == ['a href="https://a.nl/?x=1&y=2"', "b"]


def test_misnested_tags_in_a_translated_code_text_are_reported(tmp_path: Path) -> None:
    root = own_catalogs(tmp_path)

    def misnest(catalog: Catalog) -> None:
        catalog[MENU].string = "<b><i>القائمة</b></i>\nماذا تريد أن تفعل؟"

    path = edit_catalog(root, "ar", misnest)
    [problem] = problems_at(root, path, MENU)
    assert problem.startswith(repr(MENU)) and "not valid Telegram HTML: Unmatched end tag" \
        in problem


def test_a_step_translation_with_other_tags_or_a_bare_ampersand_is_reported(
        tmp_path: Path) -> None:
    root = own_catalogs(tmp_path)
    context, msgid = step_context()

    def retag(catalog: Catalog) -> None:
        message = catalog.get(msgid, context=context)
        assert message is not None
        message.string = str(message.string).replace("<b>", "<i>").replace("</b>", "</i>")

    path = edit_catalog(root, "ar", retag)
    assert [p.split(": ", 1)[1] for p in problems_at(root, path, msgid, context)] == [
        "HTML tags differ from the English text"]

    def ampersand(catalog: Catalog) -> None:
        message = catalog.get(msgid, context=context)
        assert message is not None
        message.string = str(message.string).replace("</i>", "</b>").replace("<i>", "<b>") \
            + " R&D"

    edit_catalog(root, "ar", ampersand)
    [problem] = problems_at(root, path, msgid, context)
    assert 'the translation is not valid Telegram HTML: Character "&"' in problem


def test_plain_texts_must_not_carry_markup(tmp_path: Path) -> None:
    root = own_catalogs(tmp_path)
    glossary = next(m for m in catalog("nl") if m.context == "glossary aanmaning")

    def bold(catalog: Catalog) -> None:
        message = catalog.get(glossary.id, context=glossary.context)
        assert message is not None
        message.string = f"<b>{message.string}</b>"

    path = edit_catalog(root, "nl", bold)
    [problem] = problems_at(root, path, str(glossary.id), glossary.context)
    assert "is plain text, so '<b>' would be shown as written" in problem


def test_code_texts_without_tags_must_not_contain_markup_characters(tmp_path: Path) -> None:
    """A text like 'Saved.' may end up on a button, a callback notice or in a message."""
    root = own_catalogs(tmp_path)

    def ampersand(catalog: Catalog) -> None:
        catalog["Saved."].string = "Opgeslagen & klaar."

    path = edit_catalog(root, "nl", ampersand)
    [problem] = problems_at(root, path, "Saved.")
    assert "may be shown as plain text or as HTML, so it cannot contain '&'" in problem


def test_an_english_text_in_code_with_broken_html_is_reported(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "greeting.py").write_text('_ = str\nHELLO = _("<b>Hello")\n', encoding="utf-8")
    root = own_catalogs(tmp_path / "root", code)

    def add(catalog: Catalog) -> None:
        catalog.add("<b>Hello", locations=[("bot/greeting.py", 2)])

    path = edit_catalog(root, "en", add)
    [problem] = problems_at(root, path, "<b>Hello")
    assert problem.startswith("bot/greeting.py:2: '<b>Hello' is not valid Telegram HTML") \
        and "Can't find end tag" in problem
