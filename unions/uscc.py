"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), organisation type (1), administrative division code
(6 digits), organisation code (9), check character (1). The check character is computed over the
first 17 with weights 3^i mod 31 on the 31-character alphabet below (digits and capital letters
without I, O, Z, S, V, which are too easily misread).
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

# What ``problem`` finds wrong, first failing check first.
LENGTH = "length"
CHARACTERS = "characters"
DIVISION = "division"
CHECK = "check"


def normalize(code: str) -> str:
    """As officers type it: surrounding spaces dropped, letters in capitals."""
    return code.strip().upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """None when ``code`` (normalized) is a valid code, else which check it fails:
    ``LENGTH``, ``CHARACTERS``, ``DIVISION`` or ``CHECK``."""
    code = normalize(code)
    if len(code) != 18:
        return LENGTH
    if any(c not in _VALUE for c in code):
        return CHARACTERS
    if not code[2:8].isdigit():
        return DIVISION
    if check_character(code[:17]) != code[17]:
        return CHECK
    return None


def is_valid(code: str) -> bool:
    return problem(code) is None


def make(first17: str) -> str:
    """Complete a 17-character prefix with its check character (used by demo data and tests)."""
    return first17 + check_character(first17)
