"""Gettext catalogs (Babel .po files in locales/) loaded for the running bot.

The .po files are compiled in memory at start-up rather than shipped as .mo files, so a
checkout runs without a build step and we keep each entry's review status: Tigrinya drafts
are `fuzzy` until a native speaker has checked them, and are still shown (a draft in the
reader's own script beats English), but the bot can tell which texts are drafts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.domain import languages

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def po_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


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
    translated: int = 0
    draft: int = 0
    missing: int = 0


@dataclass
class BabelCatalogs:
    """Translations per supported language; English is the source and falls back to msgids."""

    translations: dict[str, Translator]
    # Per language: (context, msgid) of entries marked fuzzy, i.e. unreviewed drafts.
    drafts: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    # Per language: how many translated entries are not drafts (not fuzzy).
    reviewed: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, locales_dir: Path) -> BabelCatalogs:
        translations: dict[str, Translator] = {}
        drafts: dict[str, frozenset[tuple[str, str]]] = {}
        reviewed: dict[str, int] = {}
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
            drafts[lang] = frozenset(
                (m.context or "", str(m.id)) for m in catalog if m.id and m.fuzzy and m.string
            )
            reviewed[lang] = sum(1 for m in catalog if m.id and m.string and not m.fuzzy)
        return cls(translations, drafts, reviewed)

    def translator(self, language: str) -> Translator:
        return self.translations.get(language) or self.translations[SOURCE_LANGUAGE]

    def has_drafts(self, language: str) -> bool:
        return bool(self.drafts.get(language))

    def all_drafts(self, language: str) -> bool:
        """Whether every translated text of the language is a draft (none reviewed)."""
        return self.has_drafts(language) and not self.reviewed.get(language)

    def is_draft(self, language: str, message: str, context: str = "") -> bool:
        return (context, message) in self.drafts.get(language, frozenset())


def stats(locales_dir: Path) -> dict[str, LanguageStats]:
    """Per language: translated (reviewed), draft (fuzzy) and missing entries."""
    result: dict[str, LanguageStats] = {}
    for lang in sorted(languages.CODES - {SOURCE_LANGUAGE}):
        counts = LanguageStats()
        for message in read_catalog(po_path(locales_dir, lang), lang):
            if not message.id:
                continue
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(texts):
                counts.missing += 1
            elif message.fuzzy:
                counts.draft += 1
            else:
                counts.translated += 1
        result[lang] = counts
    return result
