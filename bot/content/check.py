"""`wegwijs content check`: every problem as "file:line: what is wrong"."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir

from bot.content.catalogs import SOURCE_LANGUAGE, po_path, read_catalog
from bot.content.flows import load_flows
from bot.content.knowledge import ContentError, Knowledge
from bot.content.telegram_html import html_problem
from bot.domain import languages

_FORMAT_FIELD = re.compile(r"\{[a-z_]+\}")
_TAG = re.compile(r"</?[a-z]+")
_COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")
# Step texts (and municipalities' versions of them) are HTML; titles and buttons are plain.
_STEP_TEXT = re.compile(r"^([a-z-]+: )?flow [^,]+, step [^,]+$")
_BUTTON = re.compile(r"(: title|, button [^,]+|, link)$")
MAX_BUTTON = 48  # characters; longer labels are cut off on a phone
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
CONTENT_EXTRACTOR = "wegwijs_content"  # the entry point in pyproject.toml


def check_content(root: Path) -> list[str]:
    problems: list[str] = []
    try:
        knowledge = Knowledge.load(root / "knowledge")
        load_flows(root / "flows", knowledge)
    except ContentError as exc:
        problems.extend(str(exc).splitlines())
    problems.extend(check_catalogs(root))
    return problems


Key = tuple[str, str]  # (context, msgid); context "" for texts in code


def source_msgids(root: Path) -> dict[Key, str]:
    """(context, msgid) → "file:line" of every translatable text: code and content."""
    found: dict[Key, str] = {}
    sources = [("bot", [("**.py", "python")]),
               ("flows", [("*.yaml", CONTENT_EXTRACTOR)]),
               ("knowledge", [("glossary.yaml", CONTENT_EXTRACTOR),
                              ("calendar.yaml", CONTENT_EXTRACTOR),
                              ("**/organisations.yaml", CONTENT_EXTRACTOR),
                              ("**/overrides.yaml", CONTENT_EXTRACTOR)])]
    for folder, method_map in sources:
        if not (root / folder).is_dir():
            continue
        for filename, lineno, message, _comments, context in extract_from_dir(
                str(root / folder), method_map, keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault((context or "", msgid), f"{folder}/{filename}:{lineno}")
    return found


def check_catalogs(root: Path) -> list[str]:
    problems: list[str] = []
    locales = root / "locales"
    in_code = source_msgids(root)
    for lang in sorted(languages.CODES):
        path = po_path(locales, lang)
        if not path.exists():
            problems.append(f"{path}:1: catalog is missing")
            continue
        catalog = read_catalog(path, lang)
        problems.extend(_check_catalog(path, lang, catalog, in_code))
    return problems


def _check_catalog(path: Path, lang: str, catalog: Catalog,
                   in_code: dict[Key, str]) -> list[str]:
    problems = []
    ids = {(m.context or "", str(m.id)) for m in catalog if m.id}
    for key, where in in_code.items():
        if key not in ids:
            problems.append(f"{path}:1: {where}: {key[1][:50]!r} is not in the catalog "
                            "(run `make i18n`)")
    for message in catalog:
        if not message.id:
            continue
        line = message.lineno or 1
        if (message.context or "", str(message.id)) not in in_code:
            problems.append(f"{path}:{line}: {str(message.id)[:50]!r} is no longer used")
        if lang == SOURCE_LANGUAGE:
            continue
        problems.extend(f"{path}:{line}: {p}" for p in _check_message(lang, message))
    return problems


def _check_message(lang: str, message: Message) -> list[str]:
    source = str(message.id)
    text = message.string if isinstance(message.string, str) else " ".join(message.string or ())
    label = repr(source[:40])
    if not text:
        return [f"{label} is not translated"]
    problems = []
    if message.fuzzy and lang != "ti":
        problems.append(f"{label} is marked fuzzy; only Tigrinya drafts may be")
    if sorted(_FORMAT_FIELD.findall(source)) != sorted(_FORMAT_FIELD.findall(text)):
        problems.append(f"{label}: placeholders differ from the English text")
    if Counter(_TAG.findall(source)) != Counter(_TAG.findall(text)):
        problems.append(f"{label}: HTML tags differ from the English text")
    if sorted(_COMMAND.findall(source)) != sorted(_COMMAND.findall(text)):
        problems.append(f"{label}: /commands differ from the English text")
    if _STEP_TEXT.match(message.context or "") and (problem := html_problem(text)):
        problems.append(f"{label}: the translation {problem}")
    if _BUTTON.search(message.context or "") and len(text) > MAX_BUTTON:
        problems.append(f"{label}: the button label is {len(text)} characters "
                        f"(at most {MAX_BUTTON})")
    return problems

