"""Writing the event row of a business action (DESIGN.md invariant 1, STYLE.md 5)."""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.utils import timezone

from lib.sql import insert, quoted_column, quoted_table
from unions.models import Federation, Union, User

from .models import Case, ChainHead, Event


def record_event(
    *,
    subject: str,
    subject_id: int,
    actor: User | None,
    action: str,
    federation_id: int | None,
    case: Case | None = None,
    campaign_id: int | None = None,
    from_stage: str = "",
    to_stage: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    history_id: int | None = None,
) -> Event:
    """Append one event to its subject's chain and hand it to the notification subscriber.

    Call inside the transaction that holds the subject's row lock, so each chain has one writer
    at a time. Three statements: read (and lock) the chain's head, insert the event, move the
    head; the subscriber adds its own (``notifications.dispatch.event_recorded``). They are
    plain statements (``_statements``): this runs in every transition, where the querysets'
    building and compiling cost more than their round trips (``bench/bench_transitions.py``).
    """
    chain = f"{subject}:{subject_id}"
    db = router.db_for_write(Event)
    connection = connections[db]
    sql = _statements(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql["head"], [chain])
        head = cursor.fetchone()
    if head is not None:
        prev, length = head
    else:  # a chain begun before heads were kept (the migration backfills them), or a new one
        prev = (
            Event.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True).first()
        )
        length = Event.objects.filter(chain=chain).count() if prev is not None else 0
    event = Event(
        subject=subject,
        subject_id=subject_id,
        case=case,
        campaign_id=campaign_id
        if campaign_id is not None
        else (case.campaign_id if case else None),
        federation_id=federation_id,
        actor=actor,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        comment=comment,
        data=data or {},
        history_id=history_id,
        created_at=timezone.now(),
        chain=chain,
        prev_hash=prev or "",
    )
    federation = _loaded_federation(case, federation_id)
    if federation is not None:
        event.federation = federation  # what the notifications name, without reading it again
    event.hash = event.compute_hash()
    insert(event, db)  # its save, without the machinery: Event has no save signals
    if head is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql["move"], [event.pk, length + 1, event.hash, chain])
    else:
        ChainHead.objects.create(
            chain=chain, last_event_id=event.pk, length=length + 1, hash=event.hash
        )

    from notifications.dispatch import event_recorded

    event_recorded(event)
    return event


_STATEMENTS: dict[str, dict[str, str]] = {}


def _statements(connection: Any) -> dict[str, str]:
    """``record_event``'s statements on the chain's head (the event's own insert is
    ``lib.sql.insert``), built once per database vendor from the model's table and columns."""
    found = _STATEMENTS.get(connection.vendor)
    if found is not None:
        return found
    head = quoted_table(connection, ChainHead)

    def col(name: str) -> str:
        return quoted_column(connection, ChainHead, name)

    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    statements = {
        "head": f"SELECT {col('hash')}, {col('length')} FROM {head} "  # noqa: S608  # nosec B608
        f"WHERE {col('chain')} = %s{lock}",
        "move": f"UPDATE {head} SET {col('last_event_id')} = %s, {col('length')} = %s, "  # noqa: S608  # nosec B608
        f"{col('hash')} = %s WHERE {col('chain')} = %s",
    }
    return _STATEMENTS.setdefault(connection.vendor, statements)


def _loaded_federation(case: Case | None, federation_id: int | None) -> Federation | None:
    """The event's county when the caller already loaded it with the case's union."""
    if case is None or federation_id is None or not Case.union.is_cached(case):
        return None
    union = case.union
    if union.federation_id != federation_id or not Union.federation.is_cached(union):
        return None
    return union.federation


def record_case_event(
    case: Case,
    *,
    actor: User | None,
    action: str,
    from_stage: str,
    to_stage: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    history_id: int | None = None,
) -> Event:
    """An event about the case itself, linked to the history row its save just wrote: pass the
    id ``save_audited`` returned, else the case's newest history row is read."""
    return record_event(
        subject=Event.Subject.CASE,
        subject_id=case.pk,
        case=case,
        federation_id=case.union.federation_id,
        actor=actor,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        comment=comment,
        data=data,
        history_id=history_id if history_id is not None else latest_history_id(case),
    )


def latest_history_id(obj: Any) -> int | None:
    return obj.history.order_by("-history_id").values_list("history_id", flat=True).first()


def last_actor_id(subject: str, subject_id: int, action: str) -> int | None:
    """Who last did ``action`` to this subject (for the no-self-approval conditions)."""
    return (
        Event.objects.filter(subject=subject, subject_id=subject_id, action=action)
        .order_by("-id")
        .values_list("actor_id", flat=True)
        .first()
    )
