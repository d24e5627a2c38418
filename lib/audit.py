"""Saving an audited model: the one way services write a row so its history names who and why."""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any

from django.dispatch import receiver
from simple_history.manager import HistoryDescriptor
from simple_history.signals import post_create_historical_record

from lib.sql import insert, save_fields


def save_audited(obj: Any, actor: Any, reason: str, **kwargs: Any) -> int | None:
    """Save ``obj`` (loaded inside the caller's lock) with its simple-history row recording
    ``actor`` as ``history_user`` and ``reason`` as ``history_change_reason``.

    Returns the id of the history row this save wrote (``None`` for a model without history),
    so the event that records the action can link to it without reading it back.

    The model's own ``save`` runs as always (its signals included); the history row is the one
    simple-history's ``post_save`` would write (``_write_history``: the same instance, built the
    same way, the same signals around it), inserted with one plain statement instead of a
    second ``Model.save``. Models whose history needs more (many-to-many history, a history
    relation, history disabled) take simple-history's own path.
    """
    model = type(obj)
    _build_history_manager_once(model)
    obj._history_user = actor
    obj._change_reason = reason
    obj._written_history_id = None
    history = _light_history(model)
    if history is None or hasattr(obj, "skip_history_when_saving"):
        _save(obj, kwargs)
        return obj._written_history_id
    obj.skip_history_when_saving = True
    obj._audit_created = None
    try:
        _save(obj, kwargs)
    finally:
        del obj.skip_history_when_saving
        created = obj.__dict__.pop("_audit_created")
    if created is None:  # pragma: no cover - post_save always runs after a save
        raise RuntimeError(f"{model.__name__} was saved without post_save")
    return _write_history(obj, history, "+" if created else "~")


def _save(obj: Any, kwargs: dict[str, Any]) -> None:
    """``obj.save(**kwargs)``; a save of some fields of a saved row with its ``UPDATE`` compiled
    once (``lib.sql.save_fields``, which sends the same signals)."""
    if kwargs.keys() == {"update_fields"} and kwargs["update_fields"]:
        save_fields(obj, kwargs["update_fields"])
    else:
        obj.save(**kwargs)


def _write_history(obj: Any, history: type, history_type: str) -> int:
    """``HistoricalRecords.create_historical_record``, step for step, but the insert."""
    from django.db import router
    from django.utils import timezone
    from simple_history.signals import pre_create_historical_record
    from simple_history.utils import get_change_reason_from_object

    history_date = getattr(obj, "_history_date", timezone.now())
    history_user = obj._history_user
    history_change_reason = get_change_reason_from_object(obj)
    attrs = {field.attname: getattr(obj, field.attname) for field in history.tracked_fields}
    row = history(
        history_date=history_date,
        history_type=history_type,
        history_user=history_user,
        history_change_reason=history_change_reason,
        **attrs,
    )
    pre_create_historical_record.send(
        sender=history,
        instance=obj,
        history_date=history_date,
        history_user=history_user,
        history_change_reason=history_change_reason,
        history_instance=row,
        using=None,
    )
    db = router.db_for_write(history, instance=row)
    insert(row, db)
    post_create_historical_record.send(
        sender=history,
        instance=obj,
        history_instance=row,
        history_date=history_date,
        history_user=history_user,
        history_change_reason=history_change_reason,
        using=None,
    )
    return row.pk


@cache
def _light_history(model: type) -> type | None:
    """The history model ``save_audited`` may write itself, else ``None``: only a plain one
    (an auto-increment ``history_id``, no many-to-many history, no history relation), and it
    starts noting, on each saved instance, the ``created`` that ``post_save`` reports."""
    from django.conf import settings
    from django.db import connection, models

    name = getattr(getattr(model, "_meta", None), "simple_history_manager_attribute", None)
    if name is None or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    history = getattr(model, name).model
    if (
        history._history_m2m_fields
        or getattr(history, "history_relation", None) is not None
        or not isinstance(history._meta.pk, models.AutoField)
        or not connection.features.can_return_columns_from_insert
    ):
        return None
    models.signals.post_save.connect(
        _note_created, sender=model, weak=False, dispatch_uid=f"lib.audit.created.{model._meta}"
    )
    return history


def _note_created(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if "_audit_created" in instance.__dict__:
        instance._audit_created = created


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
