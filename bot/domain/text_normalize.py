"""Turn a question or a content text into search tokens, in Arabic, Tigrinya, English and
Dutch, and in any mix of them ("ما معنى huurtoeslag", "DigiD ከመይ ይረክብ").

Every word is handled by its script, not by the language the person chose:
- Arabic: tashkeel, tatweel and hamza carriers go (أ إ آ ٱ → ا, ؤ → و, ئ → ي), ى → ي,
  ة → ه, Arabic-Indic digits → ASCII; then a light stemmer in the spirit of Larkey's
  Light10: the article and its combinations (ال وال بال كال فال لل, spoken عال), a
  leading و, and one common suffix (plural, pronoun, nisba, ta marbuta + pronoun as in
  ضريبتي) are stripped, each only when at least three letters stay.
- Ethiopic (Tigrinya): words split on whitespace and Ethiopic punctuation (። ፣ ፤ ፥ ፦ ፧ ፨
  ፡); syllables stay whole. A few attached particles (ን ብ ካብ ኣብ ናብ ምስ ከም) and
  suffixes (ታት, ይ, ና, ካ, ኪ, ኩም, ክን, ን) are stripped when two syllables stay, and the
  last syllable is reduced to its sixth order (ቤ → ብ), because suffixes change the
  vowel of the syllable before them (ገንዘብ, ገንዘበይ).
- Latin: lower case without accents, a light English/Dutch plural and final-e stripper
  (toeslagen → toeslag, letters → letter, gemeenten/gemeente → gemeent), and Dutch
  compounds split against a vocabulary (huurtoeslag → huur, toeslag).

The same function tokenises the index and the query, so the stems only need to agree with
each other, not to be linguistically perfect.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator

# -- character level ------------------------------------------------------------------

_LETTER_MAP = str.maketrans({
    "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None,  # alef wasla, alef maksura, ta marbuta, tatweel
    "ک": "ك", "ی": "ي", "ې": "ي", "ە": "ه", "ڪ": "ك",  # Persian/Urdu keyboard letters
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended (Persian) digits
    # Ethiopic spellings Tigrinya writers mix: አ for ኣ, the ሠ and ፀ rows for ሰ and ጸ.
    "አ": "ኣ",
    **{chr(0x1220 + i): chr(0x1230 + i) for i in range(8)},
    **{chr(0x1340 + i): chr(0x1338 + i) for i in range(7)},
})

# One token is a run of letters of one script; scripts never share a token, so
# "الDigiD" gives an Arabic and a Latin token.
_TOKEN = re.compile(
    r"(?P<latin>[0-9a-z\u00df-\u00f6\u00f8-\u00ff]+)"
    r"|(?P<arabic>[\u0620-\u064a\u066e-\u066f\u0671-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f]+)"
    r"|(?P<ethiopic>[\u1200-\u135a\u1380-\u138f\u2d80-\u2ddf\uab01-\uab2e]+)"
)


def fold(text: str) -> str:
    """Lower case, compatibility forms unfolded, every combining mark removed (Latin
    accents, Arabic tashkeel and hamza above/below, Ethiopic gemination marks), Arabic
    letter variants unified."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_LETTER_MAP)


# -- Arabic -----------------------------------------------------------------------------

