"""Appending events in bulk (``workflows.event_batch.record_events``) writes what appending them
one at a time with ``record_event`` writes: the same chains, links, hashes, chain heads and
notifications, with the notifications pushed once the transaction commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tests.conftest import PASSWORD, WUNING, XUNYANG, on_postgres
from tests.notifications.test_push import Listener
from unions.models import Federation, Role
from unions.services import do_create_user
from workflows.event_batch import record_events
from workflows.events import record_event
from workflows.management.commands.verify_audit import verify_all
from workflows.models import ChainHead, Event, Stage

pytestmark = pytest.mark.django_db

NOW = datetime(2022, 9, 1, 2, 30, tzinfo=UTC)
COMPARED = (
    "subject",
    "subject_id",
    "case_id",
    "campaign_id",
    "federation_id",
    "actor_id",
    "action",
    "from_stage",
    "to_stage",
    "comment",
    "data",
    "history_id",
    "created_at",
    "chain",
    "prev_hash",
    "hash",
)


@pytest.fixture
def clock(monkeypatch):
    """Both paths stamp their events with the same instant, so their hashes can be compared."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


@pytest.fixture
def wuning_reporter(wuning_union):
    return do_create_user(
        username="wuning-reporter",
        role=Role.UNION_REPORTER,
        password=PASSWORD,
        union_id=wuning_union.pk,
        display_name="填报员 黄芳",
    )


def specs(case, wuning_case, *, reporter, wuning_reporter, county, federation_officer):
    """``record_event``'s arguments for a batch that touches every kind of chain: one with a
    head and several new events (whose notifications reach the county, the reporters, never
    the actor), one begun before heads were kept, and two new ones."""
    xunyang = Federation.objects.get(code=XUNYANG).pk
    wuning = Federation.objects.get(code=WUNING).pk

    def on_case(c, federation_id, action, source, target, actor, comment=""):
        return {
            "subject": Event.Subject.CASE,
            "subject_id": c.pk,
            "case": c,
            "federation_id": federation_id,
            "actor": actor,
            "action": action,
            "from_stage": source,
            "to_stage": target,
            "comment": comment,
        }

    return [
        on_case(case, xunyang, "submit_survey", Stage.SURVEY, Stage.SURVEY_REVIEW, reporter),
        on_case(wuning_case, wuning, "submit_survey", "survey", "survey_review", wuning_reporter),
        on_case(case, xunyang, "return_survey", "survey_review", "survey", county, "缺会员名册"),
        {
            "subject": Event.Subject.SUMMARY,
            "subject_id": 7001,
            "federation_id": xunyang,
            "campaign_id": case.campaign_id,
            "actor": county,
            "action": "submit",
            "comment": "浔阳区年度总结",
            "data": {"cases": 1, "rate": 0.5, "note": "上报"},
        },
        {
            "subject": Event.Subject.SUBSIDY,
            "subject_id": 7002,
            "case": case,
            "federation_id": xunyang,
            "actor": county,
            "action": "submit",
            "from_stage": "draft",
            "to_stage": "submitted",
            "data": {"amount": "8000.00"},
            "history_id": 12345,
        },
        on_case(
            wuning_case, wuning, "return_survey", "survey_review", "survey", federation_officer
        ),
        on_case(case, xunyang, "update_track", "survey", "survey", None, "成立日期更正"),
    ]


def written_since(last_event: int, last_notification: int) -> dict[str, Any]:
    """What was written after the given ids, with ids replaced by positions, so two runs that
    drew different numbers from the sequences compare equal when they wrote the same rows."""
    events = list(Event.objects.filter(id__gt=last_event).order_by("id"))
    position = {event.pk: n for n, event in enumerate(events)}
    heads = {
        head.chain: (position.get(head.last_event_id, "old"), head.length, head.hash)
        for head in ChainHead.objects.filter(chain__in={e.chain for e in events})
    }
    rows = list(Notification.objects.filter(id__gt=last_notification).order_by("id"))
    per_user: dict[int, list] = defaultdict(list)
    seen: dict[int, tuple[int, int]] = {}
    for row in rows:
        mine = per_user[row.recipient_id]
        previous = seen.get(row.previous, row.previous)  # a new row by its place, an old by id
        seen[row.pk] = (row.recipient_id, len(mine))
        mine.append(
            (
                row.kind,
                row.params,
                row.link,
                row.case_id,
                position[row.event_id],
                previous,
                row.dedupe_key,
            )
        )
    return {
        "events": [{name: getattr(event, name) for name in COMPARED} for event in events],
        "heads": heads,
        "notifications": dict(per_user),
    }


def high_water() -> tuple[int, int]:
    return (
        Event.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0,
    )


