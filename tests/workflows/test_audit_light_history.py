"""``lib.audit.save_audited`` writes the history row itself (one plain insert) for plain history
models; the row must be the one simple-history's own ``post_save`` writes, field for field."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from inspections.models import MemberEvaluation
from lib.audit import _light_history, save_audited
from unions.models import User
from workflows.models import Case

pytestmark = pytest.mark.django_db


def history_row(model, history_id: int) -> dict:
    row = model.history.filter(history_id=history_id).values().get()
    row.pop("history_id")
    return row


def simple_history_save(obj, actor, reason, **kwargs) -> int:
    """The path ``save_audited`` replaces: simple-history's ``post_save``."""
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)
    return type(obj).history.order_by("-history_id").values_list("history_id", flat=True)[0]


def test_it_writes_the_row_simple_history_writes(case, xunyang_officer):
    when = timezone.make_aware(datetime(2022, 9, 1, 10, 30, 15, 123456))
    case.stage = "survey_review"
    case._history_date = when
    mine = save_audited(case, xunyang_officer, '理由 "一"', update_fields=["stage", "updated_at"])
    theirs = simple_history_save(case, xunyang_officer, '理由 "一"', update_fields=["stage"])

    a, b = history_row(Case, mine), history_row(Case, theirs)
    assert a.pop("updated_at") <= b.pop("updated_at")
    assert a == b
    assert a["history_date"] == when and a["history_type"] == "~"
    assert a["history_user_id"] == xunyang_officer.pk
    assert a["history_change_reason"] == '理由 "一"'
    assert mine < theirs


def test_it_marks_an_insert_and_sends_simple_historys_signals(xunyang_union, xunyang_officer):
    seen = []

    def pre(sender, history_instance, **kwargs):
        seen.append(("pre", sender, history_instance.history_type))

    def post(sender, history_instance, instance, **kwargs):
        seen.append(("post", sender, history_instance.pk, instance.pk))

    pre_create_historical_record.connect(pre)
    post_create_historical_record.connect(post)
    try:
        evaluation = MemberEvaluation(union=xunyang_union, year=2031, satisfied=3)
        written = save_audited(evaluation, xunyang_officer, "recorded")
        again = save_audited(evaluation, None, "again")
    finally:
        pre_create_historical_record.disconnect(pre)
        post_create_historical_record.disconnect(post)

    history = MemberEvaluation.history.model
    assert seen == [
        ("pre", history, "+"),
        ("post", history, written, evaluation.pk),
        ("pre", history, "~"),
        ("post", history, again, evaluation.pk),
    ]
    rows = list(
        MemberEvaluation.history.filter(id=evaluation.pk)
        .order_by("history_id")
        .values_list("history_id", "history_type", "history_user_id", "satisfied")
    )
    assert rows == [(written, "+", xunyang_officer.pk, 3), (again, "~", None, 3)]


def test_a_model_with_many_to_many_history_keeps_simple_historys_path(xunyang_officer, leader):
    assert _light_history(User) is None
    assert _light_history(Case) is not None

    written = save_audited(leader, xunyang_officer, "renamed")

    assert written == User.history.filter(id=leader.pk).latest("history_id").history_id