_AR_ARTICLES = ("وبال", "وال", "فال", "بال", "كال", "عال", "لل", "ال")  # عال: على ال
# Ta marbuta + pronoun first (ضريبتي → ضريب, like ضريبة → ضريبه → ضريب), then Light10's.
_AR_SUFFIXES = ("تها", "تهم", "تكم", "تنا", "تي", "تك",
                "ها", "هم", "كم", "نا", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
_AR_MIN = 3


def stem_arabic(word: str) -> str:
    """Light stemming of one folded Arabic word; never leaves fewer than three letters."""
    for prefix in _AR_ARTICLES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _AR_MIN:
            word = word[len(prefix):]
            break
    if word.startswith("و") and len(word) - 1 >= _AR_MIN:
        word = word[1:]
    if word.endswith("اء") and len(word) >= 4:  # كهرباء, spoken and typed كهربا
        word = word[:-1]
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _AR_MIN:
            return word[: -len(suffix)]
    return word


# -- Ethiopic ---------------------------------------------------------------------------

_TI_PREFIXES = ("ካብ", "ኣብ", "ናብ", "ምስ", "ከም", "ን", "ብ")
_TI_SUFFIXES = ("ታት", "ኩም", "ክን", "ና", "ይ", "ካ", "ኪ", "ን")
_TI_MIN = 2


def _sixth_order(syllable: str) -> str:
    """ቤ, ባ, ቢ → ብ: the consonant without its vowel, within the regular syllable rows."""
    code = ord(syllable)
    if 0x1200 <= code <= 0x1357:
        return chr((code & ~7) + 5)
    return syllable


def stem_ethiopic(word: str) -> str:
    """Light stemming of one Tigrinya word, whole syllables only."""
    for prefix in _TI_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _TI_MIN:
            word = word[len(prefix):]
            break
    for _ in range(2):  # ሕክምናይ → ሕክምና → ሕክም
        for suffix in _TI_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _TI_MIN:
                word = word[: -len(suffix)]
                break
        else:
            break
    if len(word) >= _TI_MIN:
        word = word[:-1] + _sixth_order(word[-1])
    return word


# -- Latin ------------------------------------------------------------------------------

_KEEP_S = ("ss", "us", "is", "as", "os", "ys")
_DOUBLE = re.compile(r"([bdfgklmnprst])\1$")


def stem_latin(word: str) -> str:
    """Light English/Dutch stemming: plurals and a final e. Short words stay as they are."""
    if len(word) >= 6 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) >= 5 and word.endswith(("xes", "ches", "shes", "sses")):
        word = word[:-2]  # taxes → tax, addresses → address
    elif len(word) >= 6 and word.endswith("en"):
        word = word[:-2]
        if _DOUBLE.search(word):  # bussen → bus
            word = word[:-1]
        elif word[-1] in "vz":  # brieven → brief, huizen → huis
            word = word[:-1] + {"v": "f", "z": "s"}[word[-1]]
    elif len(word) >= 5 and word.endswith("s") and not word.endswith(_KEEP_S):
        word = word[:-1]
    if len(word) >= 5 and word.endswith("e"):
        word = word[:-1]
    return word


_LINKS_PREFERRED = ("en", "e", "s", "")  # between compound parts
# Longer runs of letters are not split at all. The longest vocabulary word today has 30
# letters (participatieverklaringstraject) and Dutch compounds on letters rarely pass 35
# (arbeidsongeschiktheidsverzekering): 64 leaves room for two long words typed without a
# space. Anything longer is a paste or a keyboard mash whose parts would be noise, and the
# cap bounds the quadratic number of vocabulary lookups below.
MAX_COMPOUND = 64


def split_compound(word: str, vocabulary: Collection[str], min_part: int = 4) -> list[str]:
    """The known parts of a Dutch compound, or [] when it has none.

    A full split into vocabulary words (with the linking s, e or en between them) is tried
    first, fewest parts first: huurtoeslag → [huur, toeslag]. Otherwise the longest known
    head and tail with an unknown rest: zorgverzekeringspas → [zorgverzekering]. `word`
    and `vocabulary` are in the same form (both stemmed, or both not). Words shorter than
    two parts or longer than MAX_COMPOUND give [].
    """
    if not 2 * min_part <= len(word) <= MAX_COMPOUND:
        return []
    full = _full_split(word, vocabulary, min_part)
    if full:
        return full
    known = min_part + 1  # next to an unknown rest, a short part is too often a fluke
    head = next((word[:end] for end in range(len(word) - min_part, known - 1, -1)
                 if word[:end] in vocabulary), None)
    tail = next((word[start:] for start in range(min_part, len(word) - known + 1)
                 if word[start:] in vocabulary), None)
    return [part for part in (head, tail) if part is not None]


