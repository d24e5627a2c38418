"""What one transition costs in statements (issue 7: the service within 3× of the same writes
done as bare SQL, ``bench/bench_transitions.py``).

Each statement the service sends is one round trip to PostgreSQL, so the count is the part of its
cost a refactoring most easily doubles. The counts below are the statements the writes need and
nothing more; a failure lists the statements sent, so it names what came back.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from workflows.models import Event, Stage
from workflows.services import do_transition

pytestmark = pytest.mark.django_db

# The test runs inside a transaction, so the service's own is a savepoint: two statements
# (SAVEPOINT, RELEASE) where a request sends BEGIN and COMMIT.
TRANSACTION = 2
# 1. lock the case (with its union, county, campaign and survey); 2. update it;
# 3. its history row; 4. read and lock the chain's head; 5. the event; 6. move the head;
# 7. read and lock the recipients.
CASE_STEP = 7
# 1. each recipient's last notification (for ``previous``); 2. their rows, in one insert.
NOTIFICATIONS = 2
# 1. update the survey; 2. its history row; 3. read and lock the member evaluation of its year.
SURVEY_SUBMITTED = 3


def statements_of(action) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [query["sql"] for query in captured.captured_queries]


def test_it_returns_a_survey_in_one_statement_per_write(
    walk_case, xunyang_officer, xunyang_officer_2, reporter
):
    case = walk_case(Stage.SURVEY_REVIEW)

    sent = statements_of(
        lambda: do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充")
    )

    assert (
        Notification.objects.filter(kind="return_survey").count() == 2
    )  # 浔阳区's other, reporter
    assert len(sent) <= TRANSACTION + CASE_STEP + NOTIFICATIONS, "\n".join(sent)


def test_it_submits_a_survey_in_one_statement_per_write(walk_case, xunyang_officer, reporter):
    case = walk_case(Stage.SURVEY_REVIEW)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充")

    sent = statements_of(lambda: do_transition(case.pk, "submit_survey", actor=reporter))

    assert Notification.objects.filter(kind="submit_survey", event__case=case).exists()
    assert len(sent) <= TRANSACTION + CASE_STEP + NOTIFICATIONS + SURVEY_SUBMITTED, "\n".join(sent)


def test_it_links_the_event_to_the_history_row_its_save_wrote_without_reading_it_back(
    walk_case, xunyang_officer
):
    case = walk_case(Stage.SURVEY_REVIEW)

    sent = statements_of(
        lambda: do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充")
    )

    event = Event.objects.filter(case=case).latest("id")
    assert event.history_id == case.history.latest("history_id").history_id
    history_table = case.history.model._meta.db_table
    reads_of_history = [sql for sql in sent if sql.startswith("SELECT") and history_table in sql]
    assert reads_of_history == []
