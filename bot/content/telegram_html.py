"""What Telegram accepts in HTML parse mode, checked on content texts before people see them."""

from __future__ import annotations

import re

_ALLOWED_TAG = re.compile(r"</?(b|i|u|s|code|a)(\s+href=\"[^\"<>]+\")?>")


def html_problem(text: str) -> str | None:
    """Flow texts are Telegram HTML: only simple tags, and & < > written as entities."""
    rest = _ALLOWED_TAG.sub("", text)
    if "<" in rest or ">" in rest:
        return "has a tag Telegram does not allow, or a bare < or >"
    if re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", rest):
        return "has a bare & (write &amp;)"
    return None
