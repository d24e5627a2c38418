"""``lib.sql.save_fields`` is ``Model.save(update_fields=...)`` with the ``UPDATE`` compiled once:
the same statement and values, the same signals in the same order, the same refusals, and
``Model.save`` itself for whatever it does not cover."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F, signals
from django.test.utils import CaptureQueriesContext

from inspections.models import MemberEvaluation
from lib.sql import save_fields
from workflows.models import Campaign, Case

pytestmark = pytest.mark.django_db


def statements(save) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        save()
    return [query["sql"] for query in captured.captured_queries]


def row(obj) -> dict:
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()


class Signals:
    """Every pre_save and post_save sent while it is open, with what each was sent."""

    def __enter__(self):
        self.seen = []
        signals.pre_save.connect(self.pre)
        signals.post_save.connect(self.post)
        return self

    def __exit__(self, *exc):
        signals.pre_save.disconnect(self.pre)
        signals.post_save.disconnect(self.post)

    def pre(self, sender, instance, **kwargs):
        kwargs.pop("signal")
        self.seen.append(("pre", sender, instance.pk, kwargs))

    def post(self, sender, instance, **kwargs):
        kwargs.pop("signal")
        self.seen.append(("post", sender, instance.pk, kwargs))


def test_it_runs_the_statement_and_values_models_save_runs(case):
    case.skip_history_when_saving = True  # simple-history's post_save would add its insert
    case.stage, case.returned_count = "survey_review", 3
    theirs = statements(lambda: case.save(update_fields=["stage", "returned_count"]))
    after_theirs = row(case)
    case.stage, case.returned_count = "survey", 4
    Case.objects.filter(pk=case.pk).update(stage="survey_review", returned_count=3)
    case.stage, case.returned_count = "survey_review", 3

    mine = statements(lambda: save_fields(case, ["stage", "returned_count"]))

    assert len(mine) == 1
    # The same text (Django logs values interpolated, so the values are compared too).
    assert mine == theirs
    assert row(case) == after_theirs


def test_it_refreshes_auto_now_and_prepares_each_value(campaign, xunyang_union):
    evaluation = MemberEvaluation.objects.create(union=xunyang_union, year=2030, satisfied=1)
    case = Case.objects.create(campaign=campaign, union=xunyang_union)
    before = case.updated_at
    evaluation.held_on, evaluation.satisfied = date(2030, 5, 20), 7
    campaign.evaluation_thresholds = {"satisfied": 0.9}
    case.returned_count = 2

    save_fields(evaluation, ["held_on", "satisfied"])
    save_fields(campaign, ["evaluation_thresholds"])
    save_fields(case, ["returned_count", "updated_at"])

    assert MemberEvaluation.objects.get(pk=evaluation.pk).held_on == date(2030, 5, 20)
    assert MemberEvaluation.objects.get(pk=evaluation.pk).satisfied == 7
    assert Campaign.objects.get(pk=campaign.pk).evaluation_thresholds == {"satisfied": 0.9}
    saved = Case.objects.get(pk=case.pk)
    assert saved.updated_at > before
    assert saved.updated_at == case.updated_at  # set on the instance, as save sets it


def test_it_sends_the_signals_models_save_sends(case):
    case.skip_history_when_saving = True
    case.returned_count = 5
    with Signals() as theirs:
        case.save(update_fields=["returned_count"])
    case.returned_count = 6
    with Signals() as mine:
        save_fields(case, ["returned_count"])

    assert mine.seen == theirs.seen
    assert [kind for kind, *_ in mine.seen] == ["pre", "post"]
    assert mine.seen[1][3]["created"] is False
    assert mine.seen[1][3]["update_fields"] == frozenset({"returned_count"})


def test_it_lets_a_pre_save_receiver_change_what_is_written(case):
    def bump(sender, instance, **kwargs):
        instance.returned_count += 10

    signals.pre_save.connect(bump, sender=Case)
    try:
        case.returned_count = 1
        save_fields(case, ["returned_count"])
    finally:
        signals.pre_save.disconnect(bump, sender=Case)

    assert Case.objects.get(pk=case.pk).returned_count == 11


def gone(case) -> Case:
    """The case as loaded, but for a row that is no longer there."""
    ghost = Case.objects.get(pk=case.pk)
    ghost.pk = ghost.id = 987_654_321
    ghost.skip_history_when_saving = True
    return ghost


def test_it_refuses_a_save_that_updates_no_row_as_models_save_does(case):
    with transaction.atomic(), pytest.raises(DatabaseError) as theirs:
        gone(case).save(update_fields=["stage"])
    with transaction.atomic(), pytest.raises(DatabaseError) as mine:
        save_fields(gone(case), ["stage"])

    assert (
        str(mine.value) == str(theirs.value) == "Save with update_fields did not affect any rows."
    )


def test_it_marks_the_transaction_for_rollback_when_the_update_fails(case):
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            save_fields(gone(case), ["stage"])
        assert transaction.get_rollback()
        transaction.set_rollback(False)


def test_it_leaves_to_models_save_what_it_does_not_cover(campaign, xunyang_union):
    unsaved = Case(campaign=campaign, union=xunyang_union)
    with transaction.atomic(), pytest.raises(ValueError, match="Cannot force an update"):
        save_fields(unsaved, ["stage"])
    case = Case.objects.create(campaign=campaign, union=xunyang_union)

    with transaction.atomic(), pytest.raises(ValueError, match="do not exist in this model"):
        save_fields(case, ["no_such_field"])

    case.skip_history_when_saving = True  # a history row cannot hold an expression
    case.returned_count = F("returned_count") + 1
    with Signals() as sent:
        save_fields(case, ["returned_count"])
    assert Case.objects.get(pk=case.pk).returned_count == 1
    assert [kind for kind, *_ in sent.seen] == ["pre", "post"]  # Model.save's, sent once
