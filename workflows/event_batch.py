"""Appending many events at once: the bulk twin of ``workflows.events.record_event``, for a
writer that opens or changes thousands of subjects in one transaction (the Excel import).

``record_events(events)`` writes exactly the rows that calling ``record_event`` once per event,
in the same order, would have written: the same chains, links, hashes, chain heads and
notifications. Only the statements differ; a handful per thousand events instead of about six
per event:

1. The heads of every chain the events extend are read and locked (``FOR UPDATE``, in chain
   order so two writers cannot deadlock) with one query per ``BATCH_SIZE`` chains. A chain
   begun before heads were kept is read from its events, as ``record_event`` does.
2. Each event is linked to the one before it in its chain and hashed in Python
   (``Event.compute_hash``), in the order given.
3. The events go in with ``bulk_create``, which hands back their ids in that order, so each
   chain's order by id is its order here.
4. New chains get their heads with one ``bulk_create``; existing heads move with one
   ``bulk_update`` (``ChainHead`` is not an audited model: it is the chains' checksum).
5. The notifications the subscriber (``notifications.dispatch``) derives from the events are
   written with one ``dispatch.write``: rows in this transaction, pushed on commit.

Call inside the transaction that holds the subjects' row locks (or that created the subjects),
as for ``record_event``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, prefetch_related_objects
from django.utils import timezone

from notifications import dispatch
from notifications.models import Notification

from .models import ChainHead, Event

# Chains read and events inserted per statement.
BATCH_SIZE = 1000


@dataclass
class _Tail:
    """Where a chain ends before this batch: its last hash (``""`` for a new chain), its length,
    and whether it has a head row to move (else one is created)."""

    hash: str = ""
    length: int = 0
    has_head: bool = False


def record_events(events: Iterable[Event]) -> list[Event]:
    """Append unsaved ``events`` to their subjects' chains and notify whoever they concern.

    Give each event what ``record_event`` takes as arguments (``subject``, ``subject_id``,
    ``actor``, ``action``, ``federation_id``, and ``case``, ``campaign_id``, stages,
    ``comment``, ``data``, ``history_id`` as they apply); ``chain``, ``prev_hash``, ``hash``
    and ``created_at`` are filled in here. Returns the events, saved.
    """
    events = list(events)
    if not events:
        return events
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        for event in events:
            event.chain = f"{event.subject}:{event.subject_id}"
            if event.campaign_id is None and event.case is not None:
                event.campaign_id = event.case.campaign_id
            event.created_at = now
        tails = _lock_tails(sorted({event.chain for event in events}))
        ends = {chain: tail.hash for chain, tail in tails.items()}
        for event in events:
            event.prev_hash = ends[event.chain]
            event.hash = event.compute_hash()
            ends[event.chain] = event.hash
        Event.objects.bulk_create(events, batch_size=BATCH_SIZE)
        if events[0].pk is None:  # pragma: no cover - every backend Django 5.2 supports returns ids
            raise RuntimeError(f"{connection.vendor} did not return the new events' ids")
        _advance_heads(events, tails)
        _notify(events)
    return events


def _lock_tails(chains: list[str]) -> dict[str, _Tail]:
    """Lock the heads of ``chains`` and read where each chain ends."""
    tails = {chain: _Tail() for chain in chains}
    for start in range(0, len(chains), BATCH_SIZE):
        for chain, length, digest in (
            ChainHead.objects.select_for_update()
            .filter(chain__in=chains[start : start + BATCH_SIZE])
            .order_by("chain")
            .values_list("chain", "length", "hash")
        ):
            tails[chain] = _Tail(hash=digest, length=length, has_head=True)
    # A chain without a head is new, or was begun before heads were kept: then its events say
    # where it ends (record_event reads the last one, and counts them for the head it creates).
    headless = [chain for chain, tail in tails.items() if not tail.has_head]
    for start in range(0, len(headless), BATCH_SIZE):
        found = list(
            Event.objects.filter(chain__in=headless[start : start + BATCH_SIZE])
            .order_by()
            .values("chain")
            .annotate(last=Max("id"), length=Count("id"))
            .values_list("chain", "last", "length")
        )
        lengths = {chain: length for chain, _last, length in found}
        if not lengths:
            continue
        last_ids = [last for _chain, last, _length in found]
        for chain, digest in Event.objects.filter(id__in=last_ids).values_list("chain", "hash"):
            tails[chain] = _Tail(hash=digest, length=lengths[chain])
    return tails


def _advance_heads(events: list[Event], tails: dict[str, _Tail]) -> None:
    """Move each chain's head to its last new event: what ``record_event`` does once per event,
    done once per chain."""
    last: dict[str, Event] = {}
    added: dict[str, int] = defaultdict(int)
    for event in events:
        last[event.chain] = event
        added[event.chain] += 1
    new_heads: list[ChainHead] = []
    moved: list[ChainHead] = []
    for chain, event in last.items():
        tail = tails[chain]
        head = ChainHead(
            chain=chain,
            last_event_id=event.pk,
            length=tail.length + added[chain],
            hash=event.hash,
        )
        (moved if tail.has_head else new_heads).append(head)
    ChainHead.objects.bulk_create(new_heads, batch_size=BATCH_SIZE)
    ChainHead.objects.bulk_update(moved, ["last_event_id", "length", "hash"], batch_size=BATCH_SIZE)


def _notify(events: list[Event]) -> list[Notification]:
    """What ``dispatch.event_recorded`` writes for each event, written with one ``write``."""
    kinds = {id(event): dispatch.kind_of(event) for event in events}
    concerned = [event for event in events if dispatch.RECIPIENTS.get(kinds[id(event)])]
    if not concerned:
        return []
    prefetch_related_objects(concerned, "case__union", "federation", "actor")
    audiences: dict[tuple[Any, ...], list] = {}
    drafts: list[dispatch.Draft] = []
    for event in concerned:
        kind = kinds[id(event)]
        # Who hears of an event depends on its kind, county and actor, and for the union's
        # reporters on its case: ask once per combination, not once per event.
        per_case = dispatch.REPORTERS in dispatch.RECIPIENTS[kind]
        key = (kind, event.federation_id, event.actor_id, event.case_id if per_case else None)
        if key not in audiences:
            audiences[key] = dispatch.recipients_for(kind, event)
        if not audiences[key]:
            continue
        params, link = dispatch.params_for(event), dispatch.link_for(event)
        drafts += [
            dispatch.Draft(user, kind, params, link=link, case_id=event.case_id, event_id=event.pk)
            for user in audiences[key]
        ]
    return dispatch.write(drafts) if drafts else []
