"""The review status of each catalog entry, kept in the .po files so it survives `make i18n`.

- reviewed: translated, not fuzzy, no `machine` flag;
- draft: translated by a person, not reviewed yet: flag `fuzzy`;
- machine: a machine translation: flags `fuzzy` and `machine` (fuzzy, so every reader that
  knows nothing of `machine` still treats it as not reviewed);
- missing: no text.

Who reviewed a text is a translator comment `# reviewed-by: <pseudonym> <YYYY-MM-DD>`, one per
reviewer. `pybabel update` keeps both an entry's flags and its translator comments, as long as
the English text (msgid) stays the same. Catalogs are written back the way `make i18n` writes
them (no wrapping, header kept, obsolete entries dropped), so a rewrite without changes leaves
the file byte-identical.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
FUZZY_FLAG = "fuzzy"
MACHINE_FLAG = "machine"
REVIEWED_BY = "reviewed-by:"
MAX_PSEUDONYM = 40  # write_po wraps comments at 76 characters, even with --no-wrap

_REVIEW = re.compile(r"^reviewed-by:\s+(\S+)\s+(\d{4}-\d{2}-\d{2})\s*$")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TAG = re.compile(r"</?[a-z]+>")
_COMMAND = re.compile(r"(?<![\w/<])/[a-z]+\b")  # as bot.content.check: not the "/b" of "</b>"


class Status(StrEnum):
    REVIEWED = "reviewed"
    DRAFT = "draft"
    MACHINE = "machine"
    MISSING = "missing"


def po_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def write_catalog(path: Path, catalog: Catalog) -> None:
    """Write as `pybabel update --no-wrap --ignore-obsolete` does, atomically."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, ignore_obsolete=True)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def texts_of(message: Message) -> tuple[str, ...]:
    """The translated text, one per plural form."""
    value = message.string
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def msgid_of(message: Message) -> str:
    """The English text (the singular for plural entries)."""
    return message.id if isinstance(message.id, str) else str(message.id[0])


def is_plural(message: Message) -> bool:
    return not isinstance(message.id, str)


def status_of(message: Message) -> Status:
    """A `machine` flag makes a text machine even when someone removed `fuzzy` in an editor:
    only apply_reviews, which notes the reviewer, makes a machine text reviewed."""
    texts = texts_of(message)
    if not texts or not all(texts):
        return Status.MISSING
    if MACHINE_FLAG in message.flags:
        return Status.MACHINE
    if FUZZY_FLAG in message.flags:
        return Status.DRAFT
    return Status.REVIEWED


def placeholders_kept(source: str, text: str) -> bool:
    """Whether a translation has exactly the {placeholders}, /commands and HTML tags of the
    source (Telegram refuses a message whose tags do not match)."""
    def signature(value: str) -> tuple[Counter[str], int, int, Counter[str], Counter[str]]:
        return (Counter(_PLACEHOLDER.findall(value)), value.count("{"), value.count("}"),
                Counter(_COMMAND.findall(value)), Counter(_TAG.findall(value)))

    return signature(source) == signature(text)


@dataclass(frozen=True)
class Review:
    pseudonym: str
    day: date

    def comment(self) -> str:
        return f"{REVIEWED_BY} {self.pseudonym} {self.day.isoformat()}"


def reviews_in(comments: Iterable[str]) -> tuple[Review, ...]:
    """The `reviewed-by:` lines among an entry's translator comments."""
    found = []
    for comment in comments:
        if match := _REVIEW.match(comment.strip()):
            try:
                found.append(Review(match.group(1), date.fromisoformat(match.group(2))))
            except ValueError:
                continue
    return tuple(found)


# -- a review screen -------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    text: str
    status: Status
    locations: tuple[str, ...]  # the `#:` references, "bot/services/questions.py:21"
    comments: tuple[str, ...]  # translator comments (`# ...`), reviewed-by lines among them
    notes: tuple[str, ...] = ()  # comments for translators from the source (`#. ...`)

    @property
    def reviews(self) -> tuple[Review, ...]:
        return reviews_in(self.comments)


def entries(locales_dir: Path, language: str) -> list[Entry]:
    """Every entry of a language in file order. Plural entries are left out (none exist
    today, and apply_reviews cannot accept them)."""
    catalog = read_catalog(po_path(locales_dir, language), language)
    return [
        Entry(context=m.context or "", msgid=m.id, text=texts_of(m)[0], status=status_of(m),
              locations=tuple(f"{f}:{n}" if n else f for f, n in m.locations),
              comments=tuple(m.user_comments), notes=tuple(m.auto_comments))
        for m in catalog if m.id and isinstance(m.id, str)
    ]


