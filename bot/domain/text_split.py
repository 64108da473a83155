"""Split outgoing Telegram HTML messages into chunks that fit Telegram's limit.

Telegram measures a message *after* entity parsing and in UTF-16 code units:
tags cost nothing, ``&amp;`` costs one unit, Arabic and Ethiopic letters one
unit each and most emoji two. We therefore tokenise the HTML into tags,
entities and single characters, so a split can only fall between whole tokens
(never inside a tag, an entity or a character), and measure only what the
user will see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096

# Quoted attribute values may legally contain ">", so they are matched whole.
_TAG = r"""</?[a-zA-Z][\w-]*(?:[^>"']|"[^"]*"|'[^']*')*>"""
# Only the entities Telegram understands: four named ones plus numeric ones.
# Digit counts are bounded so int() below can never be handed a huge string.
_ENTITY = r"&(?:lt|gt|amp|quot|#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,6});"
_TOKEN_RE = re.compile(rf"(?P<tag>{_TAG})|(?P<entity>{_ENTITY})|.", re.DOTALL)
_TAG_NAME_RE = re.compile(r"</?([a-zA-Z][\w-]*)")
# "<b></b>" left behind when a split falls right at a tag boundary.
_EMPTY_PAIR_RE = re.compile(r"""<([a-zA-Z][\w-]*)(?:[^>"']|"[^"]*"|'[^']*')*></\1>""")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Break opportunities, best first. The cut goes after the non-blank part of a
# separator, so its trailing blank starts the next chunk and gets stripped.
_SEPARATORS: tuple[tuple[str, ...], ...] = (
    ("\n\n",),
    ("\n",),
    (". ", "? ", "! ", "؟ ", "። ", "፧ "),
    (" ",),
)


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str  # source text, emitted unchanged
    visible: str  # what the user sees: "" for a tag, else exactly one character
    tag: str = ""  # lower-cased tag name; "" for characters and entities
    closing: bool = False

    @property
    def opening(self) -> bool:
        return bool(self.tag) and not self.closing and not self.raw.endswith("/>")


def _units(char: str) -> int:
    """UTF-16 code units of one character: two for anything outside the BMP."""
    return 2 if ord(char) > 0xFFFF else 1


def _decode(entity: str) -> str:
    body = entity[1:-1]
    if not body.startswith("#"):
        return _NAMED[body]
    code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
    # An out-of-range code point still shows up as one (replacement) character.
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN_RE.finditer(text):
        raw = match.group()
        if match.group("tag"):
            name = _TAG_NAME_RE.match(raw)
            assert name is not None  # guaranteed by _TAG
            tokens.append(_Token(raw, "", name.group(1).lower(), raw.startswith("</")))
        elif match.group("entity"):
            tokens.append(_Token(raw, _decode(raw)))
        else:
            tokens.append(_Token(raw, raw))
    return tokens


def visible_length(text: str) -> int:
    """Length of ``text`` as Telegram counts it: visible text in UTF-16 units."""
    return sum(_units(t.visible) for t in _tokenize(text) if t.visible)


def _best_break(window: str, fit: int) -> int:
    """Visible offset to cut ``window`` at; ``window[:fit]`` is what fits.

    ``window`` may hold one extra character so that a separator whose blank
    falls just past the limit (e.g. "end. ") is still found.
    """
    for group in _SEPARATORS:
        best = 0
        for sep in group:
            idx = window.rfind(sep)
            cut = idx + len(sep.rstrip())
            # A break with only blanks before it would give an empty chunk.
            if idx >= 0 and cut <= fit and window[:cut].strip():
                best = max(best, cut)
        if best:
            return best
    return fit  # no separator at all: split inside the word


def _find_cut(
    tokens: list[_Token], vis: str, vis_pos: list[int], start: int, v_start: int, limit: int
) -> tuple[int, int]:
    """Return (token index, visible index) where the chunk starting here ends."""
    units = 0
    v_end = v_start
    has_content = False
    while v_end < len(vis):
        char = vis[v_end]
        # Leading blanks are free: they are stripped from the chunk anyway.
        if has_content or not char.isspace():
            # Always take one character, or a too-wide one would loop forever.
            if has_content and units + _units(char) > limit:
                break
            units += _units(char)
            has_content = True
        v_end += 1
    if v_end == len(vis):
        return len(tokens), v_end
    v_cut = v_start + _best_break(vis[v_start : v_end + 1], v_end - v_start)
    # Cut right after the last visible character and keep the closing tags that
    # follow it, so "<b>a</b>|<i>b" rather than "<b>a|</b><i>b".
    cut = vis_pos[v_cut - 1] + 1
    while cut < len(tokens) and tokens[cut].closing:
        cut += 1
    return cut, v_cut


def _track(stack: list[_Token], token: _Token) -> None:
    """Keep ``stack`` equal to the tags still open after ``token``."""
    if token.opening:
        stack.append(token)
    elif token.closing:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].tag == token.tag:
                del stack[i]
                break


def _render(body: list[_Token], reopen: list[_Token], stack: list[_Token]) -> str | None:
    """Render one chunk, stripped of blanks, with its open tags balanced."""
    solid = [i for i, t in enumerate(body) if t.visible and not t.visible.isspace()]
    if not solid:
        return None
    first, last = solid[0], solid[-1]
    # Blanks are dropped token-wise so that tags around them keep their nesting.
    inner = "".join(t.raw for i, t in enumerate(body) if not t.visible or first <= i <= last)
    closers = "".join(f"</{t.tag}>" for t in reversed(stack))
    html = "".join(t.raw for t in reopen) + inner + closers
    count = 1
    while count:
        html, count = _EMPTY_PAIR_RE.subn("", html)
    return html


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram-HTML ``text`` into chunks of at most ``limit`` visible UTF-16 units.

    Breaks are preferred at paragraphs, then lines, then sentence ends, then
    spaces, and only as a last resort inside a word. Tags open at a split are
    closed at the end of the chunk and reopened, attributes and all, at the
    start of the next one, so every chunk is valid HTML on its own. A single
    character wider than ``limit`` (an emoji with ``limit=1``) is the only way a
    chunk can exceed it.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    tokens = _tokenize(text)
    vis_pos = [i for i, t in enumerate(tokens) if t.visible]
    vis = "".join(tokens[i].visible for i in vis_pos)
    if not vis.strip():
        return []
    if sum(map(_units, vis)) <= limit:
        return [text]

    chunks: list[str] = []
    stack: list[_Token] = []  # tags open where the current chunk starts
    start = v_start = 0
    while start < len(tokens):
        cut, v_cut = _find_cut(tokens, vis, vis_pos, start, v_start, limit)
        reopen = list(stack)
        body = tokens[start:cut]
        for token in body:
            _track(stack, token)
        chunk = _render(body, reopen, stack)
        if chunk:
            chunks.append(chunk)
        start, v_start = cut, v_cut
    return chunks
