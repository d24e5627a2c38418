"""A row first, a push second: pushes leave only on commit, each to its recipient's group,
rendered in the recipient's language (DESIGN.md invariant 4)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import (
    DEFAULT_CHANNEL_LAYER,
    InMemoryChannelLayer,
    channel_layers,
    get_channel_layer,
)
from django.db import connection, connections, transaction
from django.utils import timezone

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.dispatch import Draft, write
from notifications.fanout import MESSAGE_TYPE, group_for
from notifications.models import Notification
from workflows.models import Event, Stage
from workflows.services import do_transition


class Listener:
    """A channel of the project's channel layer joined to users' groups, as a socket would be.

    The channel has an ordinary name (no ``!``), so with the Redis layer each drain can use its
    own layer instance: channels-redis binds a receive buffer to the event loop that made it,
    and every ``async_to_sync`` call runs a new loop.
    """

    def __init__(self, *users):
        self.layer = get_channel_layer()
        self.channel = f"listener.{uuid.uuid4().hex}"
        self.users = users
        for user in users:
            async_to_sync(self.layer.group_add)(group_for(user.pk), self.channel)

    def _receiver(self):
        if isinstance(self.layer, InMemoryChannelLayer):
            return self.layer
        return channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)

    def messages(self, wait: float = 0.3) -> list[dict]:
        receiver = self._receiver()

        async def drain():
            got = []
            while True:
                try:
                    got.append(await asyncio.wait_for(receiver.receive(self.channel), wait))
                except TimeoutError:
                    return got

        return async_to_sync(drain)()

    def pushed(self, wait: float = 0.3) -> list[dict]:
        """The notification objects delivered for this listener's users, as a consumer of each
        would forward them."""
        found = []
        for message in self.messages(wait):
            assert message["type"] == MESSAGE_TYPE
            for user in self.users:
                found += message["notifications"].get(str(user.pk), [])
        return found


def _submit(case, reporter):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    return do_transition(case.pk, "submit_survey", actor=reporter)


@pytest.mark.django_db
def test_it_pushes_nothing_before_the_commit(
    case, reporter, xunyang_officer, django_capture_on_commit_callbacks
):
    listener = Listener(xunyang_officer)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _submit(case, reporter)

    assert Notification.objects.filter(recipient=xunyang_officer, kind="submit_survey").exists()
    assert listener.messages() == []
    for callback in callbacks:
        callback()
    (pushed,) = listener.pushed()
    row = Notification.objects.get(recipient=xunyang_officer, kind="submit_survey")
    assert pushed["id"] == row.pk
    assert pushed["case"] == case.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_writes_and_pushes_nothing_when_the_transition_rolls_back(
    case, reporter, xunyang_officer
):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    listener = Listener(xunyang_officer)
    events_before = Event.objects.count()

    class ImportFailed(Exception):
        pass

    with pytest.raises(ImportFailed), transaction.atomic():
        do_transition(case.pk, "submit_survey", actor=reporter)
        assert Notification.objects.filter(kind="submit_survey").exists()  # written, in the txn
        raise ImportFailed  # a caller's later step fails: everything goes back

    case.refresh_from_db()
    assert case.stage == Stage.SURVEY
    assert Event.objects.count() == events_before
    assert not Notification.objects.filter(kind="submit_survey").exists()
    assert listener.messages(wait=0.5) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_pushes_once_the_transition_commits(case, reporter, xunyang_officer, xunyang_officer_2):
    listener = Listener(xunyang_officer, xunyang_officer_2)

    _submit(case, reporter)

    pushed = sorted(n["id"] for n in listener.pushed())
    rows = sorted(Notification.objects.filter(kind="submit_survey").values_list("id", flat=True))
    assert pushed == rows and len(rows) == 2


@pytest.mark.django_db
def test_it_pushes_to_each_recipient_in_their_language(
    case,
    reporter,
    xunyang_officer,
    xunyang_officer_2,
    chinese_catalogue,
    django_capture_on_commit_callbacks,
):
    xunyang_officer_2.language = "en"
    xunyang_officer_2.save(update_fields=["language"])
    zh, en = Listener(xunyang_officer), Listener(xunyang_officer_2)

    with django_capture_on_commit_callbacks(execute=True):
        _submit(case, reporter)

    union = case.union.name
    assert [n["text"] for n in zh.pushed()] == [f"{union} 已提交调查表。"]
    assert [n["text"] for n in en.pushed()] == [f"{union} submitted its survey."]


@pytest.mark.django_db
def test_it_chains_each_recipients_rows_by_previous(
    case, reporter, xunyang_officer, xunyang_officer_2, federation_officer
):
    write([Draft(xunyang_officer, "roster_stale", {"union": "甲"})])
    _submit(case, reporter)
    write(
        [
            Draft(xunyang_officer, "roster_stale", {"union": "乙"}),
            Draft(xunyang_officer, "roster_stale", {"union": "丙"}),
            Draft(xunyang_officer_2, "roster_stale", {"union": "丙"}),
        ]
    )

    for user in (xunyang_officer, xunyang_officer_2):
        rows = list(Notification.objects.filter(recipient=user).order_by("id"))
        assert [row.previous for row in rows] == [None] + [row.pk for row in rows[:-1]]
    assert Notification.objects.filter(recipient=xunyang_officer).count() == 4


@pytest.mark.django_db
def test_it_writes_a_reminder_once_per_recipient_and_key(xunyang_officer, xunyang_officer_2):
    drafts = [
        Draft(xunyang_officer, "survey_overdue", {"pending": 2}, dedupe_key="k"),
        Draft(xunyang_officer_2, "survey_overdue", {"pending": 2}, dedupe_key="k"),
    ]

    first = write(drafts)
    second = write(drafts + [Draft(xunyang_officer, "survey_overdue", {}, dedupe_key="k")])

    assert len(first) == 2
    assert second == []
    assert Notification.objects.filter(dedupe_key="k").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_makes_one_users_rows_commit_in_id_order(xunyang_officer, federation_officer):
    """Two transactions notifying one user: the second waits for the first to commit, so its
    row has the larger id and names the first as ``previous`` (what makes ``?after`` complete)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL (SQLite has one writer)")
    first_written, release, second_done = threading.Event(), threading.Event(), threading.Event()
    rows: dict[str, Notification] = {}

    def first():
        try:
            with transaction.atomic():
                (rows["first"],) = write([Draft(xunyang_officer, "roster_stale", {"union": "甲"})])
                first_written.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            first_written.wait(10)
            (rows["second"],) = write([Draft(xunyang_officer, "roster_stale", {"union": "乙"})])
            second_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_written.wait(10)
    assert not second_done.wait(0.7)  # blocked on the recipient's lock
    release.set()
    for thread in threads:
        thread.join(10)

    assert rows["second"].pk > rows["first"].pk
    assert rows["second"].previous == rows["first"].pk
