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

from bot.domain.facts import DatedValue, in_use, missing_year

STALE_AFTER = timedelta(days=183)  # six months
FACTS_FILE = Path("knowledge") / "facts.yaml"


def freshness(root: Path, today: date) -> list[str]:
    """Due re-checks as "file:line: what". A file that does not parse is skipped: content
    check reports it."""
    files = sorted([*(root / "flows").glob("*.yaml"), *(root / "knowledge").rglob("*.yaml")])
    found: list[str] = []
    for path in files:
        try:
            node = yaml.compose(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
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
    for key, fact in facts.value:
        values = _get(fact, "values")
        nodes = {dated: node for node in (values.value if isinstance(values, yaml.SequenceNode)
                                          else [])
                 if (dated := _dated(node)) is not None}
        if not nodes:
            continue
        name = key.value
        for value in in_use(nodes, today):
            for line, checked in _checked(nodes[value]):
                if today - checked > STALE_AFTER:
                    yield line, (f"fact {name}: value last checked on {checked.isoformat()}, "
                                 "more than 6 months ago")
            if value.announced and value.starts <= today:
                yield (nodes[value].start_mark.line + 1,
                       f"fact {name}: the announced value from {value.starts.isoformat()} "
                       "applies now: confirm it (status: confirmed) or correct it")
        if (year := missing_year(nodes, today)) is not None:
            yield key.start_mark.line + 1, f"fact {name} has no value for {year} yet"


def _dated(node: yaml.Node) -> DatedValue | None:
    """A value's day, amount and status as the bot reads them; None when malformed
    (content check reports it)."""
    starts = _day(_scalar(node, "from"))
    try:
        amount = float(_scalar(node, "value") or "")
    except ValueError:
        return None
    if starts is None:
        return None
    return DatedValue(starts, amount, _scalar(node, "status") == "announced")


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
