"""``record_event`` writes the event with one plain ``INSERT`` and moves the chain's head with
one plain ``UPDATE``; the rows must be what ``Event.save`` and the ORM would have written."""

from __future__ import annotations

import pytest

from workflows.events import record_event
from workflows.models import ChainHead, Event

pytestmark = pytest.mark.django_db


def row(event_id: int) -> dict:
    return Event.objects.filter(pk=event_id).values().get()


def test_it_writes_the_row_save_would_write(case, xunyang_officer):
    data = {"track": ["six_haves", "six_norms"], "note": '补充 "材料"', "n": 3, "x": None}
    head_before = ChainHead.objects.get(chain=f"case:{case.pk}")

    event = record_event(
        subject=Event.Subject.CASE,
        subject_id=case.pk,
        case=case,
        federation_id=case.union.federation_id,
        actor=xunyang_officer,
        action="update_track",
        from_stage=case.stage,
        to_stage=case.stage,
        comment="原因：测试",
        data=data,
        history_id=12345,
    )

    twin = Event(**{k: v for k, v in row(event.pk).items() if k != "id"})
    twin.save(force_insert=True)
    mine, theirs = row(event.pk), row(twin.pk)
    assert mine.pop("id") != theirs.pop("id")
    assert mine == theirs
    assert mine["data"] == data and mine["history_id"] == 12345
    stored = Event.objects.get(pk=event.pk)
    assert stored.compute_hash() == stored.hash == event.hash
    assert stored.prev_hash == head_before.hash
    assert stored.created_at == event.created_at
    assert event._state.adding is False and event.pk == stored.pk

    head = ChainHead.objects.get(chain=f"case:{case.pk}")
    assert (head.last_event_id, head.length, head.hash) == (
        event.pk,
        head_before.length + 1,
        event.hash,
    )


def test_it_starts_a_chain_that_has_no_head(xunyang_officer):
    first = record_event(
        subject=Event.Subject.UNION,
        subject_id=987654,
        actor=xunyang_officer,
        action="x",
        federation_id=None,
    )
    second = record_event(
        subject=Event.Subject.UNION, subject_id=987654, actor=None, action="y", federation_id=None
    )

    assert second.prev_hash == first.hash and first.prev_hash == ""
    head = ChainHead.objects.get(chain="union:987654")
    assert (head.last_event_id, head.length, head.hash) == (second.pk, 2, second.hash)
