"""Machine translation as the rest of the bot sees it: which texts, which model, the key a
translation is remembered by. No translation library here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

# A stored translation nobody asked for again in this long is removed by the retention tick.
CACHE_RETENTION = timedelta(days=180)


def cache_key(model: str, source: str, target: str, text: str) -> str:
    """Same text, same pair, same model (its version included): same translation."""
    return hashlib.sha256("\0".join((model, source, target, text)).encode()).hexdigest()


@dataclass(frozen=True)
class Cached:
    key: str
    source: str
    target: str
    model: str
    text: str


@dataclass(frozen=True)
class Translated:
    """A machine translation, with the models that made it (one, or two through English)."""

    text: str
    model: str