def _full_split(word: str, vocabulary: Collection[str], min_part: int) -> list[str]:
    """Fewest parts; among splits with as many parts, shorter heads first, then links in
    _LINKS_PREFERRED order (vermogenkind → vermog, kind rather than vermogen, kind). That
    is what the backtracking search this replaced returned (a later split with as many
    parts replaced an earlier one), so index and queries keep their tokens.

    Breadth-first over positions, so each position is expanded once (backtracking is
    exponential on glued repetitions such as vermogenvermogen...). Positions of a layer are
    in the order of their preferred paths and heads are tried in preference order, so the
    first path that reaches a position is its preferred one.
    """
    came_from: dict[int, tuple[int, str]] = {0: (0, "")}  # position → (previous, head)
    layer = [0]
    while layer:
        following: list[int] = []
        for start in layer:
            for head, rest in _heads(word, start, vocabulary, min_part):
                if rest not in came_from:
                    came_from[rest] = (start, head)
                    following.append(rest)
        layer = following
        done = next((p for p in layer if word[p:] in vocabulary), None)
        if done is not None:
            return _path(word, came_from, done)
    return []


def _heads(word: str, start: int, vocabulary: Collection[str],
           min_part: int) -> Iterator[tuple[str, int]]:
    """Known heads at `start`, in preference order, with where the rest begins after the
    link; the rest keeps at least `min_part` letters."""
    for end in range(start + min_part, len(word) - min_part + 1):
        head = word[start:end]
        if head not in vocabulary:
            continue
        for link in _LINKS_PREFERRED:
            if word.startswith(link, end) and len(word) - end - len(link) >= min_part:
                yield head, end + len(link)


def _path(word: str, came_from: dict[int, tuple[int, str]], last: int) -> list[str]:
    parts = [word[last:]]
    position = last
    while position:
        position, head = came_from[position]
        parts.append(head)
    return parts[::-1]


# -- stop words -------------------------------------------------------------------------

# Question words, pronouns, particles: they say nothing about the topic. Kept in folded,
# unstemmed form; domain words (eigen, geen-risico...) are deliberately absent.
def _folded(words: str) -> frozenset[str]:
    return frozenset(fold(w) for w in words.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "latin": _folded("""
        a an the and or but if of to in on at by for from with about into over after before
        is are was were be been am do does did done have has had can could should would will
        shall may might must i me my mine we us our you your yours he him his she her it its
        they them their this that these those there here what which who whom whose when where
        why how not no yes so than then too very just also please hi hello thanks thank okay ok
        get got want need know tell explain mean means meaning anything something some any
        de het een en of op in te van voor met aan bij door naar om over uit tot als dan dat
        die dit deze er hier daar wat wie waar wanneer waarom hoe welke welk niet geen wel ja
        nee ik mij me mijn jij je jou jouw u uw hij hem zij ze haar wij we ons onze jullie hun
        is ben bent zijn was waren word wordt worden heb hebt heeft hebben had kan kun kunt
        kunnen moet moeten mag mogen wil wilt willen zal zou ook nog al maar dus want toch even
        graag hallo hoi dank bedankt betekent betekenis uitleggen gaat gaan goed
        today tomorrow yesterday now time old best good nice vandaag morgen gisteren nu tijd
        still keep keeps really much many lot lots other another first again go going come
        make say see someone anyone myself nog steeds zit doet niets iets
        alles veel zo heel erg echt eerst nou eens laat weer
    """),
    "arabic": _folded("""
        ما ماذا ماهو ماهي شو ايش شنو شنهو شلون اشلون ازاي إزاي كيف كيفية كيفاش ليش لماذا لم
        متى وين اين أين فين هل من في على إلى الى عن مع عند عندي عندنا لي لنا لك له لها أنا
        انا نحن انت انتي أنت هو هي هم هذا هذه هاد هادا هاي ذلك تلك هذي اللي الذي التي الذين
        و أو او ثم لا نعم بس يعني يعنى تعني معنى معناها مامعنى شي شيء اي أي كل بعض ممكن لو
        اذا إذا ان أن إن قد كان كانت يكون بدي اريد أريد ابغى ابي عايز عاوز محتاج احتاج
        ساعدني مساعده مرحبا السلام عليكم شكرا سمحت فضلك يا الله ال اهلا هلا حالك كيفك
        شلونك صباح مساء الخير اليوم بكرا بكره مبارح امبارح هلق هلا هسه الحين وقت احسن
        لازم اعمل نعمل يعمل عم رح راح كتير كثير شوي هيك هون هنا هناك لسا لسه بعدين مو مش
        مافي فيه فيها منه منها عليه عليها تاني ثاني بعرف اعرف بقدر اقدر يقدر بده بدها
        عشان علشان لان لأن حتى كمان برضو والله انو انه إنه زي مثل اول مرة
    """),
    "ethiopic": _folded("""
        እዩ እያ እየ ኢዩ ድዩ ድያ ኣሎ ኣለዉ ኣለኒ የለን ከመይ እንታይ ምንታይ ኣበይ መዓስ ስለምንታይ
        ንምንታይ መን ክንደይ ኣነ ንሱ ንሳ ንሕና ንስኻ ንስኺ ኢኻ ኢኺ እዚ እዛ እቲ እታ እዚኦም ናይ
        ኣብ ካብ ናብ ምስ እሞ ግን ወይ ወይስ እውን ድማ ከኣ ኩሉ ገለ በጃኹም በጃኻ ሰላም የቐንየለይ
        ክፈልጥ ደሊ ደልየ እደሊ ሓግዙኒ ሓግዘኒ ማለት ይርከብ ይግበር ክገብር ይኽእል ዶ ሎሚ ጽባሕ ትማሊ
        ሕጂ ግዜ ጽቡቕ ኣለኻ ኣለኺ ኣለኹም ኣለዎ ኣለዋ ኣለና ኣሎኒ ኣሎዎ የብለይን የብሉን ኣይኮነን ኮይኑ
        ይኸውን ክኸውን ኣዝዩ ብጣዕሚ ጥራይ ደጊም ካልእ ከምኡ ግድን ክገብር እገብር ይገብር
    """),
}

