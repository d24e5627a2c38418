"""Small pieces of text shared by pages, messages and exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import get_language, pgettext


def join_list(items: Iterable[Any]) -> str:
    """The items as one phrase in the active language: "甲、乙、丙" in Chinese, "a, b, c" in
    English (the separator is translated, so each language gets its own punctuation)."""
    return pgettext("separator between the items of a list", ", ").join(str(item) for item in items)


def join_sentences(sentences: Iterable[Any]) -> str:
    """Whole sentences as one text in the active language: Chinese runs straight on after its
    full stop "。", English leaves a space. (Not a translated separator as in ``join_list``:
    gettext cannot translate a string to nothing.)"""
    separator = "" if (get_language() or "").startswith("zh") else " "
    return separator.join(str(item) for item in sentences)
