"""The Excel import writes the ``create`` event of every case it opens in bulk: the same events,
chains and heads as one ``record_event`` per case, an audit trail ``verify_audit`` accepts, and a
number of statements that does not grow with the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inspections import excel, imports, services
from inspections.models import ImportJob
from inspections.survey import example_survey, flatten
from notifications.models import Notification
from tests.conftest import XUNYANG
from unions import uscc
from workflows.events import record_event
from workflows.management.commands.verify_audit import verify_all
from workflows.models import Case, ChainHead, Event

pytestmark = pytest.mark.django_db

TODAY = date(2022, 9, 1)
NOW = datetime(2022, 9, 1, 2, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def roster(count: int, *, first: int = 0, also: list[dict] | None = None) -> bytes:
    rows = [
        {
            "union.name": f"九江浔阳批量测试第{n + 1:04d}号工会",
            "union.union_type": "enterprise",
            "union.ownership": "private",
            "union.founded_on": (
                date(2022, 5, 20) - timedelta(days=30 + 97 * (n % 60))
            ).isoformat(),
            "union.credit_code": uscc.make(f"91{XUNYANG}MC{n:07d}"),
            "union.address": f"九江市浔阳区九华门路{n + 1}号",
            "union.contact_name": "李娜",
            "union.contact_phone": f"0792-84{n:05d}",
            **flatten(example_survey()),
        }
        for n in range(first, first + count)
    ]
    return excel.build_template(rows + (also or []))


def run(officer, campaign, content: bytes) -> ImportJob:
    job = imports.do_start_import(
        actor=officer,
        campaign=campaign,
        federation=None,
        file_name="批量.xlsx",
        content=content,
        start=False,
    )
    job = imports.run_import(job.pk)
    assert job.state == ImportJob.State.DONE, job.errors
    return job


def one_at_a_time(events) -> list[Event]:
    """What the import did before: one ``record_event`` per event."""
    return [
        record_event(
            subject=event.subject,
            subject_id=event.subject_id,
            case=event.case,
            campaign_id=event.campaign_id,
            federation_id=event.federation_id,
            actor=event.actor,
            action=event.action,
            from_stage=event.from_stage,
            to_stage=event.to_stage,
            comment=event.comment,
            data=event.data,
            history_id=event.history_id,
        )
        for event in events
    ]


def events_written(after: int) -> dict[str, Any]:
    """Each new event by its union's name, with what depends on the run's ids (the case, its
    chain and history row, the head) checked against the rows it must name."""
    written = {}
    events = Event.objects.filter(id__gt=after).select_related("case__union").order_by("id")
    for event in events:
        case = event.case
        head = ChainHead.objects.get(chain=event.chain)
        written[case.union.name] = {
            "action": event.action,
            "stages": (event.from_stage, event.to_stage),
            "actor": event.actor_id,
            "comment": event.comment,
            "county": event.federation_id == case.union.federation_id,
            "campaign": event.campaign_id,
            "data": event.data,
            "at": event.created_at,
            "subject": (event.subject, event.subject_id == case.pk),
            "chain": event.chain == f"case:{case.pk}",
            "first in its chain": event.prev_hash == "",
            "hash": event.hash == event.compute_hash(),
            "case's creation": event.history_id
            == Case.history.get(id=case.pk, history_type="+").history_id,
            "head": (head.last_event_id == event.pk, head.length, head.hash == event.hash),
        }
    return written


def test_it_writes_the_events_one_record_event_per_case_would(
    monkeypatch, campaign, xunyang_officer, xunyang_union
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)  # the hashes cover the time
    content = roster(6, also=[{"union.name": xunyang_union.name, "employees": 40}])
    last = Event.objects.order_by("-id").values_list("id", flat=True).first()
    notifications = Notification.objects.count()

    with transaction.atomic():
        before = transaction.savepoint()
        with monkeypatch.context() as patch:
            patch.setattr(imports, "record_events", one_at_a_time)
            run(xunyang_officer, campaign, content)
        expected = events_written(last)
        transaction.savepoint_rollback(before)

    assert not Case.objects.filter(campaign=campaign).exists()
    job = run(xunyang_officer, campaign, content)

    assert job.summary["cases_opened"] == 7
    assert events_written(last) == expected
    assert expected[xunyang_union.name] == {
        "action": "create",
        "stages": ("", "survey"),
        "actor": xunyang_officer.pk,
        "comment": "Excel 导入: 批量.xlsx",
        "county": True,
        "campaign": campaign.pk,
        "data": {},
        "at": NOW,
        "subject": ("case", True),
        "chain": True,
        "first in its chain": True,
        "hash": True,
        "case's creation": True,
        "head": (True, 1, True),
    }
    assert len(expected) == 7
    assert all(event == expected[xunyang_union.name] for event in expected.values())
    assert Notification.objects.count() == notifications  # nobody is told of a case opened
    assert verify_all() == []


def test_its_statements_do_not_grow_with_the_rows(campaign, xunyang_officer):
    counts = []
    for first, count in ((0, 4), (100, 30)):
        content = roster(count, first=first)
        job = imports.do_start_import(
            actor=xunyang_officer,
            campaign=campaign,
            federation=None,
            file_name=f"{count}.xlsx",
            content=content,
            start=False,
        )
        with CaptureQueriesContext(connection) as queries:
            job = imports.run_import(job.pk)
        assert job.state == ImportJob.State.DONE, job.errors
        assert job.summary["cases_opened"] == count
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    assert Event.objects.filter(action="create", case__campaign=campaign).count() == 34
    assert verify_all() == []
