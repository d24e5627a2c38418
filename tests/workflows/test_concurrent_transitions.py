"""Two officers press the same button at the same moment (PostgreSQL, real row locks).

Each officer runs on its own thread with its own database connection. A barrier inside
``do_transition`` (just before the case row is locked) lets both in together; the one that gets
the lock then waits until PostgreSQL shows the other connection blocked on that lock before it
commits. So the loser demonstrably waited on the row lock, then read the new stage: exactly one
success, one Conflict (409), one event and one history row.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from lib.errors import Conflict
from tests.conftest import on_postgres
from workflows import services
from workflows.models import Event, Stage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(),
        reason="needs PostgreSQL: SQLite has no row locks (it serialises whole-database writes)",
    ),
    # serialized_rollback: restore the federations the migrations load, which a flush removes
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 15


def backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(monkeypatch, actors: list, press) -> dict:
    """Run ``press(actor)`` for each actor at once, each on its own thread and connection;
    return {username: what press returned, or the exception it raised}."""
    inside = threading.Barrier(len(actors), timeout=TIMEOUT)
    real_get_case = services.get_case_for_user
    real_record = services.record_case_event

    def get_case_for_user(user, pk, *, lock=False):
        if lock:
            inside.wait()  # every actor is inside do_transition's transaction, none holds the lock
        return real_get_case(user, pk, lock=lock)

    def record_case_event(case, **kwargs):
        # The winner holds the row lock here; do not commit before the other is seen waiting on it.
        deadline = time.monotonic() + TIMEOUT
        while backends_waiting_on_a_lock() < len(actors) - 1:
            assert time.monotonic() < deadline, "the other officer never blocked on the row lock"
            time.sleep(0.02)
        return real_record(case, **kwargs)

    monkeypatch.setattr(services, "get_case_for_user", get_case_for_user)
    monkeypatch.setattr(services, "record_case_event", record_case_event)

    outcome: dict = {}

    def run(actor):
        try:
            outcome[actor.username] = press(actor)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            outcome[actor.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcome


@pytest.mark.parametrize(
    ("stage", "name", "target", "persona_names"),
    [
        (
            Stage.SURVEY_REVIEW,
            "accept_survey",
            Stage.ASSESSMENT,
            ("xunyang_officer", "xunyang_officer_2"),
        ),
        (
            Stage.ASSESSMENT_REVIEW,
            "approve_assessment",
            Stage.GUIDANCE,
            ("federation_officer", "federation_officer_2"),
        ),
    ],
    ids=["accept_survey", "approve_assessment"],
)
def test_it_lets_exactly_one_of_two_simultaneous_officers_through(
    request, monkeypatch, walk_case, stage, name, target, persona_names
):
    case = walk_case(stage)
    actors = [request.getfixturevalue(persona) for persona in persona_names]
    events_before = Event.objects.filter(case=case).count()
    history_before = case.history.count()

    def press(actor):
        services.do_transition(case.pk, name, actor=actor, comment="同时点击")
        return "ok"

    outcome = race(monkeypatch, actors, press)

    winners = [user for user, result in outcome.items() if result == "ok"]
    losers = [result for result in outcome.values() if result != "ok"]
    assert len(winners) == 1, outcome
    assert len(losers) == 1 and isinstance(losers[0], Conflict), outcome
    assert losers[0].reason  # a reason a person can read: the stage has moved on
    case.refresh_from_db()
    assert case.stage == target
    events = Event.objects.filter(case=case, action=name)
    assert events.count() == 1
    assert events.get().actor.username == winners[0]
    assert Event.objects.filter(case=case).count() == events_before + 1
    assert case.history.count() == history_before + 1
    assert case.history.order_by("-history_id").first().history_user.username == winners[0]


def test_it_answers_the_losing_officer_409_through_the_api(
    monkeypatch, walk_case, xunyang_officer, xunyang_officer_2
):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    case = walk_case(Stage.SURVEY_REVIEW)
    tokens = {
        u.username: Token.objects.create(user=u).key for u in (xunyang_officer, xunyang_officer_2)
    }

    def press(actor):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[actor.username]}")
        response = client.post(
            f"/api/v1/cases/{case.pk}/transitions/accept_survey/",
            {"comment": "同时"},
            format="json",
        )
        return response.status_code, response.data

    outcome = race(monkeypatch, [xunyang_officer, xunyang_officer_2], press)

    statuses = sorted(status for status, _body in outcome.values())
    assert statuses == [200, 409], outcome
    conflict = next(body for status, body in outcome.values() if status == 409)
    assert set(conflict) == {"detail", "reason"} and conflict["reason"]
    assert Event.objects.filter(case=case, action="accept_survey").count() == 1