def test_it_writes_what_record_event_writes_one_at_a_time(
    clock,
    case,
    wuning_case,
    reporter,
    wuning_reporter,
    xunyang_officer,
    xunyang_officer_2,
    wuning_officer,
    federation_officer,
    leader,
    leader_2,
):
    # The 武宁县 case's chain from before heads were kept: its events, no head.
    ChainHead.objects.filter(chain=f"case:{wuning_case.pk}").delete()
    batch = specs(
        case,
        wuning_case,
        reporter=reporter,
        wuning_reporter=wuning_reporter,
        county=xunyang_officer,
        federation_officer=federation_officer,
    )
    last = high_water()

    with transaction.atomic():
        one_at_a_time = transaction.savepoint()
        for spec in batch:
            record_event(**spec)
        expected = written_since(*last)
        transaction.savepoint_rollback(one_at_a_time)

    assert written_since(*last) == {"events": [], "heads": {}, "notifications": {}}
    record_events(Event(**spec) for spec in batch)
    written = written_since(*last)

    assert written == expected
    # And what was expected is the whole story, not an empty one.
    assert [e["prev_hash"] != "" for e in written["events"]] == [
        True,
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert written["heads"][f"case:{case.pk}"][:2] == (6, 4)  # create + three in this batch
    assert written["heads"][f"case:{wuning_case.pk}"][:2] == (5, 3)  # counted from its events
    assert written["heads"]["summary:7001"][:2] == (3, 1)
    assert written["heads"]["subsidy:7002"][:2] == (4, 1)
    notified = {user: [n[0] for n in rows] for user, rows in written["notifications"].items()}
    assert notified == {
        xunyang_officer.pk: ["submit_survey"],
        xunyang_officer_2.pk: ["submit_survey", "return_survey"],
        reporter.pk: ["return_survey"],
        wuning_officer.pk: ["submit_survey", "return_survey"],
        wuning_reporter.pk: ["return_survey"],
        federation_officer.pk: ["summary_submit"],
        leader.pk: ["subsidy_submit"],  # linked to 浔阳区; leader_2 is not
    }
    assert written["notifications"][xunyang_officer_2.pk][1][5] == (xunyang_officer_2.pk, 0)
    assert verify_all() == []


def test_its_statements_do_not_grow_with_the_events(
    case, xunyang_officer, xunyang_officer_2, federation_officer
):
    xunyang = Federation.objects.get(code=XUNYANG).pk

    def batch(first: int, n: int) -> list[Event]:
        """``n`` new chains, ``n`` events appended to the case's chain, and three events that
        notify (``dispatch.write`` spends a statement per row it writes to the same user)."""
        new_chains = [
            Event(
                subject=Event.Subject.SUMMARY,
                subject_id=first + k,
                federation_id=xunyang,
                campaign_id=case.campaign_id,
                actor=xunyang_officer,
                action="create",
            )
            for k in range(n)
        ]
        on_case = [
            Event(
                subject=Event.Subject.CASE,
                subject_id=case.pk,
                case=case,
                federation_id=xunyang,
                actor=xunyang_officer,
                action="update_track",
                from_stage="survey",
                to_stage="survey",
            )
            for _ in range(n)
        ]
        notifying = [
            Event(
                subject=Event.Subject.SUMMARY,
                subject_id=first + k,
                federation_id=xunyang,
                campaign_id=case.campaign_id,
                actor=xunyang_officer_2 if k else xunyang_officer,
                action="submit",
            )
            for k in range(3)
        ]
        return new_chains + on_case + notifying

    counts = []
    for first, n in ((1000, 20), (2000, 400)):
        with CaptureQueriesContext(connection) as queries:
            record_events(batch(first, n))
        counts.append(len(queries))

    assert counts[0] <= 14
    # 783 more events: on PostgreSQL not one more statement; on SQLite, whose statements take
    # at most 999 parameters, one more INSERT per 62 events or 249 heads.
    assert counts[1] - counts[0] <= 783 / 50
    if on_postgres():
        assert counts[0] == counts[1]
    assert ChainHead.objects.get(chain=f"case:{case.pk}").length == 1 + 20 + 400
    assert ChainHead.objects.get(chain="summary:2000").length == 2
    assert Notification.objects.filter(recipient=federation_officer).count() == 6
    assert verify_all() == []


def test_it_pushes_the_notifications_only_once_the_transaction_commits(
    case, reporter, xunyang_officer, xunyang_officer_2, django_capture_on_commit_callbacks
):
    listener = Listener(xunyang_officer, xunyang_officer_2)
    xunyang = Federation.objects.get(code=XUNYANG).pk
    event = Event(
        subject=Event.Subject.CASE,
        subject_id=case.pk,
        case=case,
        federation_id=xunyang,
        actor=reporter,
        action="submit_survey",
        from_stage="survey",
        to_stage="survey_review",
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_events([event])
    assert listener.pushed(wait=0.1) == []
    rows = list(Notification.objects.filter(event=event).order_by("id"))
    assert [row.recipient for row in rows] == [xunyang_officer, xunyang_officer_2]

    for callback in callbacks:
        callback()

    pushed = listener.pushed()
    assert sorted(p["id"] for p in pushed) == [row.pk for row in rows]
    assert {p["case"] for p in pushed} == {case.pk}
