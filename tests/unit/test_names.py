"""What names, titles and reactions may be: the rules, and the request models that apply them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from spaces_desktop.domain.text_rules import (
    MAX_NAME_CHARS,
    TextRuleError,
    check_reaction,
    clean_name,
    clean_title,
    name_key,
)
from spaces_desktop.protocol import CreateSpaceRequest, JoinRequest, ReactionRequest

SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ada", "Ada"),
        ("  Ada   Lovelace  ", "Ada Lovelace"),
        ("Ada\u00a0\u2003\u3000Lovelace", "Ada Lovelace"),  # every kind of space becomes one space
        ("e\u0301clair", "\u00e9clair"),  # NFC
        ("Zoë 👍🏽", "Zoë 👍🏽"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # ZWJ inside an emoji sequence
        ("🏳\ufe0f\u200d🌈 ❤\ufe0f #\ufe0f\u20e3", "🏳\ufe0f\u200d🌈 ❤\ufe0f #\ufe0f\u20e3"),
        (SCOTLAND + " Scot", SCOTLAND + " Scot"),  # a flag spelled with tag characters
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian: ZWNJ between Arabic letters
        ("क्\u200dष", "क्\u200dष"),  # Devanagari: ZWJ after a virama
        ("李小龍", "李小龍"),
        ("שלום", "שלום"),
        ("x" * MAX_NAME_CHARS, "x" * MAX_NAME_CHARS),
        (" " * 200 + "x" + " " * 200, "x"),  # counted after trimming
        ("a" + " " * 100 + "b", "a b"),
    ],
)
def test_accepted_names_are_normalized(raw: str, stored: str) -> None:
    assert clean_name(raw) == stored
    assert JoinRequest(display_name=raw).display_name == stored


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "visible character"),
        ("    ", "visible character"),
        ("\u00a0\u3000", "visible character"),
        ("\u0301\u0302", "visible character"),  # marks only
        ("\ufe0f", "invisible characters"),
        ("A\u0000B", "control characters"),
        ("A\tB", "control characters"),
        ("A\x1bB", "control characters"),
        ("A\u0085B", "line breaks"),  # C1 NEL
        ("A\u0090B", "control characters"),  # C1 DCS
        ("A\nB", "line breaks"),
        ("A\u2028B", "line breaks"),  # Zl
        ("A\u2029B", "line breaks"),  # Zp
        ("\u202eAda", "formatting"),  # right-to-left override
        ("Ada\u202d", "formatting"),  # left-to-right override
        ("\u2067Ada\u2069", "formatting"),  # isolates
        ("Ada\u200e", "formatting"),  # left-to-right mark
        ("A\u200bda", "formatting"),  # zero-width space
        ("A\u200dda", "formatting"),  # ZWJ between letters: "Ada" twice over
        ("A\u200cda", "formatting"),  # ZWNJ in Latin
        ("Ada\u2060", "formatting"),  # word joiner
        ("\ufeffAda", "formatting"),  # BOM
        ("Ada\u00ad", "formatting"),  # soft hyphen
        ("Ada\U000e0041", "formatting"),  # a tag character outside a flag
        ("👍\u200d", "formatting"),  # a trailing ZWJ
        ("Ada\u3164", "invisible characters"),  # Hangul filler: looks like "Ada"
        ("\u2800", "invisible characters"),  # blank Braille pattern
        ("A\ufe0fda", "invisible characters"),  # variation selector after a letter
        ("A\u034fda", "invisible characters"),  # combining grapheme joiner
        ("Ada\ue000", "private-use"),
        ("Ada\U000f0000", "private-use"),
        ("Ada\U000e0080", "unassigned"),
        ("Ada\ufffe", "unassigned"),  # a noncharacter
        ("Ada\ud800", "surrogates"),
        ("x" * (MAX_NAME_CHARS + 1), "at most 50"),
        ("Z" + "\u0300\u0301\u0302\u0303\u0304\u0305\u0306", "accents"),
    ],
)
def test_refused_names_say_why(raw: str, says: str) -> None:
    with pytest.raises(TextRuleError, match=says):
        clean_name(raw)


def test_length_is_counted_after_normalization() -> None:
    # 50 decomposed letters are 100 code points in, 50 characters once composed.
    assert clean_name("e\u0301" * 50) == "\u00e9" * 50
    with pytest.raises(TextRuleError, match="at most 50"):
        clean_name("e\u0301" * 51)


def test_titles_follow_the_same_rules_with_their_own_limit() -> None:
    assert clean_title("  Friday   AMA 🎉 ") == "Friday AMA 🎉"
    assert clean_title("t" * 140) == "t" * 140
    for bad, says in [("t" * 141, "at most 140"), ("\u202eitle", "formatting"), ("a\nb", "line breaks")]:
        with pytest.raises(TextRuleError, match=says) as caught:
            clean_title(bad)
        assert caught.value.message.startswith("A title ")


def test_request_models_carry_the_rules_sentence() -> None:
    with pytest.raises(ValidationError) as caught:
        CreateSpaceRequest(title="ok", host_name="\u202eAda")
    (error,) = caught.value.errors()
    assert error["loc"] == ("host_name",) and error["msg"].startswith("A name can't contain")
    assert CreateSpaceRequest(title=" Friday ", host_name=" Ada ").host_name == "Ada"


def test_name_key_matches_case_and_width_variants() -> None:
    assert name_key("Ada") == name_key("ADA") == name_key("ａｄａ") == name_key("ada")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("e\u0301") == name_key("\u00e9")
    assert name_key("Ada") != name_key("Ada L")


@pytest.mark.parametrize(
    "reaction",
    [
        "👍",
        "👍🏽",
        SCOTLAND,
        "❤️",
        "❤",
        "🇯🇵",
        "👨\u200d👩\u200d👧",
        "🏳️\u200d🌈",
        "#️⃣",
        "👨🏻\u200d❤️\u200d💋\u200d👨🏼",
    ],
)
def test_one_emoji_is_a_reaction(reaction: str) -> None:
    assert check_reaction(reaction) == reaction
    assert ReactionRequest(emoji=reaction).emoji == reaction


@pytest.mark.parametrize(
    "reaction",
    [
        "",
        "hi",
        "1",
        "漢",  # CJK text
        "\u202e",  # right-to-left override
        "\u202e👍",
        "👍\u202e",
        "\u0085",  # C1 control
        "\u009b👍",
        "👍👍",
        "👍 ",
        "👍\u200b",
        "👍\ufe0f",
        "\u200d",
        "🇯🇵🇯🇵",
        "👍" * 20,
    ],
)
def test_anything_but_one_emoji_is_refused(reaction: str) -> None:
    with pytest.raises(TextRuleError, match="single emoji"):
        check_reaction(reaction)
    with pytest.raises(ValidationError, match="single emoji"):
        ReactionRequest(emoji=reaction)