# -- accepting reviewed texts ----------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A text that reviewers accepted for one entry."""

    language: str
    context: str
    msgid: str
    text: str
    reviewers: tuple[str, ...]
    day: date

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("an accepted text cannot be empty")
        if not self.reviewers:
            raise ValueError("an accepted text needs at least one reviewer")
        for name in self.reviewers:  # longer comments would be wrapped onto two lines
            if not name or name.split() != [name] or len(name) > MAX_PSEUDONYM:
                raise ValueError(f"a reviewer pseudonym is one word of at most "
                                 f"{MAX_PSEUDONYM} characters, not {name!r}")


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Accepted, ...] = ()
    not_found: tuple[Accepted, ...] = ()  # no such entry (or language, or the source language)
    plural: tuple[Accepted, ...] = ()  # plural entries: skipped
    broken: tuple[Accepted, ...] = ()  # the text's {placeholders} or /commands differ
    written: tuple[Path, ...] = field(default=())  # the catalogs rewritten


def apply_reviews(locales_dir: Path, accepted: Sequence[Accepted]) -> ApplyResult:
    """Write accepted texts into their entries: the text, no `fuzzy` or `machine` flag, a
    `reviewed-by:` line per reviewer. When the text differs from the one in the catalog, the
    earlier reviewed-by lines go (they vouched for another text); otherwise a reviewer's line
    gets the newer day. Entries are never added: unknown ones are reported."""
    applied: list[Accepted] = []
    not_found: list[Accepted] = []
    plural: list[Accepted] = []
    broken: list[Accepted] = []
    written: list[Path] = []
    by_language: dict[str, list[Accepted]] = {}
    for item in accepted:
        by_language.setdefault(item.language, []).append(item)
    for language, items in by_language.items():
        path = po_path(locales_dir, language)
        if language == SOURCE_LANGUAGE or not path.is_file():
            not_found.extend(items)
            continue
        catalog = read_catalog(path, language)
        changed = False
        for item in items:
            message = _find(catalog, item.context, item.msgid)
            if message is None:
                not_found.append(item)
            elif is_plural(message):
                plural.append(item)
            elif not placeholders_kept(item.msgid, item.text):
                broken.append(item)
            else:
                _accept(message, item)
                applied.append(item)
                changed = True
        if changed:
            write_catalog(path, catalog)
            written.append(path)
    return ApplyResult(tuple(applied), tuple(not_found), tuple(plural), tuple(broken),
                       tuple(written))


def _find(catalog: Catalog, context: str, msgid: str) -> Message | None:
    message = catalog.get(msgid, context=context or None)
    if message is None:  # a plural entry is stored under its (singular, plural) id
        message = next((m for m in catalog if m.id and is_plural(m) and m.id[0] == msgid
                        and (m.context or "") == context), None)
    return message


def _accept(message: Message, item: Accepted) -> None:
    comments = list(message.user_comments)
    if message.string != item.text:
        comments = [c for c in comments if not reviews_in([c])]
    names = set(item.reviewers)
    comments = [c for c in comments if not any(r.pseudonym in names for r in reviews_in([c]))]
    comments.extend(Review(name, item.day).comment() for name in dict.fromkeys(item.reviewers))
    message.string = item.text
    message.flags.discard(FUZZY_FLAG)
    message.flags.discard(MACHINE_FLAG)
    message.user_comments = comments


# -- machine translations for missing texts ---------------------------------------------------


@dataclass(frozen=True)
class PrefillResult:
    filled: int = 0
    refused: tuple[tuple[str, str], ...] = ()  # (context, msgid): placeholders lost or no text
    plural_skipped: int = 0  # plural entries are left alone (none exist today)


def prefill(locales_dir: Path, language: str,
            translate: Callable[[Sequence[str]], Sequence[str]]) -> int:
    """Fill missing texts with machine translations; how many were filled."""
    return prefill_catalog(locales_dir, language, translate).filled


def prefill_catalog(locales_dir: Path, language: str,
                    translate: Callable[[Sequence[str]], Sequence[str]]) -> PrefillResult:
    """Machine-translate every missing entry (one call to `translate`, with the English texts
    in file order) and write them with flags fuzzy and machine. Reviewed, draft and machine
    entries are never touched. A machine text that lost or changed a {placeholder} or a
    /command, or came back empty, is refused; plural entries are skipped."""
    if language == SOURCE_LANGUAGE:
        raise ValueError("the source language has no translations to fill")
    path = po_path(locales_dir, language)
    catalog = read_catalog(path, language)
    todo: list[Message] = []
    plural_skipped = 0
    for message in catalog:
        if not message.id or status_of(message) is not Status.MISSING:
            continue
        if is_plural(message):
            plural_skipped += 1
        else:
            todo.append(message)
    if not todo:
        return PrefillResult(plural_skipped=plural_skipped)
    sources = [msgid_of(m) for m in todo]
    texts = list(translate(sources))
    if len(texts) != len(sources):
        raise ValueError(f"translate returned {len(texts)} texts for {len(sources)}")
    filled = 0
    refused: list[tuple[str, str]] = []
    for message, source, text in zip(todo, sources, texts, strict=True):
        if not text.strip() or not placeholders_kept(source, text):
            refused.append((message.context or "", source))
            continue
        message.string = text
        message.flags |= {FUZZY_FLAG, MACHINE_FLAG}
        filled += 1
    if filled:
        write_catalog(path, catalog)
    return PrefillResult(filled, tuple(refused), plural_skipped)
