"""Tests for bot.domain.text_split."""

from __future__ import annotations

import html
import random
import re

import pytest

from bot.domain.text_split import split_message, visible_length

_TAG_RE = re.compile(r"""<(/?)([a-zA-Z][\w-]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")


def _visible(text: str) -> str:
    """Visible text, computed independently of the module under test."""
    return html.unescape(_TAG_RE.sub("", text))


def _no_space(text: str) -> str:
    return "".join(text.split())


def _assert_balanced(chunk: str) -> None:
    stack: list[str] = []
    for match in _TAG_RE.finditer(chunk):
        closing, name = match.groups()
        if closing:
            assert stack and stack[-1] == name, f"unbalanced </{name}> in {chunk!r}"
            stack.pop()
        else:
            stack.append(name)
    assert not stack, f"unclosed {stack} in {chunk!r}"


# --- visible_length ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("مرحبا", 5),  # Arabic: one unit per letter
        ("ሰላም", 3),  # Ethiopic: one unit per syllable
        ("😀", 2),  # outside the BMP: a surrogate pair
        ("👍🏽", 4),  # emoji + skin tone modifier: two pairs
        ("<b>bold</b>", 4),
        ('<a href="https://x.nl/?a=1&amp;b=2">link</a>', 4),
        ("&lt;&gt;&amp;&quot;", 4),
        ("&#65;&#x42;", 2),
        ("&#128512;", 2),  # a numeric entity for an emoji is still two units
        ("a < b", 5),  # not a tag: a lone "<" is text
    ],
)
def test_visible_length(text: str, expected: int) -> None:
    assert visible_length(text) == expected


# --- basic behaviour --------------------------------------------------------


def test_short_text_returned_unchanged() -> None:
    text = "  <b>Hallo</b> &amp; welkom!\n"
    assert split_message(text) == [text]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "<b> </b>"])
def test_empty_or_blank_text_gives_no_chunks(text: str) -> None:
    assert split_message(text) == []


def test_invalid_limit_rejected() -> None:
    with pytest.raises(ValueError):
        split_message("abc", limit=0)


def test_paragraph_split_preferred() -> None:
    first = "First paragraph. It has two sentences and some more words"
    second = "Second paragraph. Also rather long, with many words in it"
    text = f"{first}\n\n{second}"
    # Enough room to take part of the second paragraph, but we split between them.
    assert split_message(text, limit=len(first) + 20) == [first, second]


def test_line_split_when_no_paragraphs() -> None:
    lines = [f"line {i}: some words here" for i in range(20)]
    chunks = split_message("\n".join(lines), limit=100)
    assert len(chunks) > 1
    for chunk in chunks:
        assert visible_length(chunk) <= 100
        # Every chunk consists of whole lines.
        assert all(line in lines for line in chunk.split("\n"))
    assert "\n".join(chunks) == "\n".join(lines)


def test_sentence_split_arabic() -> None:
    sentence = "هل تحتاج إلى مساعدة في التسجيل في البلدية؟"
    text = " ".join([sentence] * 10)
    chunks = split_message(text, limit=100)
    assert len(chunks) > 1
    for chunk in chunks:
        assert visible_length(chunk) <= 100
        assert chunk.endswith("؟")
        assert chunk.startswith("هل")


@pytest.mark.parametrize("end", ["።", "፧"])
def test_sentence_split_tigrinya(end: str) -> None:
    sentence = "ኣብ ማዘጋጃ ቤት ምምዝጋብ ሓገዝ የድልየኩም ድዩ" + end
    text = " ".join([sentence] * 10)
    chunks = split_message(text, limit=90)
    assert len(chunks) > 1
    for chunk in chunks:
        assert visible_length(chunk) <= 90
        assert chunk.endswith(end)
        assert chunk.startswith("ኣብ")


def test_space_split_keeps_words_whole() -> None:
    words = [f"woord{i}" for i in range(500)]
    chunks = split_message(" ".join(words), limit=50)
    assert all(visible_length(c) <= 50 for c in chunks)
    assert " ".join(chunks).split() == words


def test_hard_split_of_single_long_word() -> None:
    word = "x" * 10_000
    assert split_message(word) == ["x" * 4096, "x" * 4096, "x" * 1808]


# --- HTML awareness ---------------------------------------------------------


def test_bold_paragraph_reopened_across_split() -> None:
    text = "<b>" + "vet " * 2000 + "</b>"
    chunks = split_message(text)
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.startswith("<b>")
        assert chunk.endswith("</b>")
        assert visible_length(chunk) <= 4096
        _assert_balanced(chunk)


def test_nested_tags_reopened_with_attributes() -> None:
    link = '<a href="https://example.nl/?a=1&amp;b=&quot;2&quot;">'
    text = f"<blockquote>{link}" + "woord " * 100 + "</a></blockquote> einde"
    chunks = split_message(text, limit=100)
    assert len(chunks) > 2
    for chunk in chunks[:-1]:
        assert chunk.startswith(f"<blockquote>{link}")
        assert chunk.endswith("</a></blockquote>")
        _assert_balanced(chunk)
    assert chunks[-1].endswith("</a></blockquote> einde")


def test_no_empty_tag_pairs_at_boundaries() -> None:
    text = "<b>" + "a" * 50 + "</b>\n\n<i>" + "b" * 50 + "</i>"
    assert split_message(text, limit=60) == ["<b>" + "a" * 50 + "</b>", "<i>" + "b" * 50 + "</i>"]


def test_entities_never_split() -> None:
    text = "&amp;&lt;&#128512;&quot;" * 1000
    chunks = split_message(text, limit=7)
    for chunk in chunks:
        assert visible_length(chunk) <= 7
        # Removing whole entities must leave nothing: no entity was cut in half.
        assert re.sub(r"&(?:amp|lt|quot|#128512);", "", chunk) == ""
    assert "".join(chunks) == text


def test_tags_never_split() -> None:
    text = '<a href="https://example.nl/a-very-long-url">' + "y" * 30 + "</a>"
    chunks = split_message(text, limit=7)
    for chunk in chunks:
        assert chunk.startswith('<a href="https://example.nl/a-very-long-url">')
        assert chunk.endswith("</a>")
        _assert_balanced(chunk)
    assert "".join(_visible(c) for c in chunks) == "y" * 30


def test_emoji_counted_as_two_and_never_split() -> None:
    text = "😀" * 3000
    assert visible_length(text) == 6000
    chunks = split_message(text, limit=4095)
    assert [visible_length(c) for c in chunks] == [4094, 1906]
    assert "".join(chunks) == text
    # Odd limit: a pair is never broken, so chunks hold whole emoji.
    assert split_message("😀😀😀", limit=3) == ["😀", "😀", "😀"]


def test_char_wider_than_limit_still_makes_progress() -> None:
    assert split_message("😀😀", limit=1) == ["😀", "😀"]


# --- property-style test over random multilingual texts ---------------------

_WORDS = [
    "gemeente",
    "afspraak",
    "appointment",
    "residence",
    "البلدية",
    "موعد",
    "الإقامة",
    "ማዘጋጃ",
    "ቆጸራ",
    "መንበሪ",
    "😀",
    "🇳🇱",
    "👍🏽",
    "&amp;",
    "&lt;3",
    "&quot;ok&quot;",
    "&#128512;",
    "x" * 40,
]
_ENDS = [".", "?", "!", "؟", "።", "፧", ""]
_WRAPS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<code>", "</code>"),
    ('<a href="https://example.nl/?q=1&amp;r=2">', "</a>"),
    ("<blockquote><u>", "</u></blockquote>"),
    ('<span class="tg-spoiler">', "</span>"),
]


def _random_paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(1, 8)):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 25))]
        if rng.random() < 0.4:
            i = rng.randrange(len(words))
            j = rng.randrange(i, len(words))
            opening, closing = rng.choice(_WRAPS)
            words[i] = opening + words[i]
            words[j] = words[j] + closing
        sentences.append(" ".join(words) + rng.choice(_ENDS))
    separator = rng.choice([" ", " ", "\n"])
    paragraph = separator.join(sentences)
    if rng.random() < 0.2:
        opening, closing = rng.choice(_WRAPS)
        paragraph = opening + paragraph + closing
    return paragraph


@pytest.mark.parametrize("seed", range(40))
def test_random_texts_respect_limit_and_keep_content(seed: int) -> None:
    rng = random.Random(seed)
    text = "\n\n".join(_random_paragraph(rng) for _ in range(rng.randint(1, 30)))
    limit = rng.choice([20, 50, 120, 400, 4096])
    chunks = split_message(text, limit)
    assert chunks
    for chunk in chunks:
        assert 0 < visible_length(chunk) <= limit
        assert chunk == chunk.strip()
        _assert_balanced(chunk)
    joined = "".join(_visible(c) for c in chunks)
    assert _no_space(joined) == _no_space(_visible(text))
