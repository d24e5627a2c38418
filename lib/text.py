"""Small pieces of text shared by pages, messages and exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import pgettext


def join_list(items: Iterable[Any]) -> str:
    """The items as one phrase in the active language: "甲、乙、丙" in Chinese, "a, b, c" in
    English (the separator is translated, so each language gets its own punctuation)."""
    return pgettext("separator between the items of a list", ", ").join(str(item) for item in items)
