"""What a display name, a Space's title and a reaction may be.

Names and titles are shown to everyone in the Space, so the rules keep a name
from hiding text, reordering the text around it or passing for someone else's:

- NFC first, then whitespace is trimmed and every inner run becomes one space,
  and the length limit counts the characters that are left.
- Refused anywhere: control characters (Cc), line and paragraph separators
  (Zl, Zp), surrogates, private-use and unassigned code points, invisible
  letters (Hangul fillers, the blank Braille pattern), and more than
  `MAX_MARKS_IN_A_ROW` stacked combining marks.
- Format characters (Cf: direction overrides and isolates, zero-width spaces,
  word joiners...) and variation selectors are invisible, so they are refused,
  with the exceptions a script or an emoji needs: a zero-width joiner (ZWJ) or
  variation selector inside one emoji sequence (👨‍👩‍👧, ❤️, 🏳️‍🌈, tag flags),
  a ZWJ or zero-width non-joiner (ZWNJ) right after a virama (Indic
  conjuncts), and a ZWNJ between two Arabic-script letters (Persian).
  Anywhere else a ZWJ would let "Ada" and "A\u200dda" look the same.
- A name that is only whitespace, marks and invisible characters is refused.

A reaction is exactly one emoji as the `emoji` package knows them (skin
tones, flags, ZWJ sequences and ❤️ included).

`name_key` is what two names are compared by: NFKC with case folding, so "ADA"
and "Ａｄａ" match "ada".
"""

from __future__ import annotations

import unicodedata

import emoji

MAX_NAME_CHARS = 50
MAX_TITLE_CHARS = 140
MAX_REACTION_CHARS = 16
"""The longest RGI emoji (a kiss with two skin tones) has 10 code points."""
MAX_MARKS_IN_A_ROW = 5
"""Enough for stacked Tibetan or vocalised Hebrew; stops "zalgo" text drawing over the window."""

ZWJ = "\u200d"
ZWNJ = "\u200c"
_REFUSED = {
    "Cc": "control characters",
    "Zl": "line breaks",
    "Zp": "line breaks",
    "Cs": "unpaired surrogates",
    "Co": "private-use characters",
    "Cn": "unassigned characters",
}
_LINE_BREAKS = frozenset("\n\r\v\f\x85")
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_GRAPHEME_JOINER = "\u034f"
_ARABIC_SCRIPT = ((0x0600, 0x06FF), (0x0700, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))


class TextRuleError(ValueError):
    """A name, title or reaction that breaks a rule; the message is a sentence for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_name(value: str) -> str:
    """A display name as it is stored and shown, or TextRuleError."""
    return _clean(value, "name", MAX_NAME_CHARS)


def clean_title(value: str) -> str:
    """A Space's title as it is stored and shown, or TextRuleError."""
    return _clean(value, "title", MAX_TITLE_CHARS)


def check_reaction(value: str) -> str:
    """``value`` if it is exactly one emoji, or TextRuleError."""
    if len(value) > MAX_REACTION_CHARS or not emoji.is_emoji(value):
        raise TextRuleError("A reaction is a single emoji, such as 👏 or ❤️.")
    return value


def name_key(name: str) -> str:
    """What names are compared by: compatibility caseless matching (Unicode 3.13)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFD", name).casefold())
    return " ".join(unicodedata.normalize("NFKC", folded.casefold()).split())


def _clean(value: str, noun: str, limit: int) -> str:
    if value.isascii() and value.isprintable():
        # Most names: no marks, emoji, invisibles or line breaks can be in it (a join's hot path).
        text = " ".join(value.split())
        if len(text) > limit:
            raise TextRuleError(f"A {noun} can have at most {limit} characters.")
        if not text:
            raise TextRuleError(f"A {noun} needs at least one visible character.")
        return text
    text = unicodedata.normalize("NFC", value)
    for ch in text:
        refused = "line breaks" if ch in _LINE_BREAKS else _REFUSED.get(unicodedata.category(ch))
        if refused is not None:
            raise TextRuleError(f"A {noun} can't contain {refused}.")
    text = " ".join(text.split())  # trims, and turns every run of spaces of any kind into one
    if len(text) > limit:
        raise TextRuleError(f"A {noun} can have at most {limit} characters.")
    _check_invisibles(text, noun)
    if not any(_visible(ch) for ch in text):
        raise TextRuleError(f"A {noun} needs at least one visible character.")
    return text


def _check_invisibles(text: str, noun: str) -> None:
    in_emoji = _emoji_positions(text)
    marks = 0
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        marks = marks + 1 if category in ("Mn", "Me") else 0
        if marks > MAX_MARKS_IN_A_ROW:
            raise TextRuleError(f"A {noun} can't stack more than {MAX_MARKS_IN_A_ROW} accents on a letter.")
        if ch in _INVISIBLE_LETTERS or ch == _GRAPHEME_JOINER:
            raise TextRuleError(f"A {noun} can't contain invisible characters.")
        if i in in_emoji:
            continue
        if _is_variation_selector(ch):
            raise TextRuleError(f"A {noun} can't contain invisible characters.")
        if category == "Cf" and not _joiner_allowed(text, i):
            raise TextRuleError(
                f"A {noun} can't contain invisible formatting characters, such as direction "
                "overrides or zero-width spaces."
            )


def _emoji_positions(text: str) -> set[int]:
    positions: set[int] = set()
    for match in emoji.emoji_list(text):
        positions.update(range(match["match_start"], match["match_end"]))
    return positions


def _joiner_allowed(text: str, i: int) -> bool:
    ch = text[i]
    if ch not in (ZWJ, ZWNJ) or i == 0 or i == len(text) - 1:
        return False
    if unicodedata.combining(text[i - 1]) == 9:  # after a virama: a conjunct form (IDNA's CONTEXTJ)
        return True
    return ch == ZWNJ and _arabic_letter(_base_before(text, i)) and _arabic_letter(_base_after(text, i))


def _base_before(text: str, i: int) -> str:
    j = i - 1
    while j > 0 and unicodedata.category(text[j]).startswith("M"):
        j -= 1
    return text[j]


def _base_after(text: str, i: int) -> str:
    j = i + 1
    while j < len(text) - 1 and unicodedata.category(text[j]).startswith("M"):
        j += 1
    return text[j]


def _arabic_letter(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch).startswith("L") and any(lo <= code <= hi for lo, hi in _ARABIC_SCRIPT)


def _is_variation_selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180D


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return not (ch.isspace() or category.startswith("M") or category in ("Cf", "Zs"))


__all__ = [
    "MAX_NAME_CHARS",
    "MAX_REACTION_CHARS",
    "MAX_TITLE_CHARS",
    "TextRuleError",
    "check_reaction",
    "clean_name",
    "clean_title",
    "name_key",
]
