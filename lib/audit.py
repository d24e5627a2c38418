"""Saving an audited model: the one way services write a row so its history names who and why."""

from __future__ import annotations

from typing import Any


def save_audited(obj: Any, actor: Any, reason: str, **kwargs: Any) -> None:
    """Save ``obj`` (loaded inside the caller's lock) with its simple-history row recording
    ``actor`` as ``history_user`` and ``reason`` as ``history_change_reason``."""
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)
