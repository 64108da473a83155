"""Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style), as one parser.

Content checks use it on every text sent as HTML (`html_problem`), and the fake Bot API in the
tests uses the same parser to render what the bot sends, so both agree on what Telegram accepts.

Two levels of strictness:
- `parse_telegram_html(text)` follows Telegram, except that a bare ``&`` which does not start a
  supported entity is an error (Telegram keeps it literally): un-escaped user text is caught.
- `strict=True` (what `html_problem` uses for our own texts) also refuses a bare ``>``,
  attributes Telegram does not use and links that are not absolute URLs: in texts we write,
  those are mistakes even where Telegram would let them pass.
Error texts follow tdlib's wording ("Unsupported start tag ... at byte offset N").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HtmlParseError",
    "ParsedHtml",
    "check_telegram_html",
    "html_problem",
    "parse_telegram_html",
    "utf16_len",
    "visible_text",
]

# tag -> MessageEntity type
TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# The attributes Telegram reads; in strict mode any other attribute is a mistake.
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "span": frozenset({"class"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]*));")
_TAG_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_RE = re.compile(
    r"""\s+([A-Za-z_][A-Za-z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>=`]+)))?"""
)
_TAG_END_RE = re.compile(r"\s*>")
_END_TAG_RE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ABSOLUTE_URL = re.compile(r"^(https?://[^\s]+|tg://[^\s]+|mailto:[^\s]+)$")


class HtmlParseError(ValueError):
    """Raised by :func:`parse_telegram_html`; ``str(err)`` is the Telegram-like description."""


@dataclass
class ParsedHtml:
    text: str  # visible text
    entities: list[dict[str, Any]] = field(default_factory=list)  # offsets in UTF-16 units
    # Start tags in order, normalised ('a href="…"'): a translation must keep the same ones.
    tags: list[str] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the visible text
    language: str | None = None

    def normalised(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in sorted(self.attrs.items()))
        return self.tag + attrs


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units; astral characters count 2)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity starting at text[i] == '&'; return (chars, next index)."""
    m = _ENTITY_RE.match(text, i)
    if m is None:
        raise HtmlParseError(
            f'Character "&" at byte offset {_byte_offset(text, i)} must be escaped as "&amp;"'
        )
    dec, hexa, name = m.groups()
    if name is not None:
        if name not in NAMED_ENTITIES:
            raise HtmlParseError(
                f'Unsupported HTML entity "{m.group(0)}" at byte offset {_byte_offset(text, i)}'
            )
        return NAMED_ENTITIES[name], m.end()
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(
            f'Invalid character reference "{m.group(0)}" at byte offset {_byte_offset(text, i)}'
        )
    return chr(code), m.end()


def _lenient_entity(m: re.Match[str]) -> str:
    dec, hexa, name = m.groups()
    if name is not None:
        return NAMED_ENTITIES.get(name, m.group(0))
    code = int(dec) if dec is not None else int(hexa, 16)
    valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
    return chr(code) if valid else m.group(0)


def _unescape_attr(value: str) -> str:
    # Attribute values (e.g. URLs with '&') are decoded leniently, like Telegram does.
    return _ENTITY_RE.sub(_lenient_entity, value)


def _parse_start_tag(text: str, i: int, strict: bool) -> tuple[_Open, int]:
    """Parse '<tag attr=...>' at text[i]; return (open tag without start, next index)."""
    offset = _byte_offset(text, i)
    m = _TAG_NAME_RE.match(text, i + 1)
    if m is None:
        raise HtmlParseError(
            f'Unsupported start tag "" at byte offset {offset} (escape "<" as "&lt;")'
        )
    tag = m.group(0).lower()
    if tag not in TAG_ENTITY:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
    attrs: dict[str, str] = {}
    j = m.end()
    while (a := _ATTR_RE.match(text, j)) is not None:
        value = next((g for g in a.groups()[1:] if g is not None), "")
        attrs[a.group(1).lower()] = _unescape_attr(value)
        j = a.end()
    end = _TAG_END_RE.match(text, j)
    if end is None:
        raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
    _check_attributes(tag, attrs, offset, strict)
    return _Open(tag, attrs, 0), end.end()


def _check_attributes(tag: str, attrs: dict[str, str], offset: int, strict: bool) -> None:
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    for needed_tag, attr in (("a", "href"), ("tg-emoji", "emoji-id")):
        if tag == needed_tag and not attrs.get(attr):
            raise HtmlParseError(
                f'Tag "{tag}" must have attribute "{attr}" at byte offset {offset}'
            )
    if not strict:
        return
    unknown = sorted(set(attrs) - TAG_ATTRIBUTES.get(tag, frozenset()))
    if unknown:
        raise HtmlParseError(
            f'Tag "{tag}" has unsupported attribute "{unknown[0]}" at byte offset {offset}'
        )
    if tag == "a" and not _ABSOLUTE_URL.match(attrs["href"]):
        raise HtmlParseError(
            f'Tag "a" must link to an absolute URL, not "{attrs["href"]}" '
            f"at byte offset {offset}"
        )


def _close_entity(top: _Open, stack: list[_Open], units: int) -> dict[str, Any] | None:
    """Build the MessageEntity for a closed tag, or None if it produces none."""
    parent = stack[-1] if stack else None
    if top.tag == "code" and parent is not None and parent.tag == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        cls = top.attrs.get("class", "")
        if cls.startswith("language-"):
            parent.language = cls.removeprefix("language-")
        return None
    length = units - top.start
    if length <= 0:
        return None
    entity: dict[str, Any] = {"type": TAG_ENTITY[top.tag], "offset": top.start, "length": length}
    if top.tag == "a":
        entity["url"] = top.attrs["href"]
    elif top.tag == "tg-emoji":
        entity["custom_emoji_id"] = top.attrs["emoji-id"]
    elif top.tag == "pre" and top.language:
        entity["language"] = top.language
    elif top.tag == "blockquote" and "expandable" in top.attrs:
        entity["type"] = "expandable_blockquote"
    return entity


def _end_tag(text: str, i: int, stack: list[_Open]) -> tuple[_Open, int]:
    """Match '</tag>' at text[i] against the innermost open tag; return it and the next index."""
    m = _END_TAG_RE.match(text, i)
    offset = _byte_offset(text, i)
    if m is None:
        raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
    tag = m.group(1).lower()
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
    if stack[-1].tag != tag:
        raise HtmlParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1].tag}>", '
            f'found "</{tag}>"'
        )
    return stack.pop(), m.end()


def parse_telegram_html(text: str, *, strict: bool = False) -> ParsedHtml:
    """Parse Telegram HTML into visible text + entities; raise HtmlParseError if invalid."""
    out: list[str] = []
    units = 0
    stack: list[_Open] = []
    parsed = ParsedHtml("")
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            chars, i = _decode_entity(text, i)
            out.append(chars)
            units += utf16_len(chars)
        elif c == "<" and text.startswith("</", i):
            top, i = _end_tag(text, i, stack)
            if (entity := _close_entity(top, stack, units)) is not None:
                parsed.entities.append(entity)
        elif c == "<":
            opened, i = _parse_start_tag(text, i, strict)
            opened.start = units
            stack.append(opened)
            parsed.tags.append(opened.normalised())
        elif c == ">" and strict:
            raise HtmlParseError(
                f'Character ">" at byte offset {_byte_offset(text, i)} must be escaped as "&gt;"'
            )
        else:
            out.append(c)
            units += 2 if ord(c) > 0xFFFF else 1
            i += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    parsed.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    parsed.text = "".join(out)
    return parsed


def check_telegram_html(text: str) -> str | None:
    """Return None if ``text`` is valid Telegram HTML, else the error description."""
    try:
        parse_telegram_html(text)
    except HtmlParseError as e:
        return str(e)
    return None


def html_problem(text: str) -> str | None:
    """What is wrong with a text of ours sent as HTML (strict rules), or None."""
    try:
        parse_telegram_html(text, strict=True)
    except HtmlParseError as e:
        return f"is not valid Telegram HTML: {e}"
    return None


def visible_text(text: str) -> str:
    """Text as the user sees it (tags stripped, entities decoded). Best effort if invalid."""
    try:
        return parse_telegram_html(text).text
    except HtmlParseError:
        stripped = re.sub(r"</?[A-Za-z][^>]*>", "", text)
        return _unescape_attr(stripped)
