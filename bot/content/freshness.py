"""`wegwijs content freshness`: content that is due for a re-check.

Rules change every January and July, so every claim carries the day someone last checked
it against its official source. This lists, as "file:line: what", each `last_checked`
older than six months, and, from 1 November, each fact that has no value for the coming
year yet (the bot would otherwise say in January that it does not know the new amount).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import yaml

from bot.domain.facts import next_january

STALE_AFTER = timedelta(days=183)  # six months
FACTS_FILE = Path("knowledge") / "facts.yaml"


def freshness(root: Path, today: date) -> list[str]:
    files = sorted([*(root / "flows").glob("*.yaml"), *(root / "knowledge").rglob("*.yaml")])
    found: list[str] = []
    for path in files:
        node = yaml.compose(path.read_text(encoding="utf-8"))
        where = path.relative_to(root)
        if where == FACTS_FILE:
            found += [f"{where}:{line}: {what}" for line, what in _facts(node, today)]
            continue
        for line, checked in _checked(node):
            if today - checked > STALE_AFTER:
                found.append(f"{where}:{line}: last checked on {checked.isoformat()}, more "
                             "than 6 months ago: check it against its source again")
    return found


def _checked(node: yaml.Node | None) -> Iterator[tuple[int, date]]:
    """Every `last_checked: <date>` below node, with its line number."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "last_checked" and isinstance(value, yaml.ScalarNode):
                if checked := _day(value.value):
                    yield key.start_mark.line + 1, checked
            else:
                yield from _checked(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _checked(item)


def _facts(root: yaml.Node | None, today: date) -> Iterator[tuple[int, str]]:
    facts = _get(root, "facts")
    if not isinstance(facts, yaml.MappingNode):
        return
    coming = next_january(today)
    for key, fact in facts.value:
        values = _get(fact, "values")
        items = values.value if isinstance(values, yaml.SequenceNode) else []
        dated = sorted(((start, v) for v in items if (start := _day(_scalar(v, "from")))),
                       key=lambda pair: pair[0])
        if not dated:
            continue
        line = key.start_mark.line + 1
        # Values still in use (today's, and later ones) must be recently checked.
        in_use = [v for i, (start, v) in enumerate(dated)
                  if start > today or i + 1 == len(dated) or dated[i + 1][0] > today]
        for value in in_use:
            for checked_line, checked in _checked(value):
                if today - checked > STALE_AFTER:
                    yield checked_line, (f"fact {key.value}: value last checked on "
                                         f"{checked.isoformat()}, more than 6 months ago")
        newest = dated[-1][0]
        if newest.year < today.year:
            yield line, (f"fact {key.value} has no value for {today.year}: the bot says the "
                         "amount is not known yet")
        elif today.month >= 11 and newest < coming:
            yield line, f"fact {key.value} has no value from {coming.isoformat()} yet"


def _get(node: yaml.Node | None, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == name), None)
    return None


def _scalar(node: yaml.Node, name: str) -> str | None:
    found = _get(node, name)
    return str(found.value) if isinstance(found, yaml.ScalarNode) else None


def _day(text: str | None) -> date | None:
    """A YAML date; None when missing or malformed (content check reports those)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
