"""`wegwijs content check`: every problem as "file:line: what is wrong"."""

from __future__ import annotations

import re
from collections import Counter
from enum import Enum
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir

from bot.content import contexts
from bot.content.catalog_status import MACHINE_FLAG
from bot.content.catalogs import SOURCE_LANGUAGE, po_path, read_catalog
from bot.content.flows import load_flows
from bot.content.knowledge import ContentError, Knowledge
from bot.content.telegram_html import HtmlParseError, html_problem, parse_telegram_html
from bot.domain import languages

_FORMAT_FIELD = re.compile(r"\{[a-z_]+\}")
_COMMAND = re.compile(r"(?<![\w/<])/[a-z]+\b")  # not the "/b" of "</b>"
_BUTTON = re.compile(r"(: title|, button [^,]+|, link)$")
# A tag or an entity: what makes a text HTML rather than plain.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
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


class Markup(Enum):
    """How a catalog text reaches the person, which decides what it may contain."""

    HTML = "html"  # a message text, sent with parse_mode HTML
    PLAIN = "plain"  # a button label, or a text the code escapes: shown exactly as written
    # A text in code without tags: a button label, a callback notice (shown both as a popup
    # and as a message), a command description (both in Telegram's menu and in /help) or a
    # message. Safe as plain text and as HTML only without < > &.
    NEUTRAL = "neutral"


def markup_of(context: str, msgid: str) -> Markup:
    if context:
        return Markup.HTML if contexts.is_html(context) else Markup.PLAIN
    return Markup.HTML if _MARKUP.search(msgid) else Markup.NEUTRAL


def markup_problem(text: str, markup: Markup) -> str | None:
    """What is wrong with a text for the way it is sent, or None."""
    if markup is Markup.HTML:
        return html_problem(text)
    if markup is Markup.PLAIN and (found := _MARKUP.search(text)):
        return f"is plain text, so {found.group(0)!r} would be shown as written"
    if markup is Markup.NEUTRAL and (found := re.search(r"[<>&]", text)):
        return (f"may be shown as plain text or as HTML, so it cannot contain {found.group(0)!r} "
                "(write it out)")
    return None


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """A message's id or string as a list of texts (several for plural forms)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _check_catalog(path: Path, lang: str, catalog: Catalog,
                   in_code: dict[Key, str]) -> list[str]:
    problems = []
    ids = {(m.context or "", _forms(m.id)[0]) for m in catalog if m.id}
    for key, where in in_code.items():
        if key not in ids:
            problems.append(f"{path}:1: {where}: {key[1][:50]!r} is not in the catalog "
                            "(run `make i18n`)")
    for message in catalog:
        if not message.id:
            continue
        line = message.lineno or 1
        key = (message.context or "", _forms(message.id)[0])
        if key not in in_code:
            problems.append(f"{path}:{line}: {key[1][:50]!r} is no longer used")
        elif lang == SOURCE_LANGUAGE:  # msgids are the same in every catalog: check them once
            problems.extend(f"{path}:{line}: {in_code[key]}: {p}" for p in _check_msgid(message))
        problems.extend(f"{path}:{line}: {p}" for p in _check_message(lang, message))
    return problems


def _check_msgid(message: Message) -> list[str]:
    context = message.context or ""
    return [f"{text[:40]!r} {problem}" for text in _forms(message.id)
            if (problem := markup_problem(text, markup_of(context, text)))]


def _check_message(lang: str, message: Message) -> list[str]:
    source = _forms(message.id)[0]
    texts = [t for t in _forms(message.string) if t]
    label = repr(source[:40])
    if not texts:
        return [] if lang == SOURCE_LANGUAGE else [f"{label} is not translated"]
    text = " ".join(texts)
    problems = []
    if message.fuzzy and lang != "ti" and MACHINE_FLAG not in message.flags:
        problems.append(f"{label} is marked fuzzy; only Tigrinya drafts (and machine "
                        "translations, `wegwijs i18n prefill`) may be")
    if sorted(_FORMAT_FIELD.findall(source)) != sorted(_FORMAT_FIELD.findall(text)):
        problems.append(f"{label}: placeholders differ from the English text")
    if sorted(_COMMAND.findall(source)) != sorted(_COMMAND.findall(text)):
        problems.append(f"{label}: /commands differ from the English text")
    markup = markup_of(message.context or "", source)
    for translated in texts:
        if problem := markup_problem(translated, markup):
            problems.append(f"{label}: the translation {problem}")
        elif markup is Markup.HTML and _tags(translated) != _tags(source):
            problems.append(f"{label}: HTML tags differ from the English text")
    if _BUTTON.search(message.context or "") and len(text) > MAX_BUTTON:
        problems.append(f"{label}: the button label is {len(text)} characters "
                        f"(at most {MAX_BUTTON})")
    return problems


def _tags(text: str) -> Counter[str]:
    """The start tags of a text with their attributes (links must stay the same)."""
    try:
        return Counter(parse_telegram_html(text).tags)
    except HtmlParseError:
        return Counter()  # reported on its own; compare only what parses
