"""Gettext catalogs (Babel .po files in locales/) loaded for the running bot.

The .po files are compiled in memory at start-up rather than shipped as .mo files, so a
checkout runs without a build step and we keep each entry's review status: Tigrinya drafts
are `fuzzy` until a native speaker has checked them, and are still shown (a draft in the
reader's own script beats English), but the bot can tell which texts are drafts. Machine
translations are `fuzzy` too, with a `machine` flag (see bot.content.catalog_status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.support import Translations

from bot.content.catalog_status import DOMAIN as DOMAIN
from bot.content.catalog_status import SOURCE_LANGUAGE as SOURCE_LANGUAGE
from bot.content.catalog_status import Status, msgid_of, status_of
from bot.content.catalog_status import po_path as po_path
from bot.content.catalog_status import read_catalog as read_catalog
from bot.domain import languages


class Translator:
    """Babel Translations with the three lookups services use, typed as plain str."""

    def __init__(self, translations: Translations) -> None:
        self._t = translations

    def gettext(self, message: str) -> str:
        return str(self._t.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(self._t.ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        return str(self._t.pgettext(context, message))


@dataclass
class LanguageStats:
    translated: int = 0  # reviewed
    draft: int = 0  # by a person, not reviewed yet
    missing: int = 0
    machine: int = 0  # machine translations, not reviewed yet


@dataclass
class BabelCatalogs:
    """Translations per supported language; English is the source and falls back to msgids."""

    translations: dict[str, Translator]
    # Per language: (context, msgid) of unreviewed drafts by a person (fuzzy, not machine).
    drafts: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    # Per language: how many translated entries are reviewed (not fuzzy, not machine).
    reviewed: dict[str, int] = field(default_factory=dict)
    # Per language: (context, msgid) of unreviewed machine translations (fuzzy + machine).
    machine: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, locales_dir: Path) -> BabelCatalogs:
        translations: dict[str, Translator] = {}
        drafts: dict[str, frozenset[tuple[str, str]]] = {}
        reviewed: dict[str, int] = {}
        machine: dict[str, frozenset[tuple[str, str]]] = {}
        for lang in languages.CODES:
            path = po_path(locales_dir, lang)
            if not path.exists():
                if lang == SOURCE_LANGUAGE:
                    translations[lang] = Translator(Translations())
                    continue
                raise FileNotFoundError(f"missing catalog {path}")
            catalog = read_catalog(path, lang)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=True)
            buffer.seek(0)
            translations[lang] = Translator(Translations(fp=buffer, domain=DOMAIN))
            status = {(m.context or "", msgid_of(m)): status_of(m) for m in catalog if m.id}
            drafts[lang] = frozenset(k for k, s in status.items() if s is Status.DRAFT)
            machine[lang] = frozenset(k for k, s in status.items() if s is Status.MACHINE)
            reviewed[lang] = sum(1 for s in status.values() if s is Status.REVIEWED)
        return cls(translations, drafts, reviewed, machine)

    def translator(self, language: str) -> Translator:
        return self.translations.get(language) or self.translations[SOURCE_LANGUAGE]

    def has_drafts(self, language: str) -> bool:
        """Whether some texts of the language are not reviewed (drafts or machine texts)."""
        return bool(self.drafts.get(language)) or bool(self.machine.get(language))

    def all_drafts(self, language: str) -> bool:
        """Whether no translated text of the language is reviewed (all drafts or machine)."""
        return self.has_drafts(language) and not self.reviewed.get(language)

    def is_draft(self, language: str, message: str, context: str = "") -> bool:
        """A person's unreviewed translation (not a machine one: see is_machine)."""
        return (context, message) in self.drafts.get(language, frozenset())

    def is_machine(self, language: str, message: str, context: str = "") -> bool:
        """An unreviewed machine translation."""
        return (context, message) in self.machine.get(language, frozenset())


def stats(locales_dir: Path) -> dict[str, LanguageStats]:
    """Per language: translated (reviewed), draft (by a person), machine and missing entries."""
    result: dict[str, LanguageStats] = {}
    for lang in sorted(languages.CODES - {SOURCE_LANGUAGE}):
        counts = LanguageStats()
        for message in read_catalog(po_path(locales_dir, lang), lang):
            if not message.id:
                continue
            match status_of(message):
                case Status.MISSING:
                    counts.missing += 1
                case Status.DRAFT:
                    counts.draft += 1
                case Status.MACHINE:
                    counts.machine += 1
                case Status.REVIEWED:
                    counts.translated += 1
        result[lang] = counts
    return result
