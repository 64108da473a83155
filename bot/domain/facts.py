"""Filling in {fact:ID} placeholders: the text decides where, the facts file what."""

from __future__ import annotations

import re
from collections.abc import Callable

FACT_REF = re.compile(r"\{fact:([a-z0-9_]+)\}")


def fill_facts(text: str, render: Callable[[str], str | None]) -> str:
    """Replace each {fact:ID} by render(ID); an unknown fact is left visible for authors
    (content check refuses them, so people never see one)."""
    return FACT_REF.sub(lambda m: render(m.group(1)) or m.group(0), text)
