"""Babel extractor for flows/ and knowledge/ YAML: every user-facing text becomes a
catalog entry with its place as context (see bot.content.contexts).

Configured in locales/babel.cfg as `[bot.content.extract:extract_content: flows/*.yaml]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

from bot.content import contexts

Extracted = tuple[int, str, tuple[str, str], list[str]]


def extract_content(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                    options: Any) -> Iterator[Extracted]:
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if not isinstance(root, yaml.MappingNode):
        return
    top = _mapping(root)
    if "steps" in top:
        yield from _flow(top)
    elif "terms" in top:
        for term in _items(top["terms"]):
            yield from _text(term, "explanation", contexts.glossary(_scalar(term, "term")))
    elif "organisations" in top:
        for org in _items(top["organisations"]):
            yield from _text(org, "description", contexts.organisation(_scalar(org, "id")))
    elif "overrides" in top:
        municipality = _value(top["municipality"]) if "municipality" in top else "?"
        for item in _items(top["overrides"]):
            yield from _text(item, "text", contexts.override(
                municipality, _scalar(item, "flow"), _scalar(item, "step")))
    elif "entries" in top:
        for entry in _items(top["entries"]):
            yield from _text(entry, "text", contexts.calendar(_scalar(entry, "id")))


def _flow(top: dict[str, yaml.Node]) -> Iterator[Extracted]:
    flow_id = _value(top["id"])
    yield from _text(top, "title", contexts.flow_title(flow_id), "a button label: keep it short")
    yield from _text(top, "summary", contexts.flow_summary(flow_id))
    for key, node in _mapping(top["steps"]).items():
        step = _mapping(node)
        yield from _text(step, "text", contexts.step_text(flow_id, key))
        if "link" in step:
            yield from _text(_mapping(step["link"]), "label", contexts.link_label(flow_id, key),
                             "a button label: keep it short")
        for option in _items(step["options"]) if "options" in step else []:
            yield from _text(option, "label",
                             contexts.option_label(flow_id, key, _scalar(option, "id")),
                             "a button label: keep it short")


def _text(mapping: dict[str, yaml.Node], key: str, context: str,
          note: str | None = None) -> Iterator[Extracted]:
    node = mapping.get(key)
    if isinstance(node, yaml.ScalarNode) and node.value.strip():
        yield node.start_mark.line + 1, "pgettext", (context, node.value), [note] if note else []


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value}


def _items(node: yaml.Node) -> list[dict[str, yaml.Node]]:
    return [_mapping(n) for n in node.value] if isinstance(node, yaml.SequenceNode) else []


def _scalar(mapping: dict[str, yaml.Node], key: str) -> str:
    return _value(mapping[key]) if key in mapping else "?"


def _value(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"
