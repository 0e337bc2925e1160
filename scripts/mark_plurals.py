"""Marks every message with ``%n`` in a Qt catalogue as a plural (``numerus``).

pyside6-lupdate recognises a plural only in ``self.tr(text, "", n)``; a
``QCoreApplication.translate(context, text, None, n)`` (module-level code) comes
out as a plain message, and lrelease then compiles no plural forms for it.
Every ``%n`` in this app is a count, so the rule is exact.
Usage: python scripts/mark_plurals.py CATALOGUE.ts
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MESSAGE = re.compile(
    r"<message>(\s*<source>[^<]*%n[^<]*</source>.*?)<translation([^>]*)>(.*?)</translation>", re.S
)


def mark(text: str) -> str:
    def plural(match: re.Match[str]) -> str:
        body, attributes, translation = match.groups()
        if "<numerusform" not in translation:
            translation = f"<numerusform>{translation}</numerusform>"
        return f'<message numerus="yes">{body}<translation{attributes}>{translation}</translation>'

    return MESSAGE.sub(plural, text)


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(mark(path.read_text(encoding="utf-8")), encoding="utf-8")
