"""Characters that do not show as themselves: control, format (bidi, zero-width) and separators.

A group number written as ``U+202E 24 U+202C`` is displayed as 42; an ESC in a
title makes the XMP packet invalid XML. The identity rules reject these
characters (``hidden-character``), and the archive's metadata shows each one as
its code point (``U+202E``) instead of the character.
"""

from __future__ import annotations

import unicodedata

#: Kept as they are: tab and line feed are ordinary text.
_ALLOWED = frozenset("\t\n")


def is_hidden(char: str) -> bool:
    """Control (C0, DEL, C1), format (bidi controls, zero-width, BOM), line/paragraph separator."""
    if char in _ALLOWED:
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def hidden_characters(text: str) -> list[tuple[int, str]]:
    """``(offset, character)`` of every hidden character in ``text``."""
    return [(index, char) for index, char in enumerate(text) if is_hidden(char)]


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; control characters, which have no name, by their kind."""
    name = unicodedata.name(char, "")
    if not name:
        category = unicodedata.category(char)
        name = {"Cc": "a control character", "Cs": "a surrogate"}.get(category, "a character without a name")
        return f"U+{ord(char):04X}, {name}"
    return f"U+{ord(char):04X} {name}"


def visible(text: str) -> str:
    """``text`` with each hidden character written as its code point, ``U+001B``: valid XML, nothing hidden."""
    return "".join(f"U+{ord(c):04X}" if is_hidden(c) or _not_xml(c) else c for c in text)


def _not_xml(char: str) -> bool:
    """Not allowed in an XML 1.0 document, not even as a character reference."""
    return ord(char) in (0xFFFE, 0xFFFF)