# Words around a term when someone only asks what it means ("what is X", "ما معنى X",
# "X እንታይ እዩ"): with nothing else in the question, the glossary term comes first.
DEFINITION_WORDS = _folded("""
    what whats is are was the a an of does do mean means meaning definition explain
    wat is het een de betekent betekenis betekenen uitleg
    ما ماذا ماهو ماهي مامعنى معنى معناها يعني تعني شو ايش شنو شنهي هو هي ال كلمة
    እንታይ ምንታይ እዩ ኢዩ ማለት ትርጉም ቃል
""")


# -- the tokenizer ----------------------------------------------------------------------


def _raw_tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(fold(text)):
        script = match.lastgroup or "latin"
        yield script, match.group()


def words(text: str) -> list[str]:
    """Folded words, unstemmed, stop words kept: for exact phrase checks."""
    return [w for _script, w in _raw_tokens(text)]


def normalize(text: str, lang: str, vocabulary: Collection[str] = frozenset(), *,
              keep_stopwords: bool = False) -> list[str]:
    """Search tokens of `text`, in reading order (compound parts follow their word).

    `lang` is the language the person chose; every word is still handled by its own script,
    so Dutch words inside Arabic or Tigrinya sentences come out as Dutch tokens.
    `vocabulary` holds stemmed Dutch words for compound splitting.
    """
    del lang  # the script decides; kept in the signature so callers say what they mean
    tokens: list[str] = []
    for script, word in _raw_tokens(text):
        if not keep_stopwords and word in STOPWORDS[script]:
            continue
        if len(word) < 2 and not word.isdigit():
            continue
        if script == "arabic":
            tokens.append(stem_arabic(word))
        elif script == "ethiopic":
            tokens.append(stem_ethiopic(word))
        else:
            stem = stem_latin(word)
            if not keep_stopwords and stem in STOPWORDS[script]:  # wants → want
                continue
            tokens.append(stem)
            if vocabulary and not stem.isdigit():
                tokens.extend(split_compound(stem, vocabulary))
    return tokens
