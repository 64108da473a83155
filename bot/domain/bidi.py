"""Keep left-to-right fragments (Dutch words, numbers, commands) intact inside RTL text.

Without isolation an Arabic sentence that ends in "Leidschendam-Voorburg 2027" can be
reordered by the client's bidi algorithm. First Strong Isolate ... Pop Directional Isolate
(Unicode UAX #9) keeps the fragment's own direction without affecting its neighbours.
"""

import re

FSI = "\u2068"
PDI = "\u2069"
LRM = "\u200e"
RLM = "\u200f"
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def isolate(fragment: str) -> str:
    if not fragment or (fragment.startswith(FSI) and fragment.endswith(PDI)):
        return fragment
    return f"{FSI}{fragment}{PDI}"


def strip_controls(text: str) -> str:
    """Remove bidi controls, e.g. for comparisons and plain-text terminals."""
    for ch in (FSI, PDI, LRM, RLM, "\u2066", "\u2067"):
        text = text.replace(ch, "")
    return text


# A left-to-right run: Latin letters or digits, with the joiners that occur inside Dutch
# words, commands, dates and addresses ("/delete", "Leidschendam-Voorburg", "03-2027").
_LTR_RUN = re.compile(
    r"[/@#]?[A-Za-z0-9\u00c0-\u024f]+(?:[ .:/@_+\-,'’]*[A-Za-z0-9\u00c0-\u024f]+)*"
)
# Tags, entities and fragments isolated already are left as they are.
_KEEP = re.compile("(<[^>]*>|&#?[A-Za-z0-9]+;|\u2068[^\u2069]*\u2069)")


_KEEP_TAGS = re.compile(r"<[^>]*>")


def protect_ltr_runs(html_text: str) -> str:
    """Isolate every left-to-right run in an RTL message, outside tags and entities.

    The paragraph direction is then decided by the first Arabic letter (isolates are
    skipped, UAX #9 rule P2), so a line starting with "/delete" still reads right-to-left.
    """
    parts = _KEEP.split(html_text)
    for i in range(0, len(parts), 2):  # even indexes are text, odd ones kept
        parts[i] = _LTR_RUN.sub(lambda m: isolate(m.group(0)), parts[i])
    return "\n".join(_rtl_start(line) for line in "".join(parts).split("\n"))


def _rtl_start(line: str) -> str:
    """Make each line of an RTL message read in its own direction, also in clients that
    lay out a whole message in one direction or ignore rule P2:
    - an RTL line that opens with something else ("/delete ...", "Wegwijs ...") gets a
      right-to-left mark;
    - a line without RTL letters (the English line of the language picker) is isolated
      whole, so its final full stop stays at its end."""
    if line.startswith(RLM) or not line.strip():
        return line
    if not _RTL_LETTER.search(line):
        return line if "<" in line else isolate(strip_controls(line))
    visible = _KEEP_TAGS.sub("", line).lstrip()
    if visible and _RTL_LETTER.match(visible):
        return line
    return RLM + line
