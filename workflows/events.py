"""Writing the event row of a business action (DESIGN.md invariant 1, STYLE.md 5)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from unions.models import User

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
    at a time.
    """
    chain = f"{subject}:{subject_id}"
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        prev = head.hash
    else:  # a chain begun before heads were kept (the migration backfills them), or a new one
        prev = (
            Event.objects.filter(chain=chain).order_by("-id").values_list("hash", flat=True).first()
        )
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
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    _advance_head(head, event)

    from notifications.dispatch import event_recorded

    event_recorded(event)
    return event


def _advance_head(head: ChainHead | None, event: Event) -> None:
    """Move the chain's head to ``event`` (same transaction), so a chain cut short is noticed."""
    if head is None:
        length = Event.objects.filter(chain=event.chain).count()
        ChainHead.objects.create(
            chain=event.chain, last_event_id=event.pk, length=length, hash=event.hash
        )
        return
    head.last_event_id = event.pk
    head.length += 1
    head.hash = event.hash
    head.save(update_fields=["last_event_id", "length", "hash"])


def record_case_event(
    case: Case,
    *,
    actor: User | None,
    action: str,
    from_stage: str,
    to_stage: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """An event about the case itself, linked to the history row its save just wrote."""
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
        history_id=latest_history_id(case),
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
