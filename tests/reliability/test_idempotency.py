"""A transition retried with the same ``Idempotency-Key`` returns the first answer and changes
nothing, also when the two requests arrive at the same moment (lib/api.py ``@idempotent``)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from tests.conftest import on_postgres
from workflows.models import Case, Event

TRANSITION = "/api/v1/cases/{}/transitions/submit_survey/"


@pytest.fixture
def ready_case(case, xunyang_officer):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    return case


def transition_events(case) -> int:
    return Event.objects.filter(case=case, action="submit_survey").count()


def test_it_replays_the_first_answer_to_a_retry_and_changes_nothing(
    api, ready_case, xunyang_officer
):
    client = api.as_user(xunyang_officer)
    url = TRANSITION.format(ready_case.pk)
    first = client.post(url, {"comment": "材料已齐"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    history_rows = ready_case.history.count()
    second = client.post(
        url, {"comment": "材料已齐"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )

    assert first.status_code == 200, first.content
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["stage"] == "survey_review"
    assert transition_events(ready_case) == 1
    assert ready_case.history.count() == history_rows


def test_it_answers_a_new_key_on_the_same_transition_with_a_conflict(
    api, ready_case, xunyang_officer
):
    client = api.as_user(xunyang_officer)
    url = TRANSITION.format(ready_case.pk)
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert again.status_code == 409
    assert transition_events(ready_case) == 1


def test_it_refuses_a_key_reused_for_another_request(api, ready_case, wuning_case, xunyang_officer):
    client = api.as_user(xunyang_officer)
    assert (
        client.post(
            TRANSITION.format(ready_case.pk), {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
        ).status_code
        == 200
    )
    other = client.post(
        f"/api/v1/cases/{ready_case.pk}/transitions/return_survey/",
        {"comment": "退回"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 400
    assert "Idempotency-Key" in other.json()["errors"]
    assert Case.objects.get(pk=ready_case.pk).stage == "survey_review"


def test_it_does_not_remember_a_failed_answer(api, case, xunyang_officer):
    """The survey is empty: 409. Once it is filled, the same key may try again and succeed."""
    client = api.as_user(xunyang_officer)
    url = TRANSITION.format(case.pk)
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 409
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200


def test_it_keys_per_user(api, ready_case, xunyang_officer, xunyang_officer_2):
    url = TRANSITION.format(ready_case.pk)
    assert (
        api.as_user(xunyang_officer)
        .post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="same")
        .status_code
        == 200
    )
    other = APIClient()
    from rest_framework.authtoken.models import Token

    other.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=xunyang_officer_2).key}"
    )
    assert other.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 409


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Activity statistics are a snapshot per transaction unless cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.skipif(
    not on_postgres(), reason="needs PostgreSQL: two connections racing on real row locks"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_changes_once_when_two_requests_with_one_key_race(ready_case, xunyang_officer):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=xunyang_officer).key
    url = TRANSITION.format(ready_case.pk)
    answers: list = [None, None]

    def send(slot: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            answers[slot] = client.post(
                url, {"comment": "同时提交"}, format="json", HTTP_IDEMPOTENCY_KEY="double-click"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(slot,)) for slot in (0, 1)]
    # Hold the case's row lock so both requests are inside the application before either acts.
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=ready_case.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_locks() == 2, "the two requests did not both reach the database"
    for thread in threads:
        thread.join(30)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 200], [a.content for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sum(a.get("Idempotent-Replayed") == "true" for a in answers) == 1
    assert transition_events(ready_case) == 1
    assert ready_case.history.filter(history_type="~").count() == 1
