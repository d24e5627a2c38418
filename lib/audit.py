"""Saving an audited model: the one way services write a row so its history names who and why."""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any

from django.dispatch import receiver
from simple_history.manager import HistoryDescriptor
from simple_history.signals import post_create_historical_record


def save_audited(obj: Any, actor: Any, reason: str, **kwargs: Any) -> int | None:
    """Save ``obj`` (loaded inside the caller's lock) with its simple-history row recording
    ``actor`` as ``history_user`` and ``reason`` as ``history_change_reason``.

    Returns the id of the history row this save wrote (``None`` for a model without history),
    so the event that records the action can link to it without reading it back.
    """
    _build_history_manager_once(type(obj))
    obj._history_user = actor
    obj._change_reason = reason
    obj._written_history_id = None
    obj.save(**kwargs)
    return obj._written_history_id


@receiver(post_create_historical_record, dispatch_uid="lib.audit.note_history_row")
def _note_history_row(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """simple-history inserts the history row with ``RETURNING`` its id but hands it back only
    through this signal: note it on the saved instance for ``save_audited`` to return."""
    instance._written_history_id = history_instance.pk


class _OneManagerClassHistoryDescriptor(HistoryDescriptor):
    """``Model.history`` as simple-history serves it, with its manager class built once.

    simple-history's descriptor builds a new class (``HistoryManager.from_queryset(...)``,
    which walks the queryset class with ``inspect``) on every access, and its ``post_save``
    accesses it once per history row written: about a third of the Python work of saving a
    case. The class it builds is the same each time, so building it once changes nothing else.
    """

    @cached_property
    def _manager_class(self) -> type:
        return self.manager_class.from_queryset(self.queryset_class)

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self._manager_class(self.model, instance)


@cache
def _build_history_manager_once(model: type) -> None:
    # Not a model class (a lazy wrapper such as ``request.user``'s): leave it as it is.
    name = getattr(getattr(model, "_meta", None), "simple_history_manager_attribute", None)
    descriptor = model.__dict__.get(name) if name else None
    if type(descriptor) is HistoryDescriptor:
        descriptor.__class__ = _OneManagerClassHistoryDescriptor
