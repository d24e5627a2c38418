"""The transition service reads a case in one plain statement (``workflows.services._read_case``);
it must load what the queryset it stands for loads, field by field, converted alike."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inspections.models import Survey
from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from lib.errors import NotInScope
from workflows.models import Case
from workflows.services import _read_case, get_case_for_user

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def reference(pk: int, lock: bool) -> Case:
    qs = Case.objects.select_related("union__federation", "campaign")
    if lock:
        qs = qs.select_related("survey").select_for_update(of=("self",))
    return qs.get(pk=pk)


@pytest.mark.parametrize("lock", [False, True])
def test_it_loads_what_the_queryset_loads(case, wuning_case, xunyang_officer, lock):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=xunyang_officer)
    Survey.objects.filter(case=wuning_case).delete()  # a case without its survey

    for each in (case, wuning_case):
        expected = reference(each.pk, lock)
        with CaptureQueriesContext(connection) as captured:
            got = _read_case(each.pk, lock=lock)
            loaded = [got, got.union, got.union.federation, got.campaign]
            if lock:
                survey = getattr(got, "survey", None)
        assert len(captured.captured_queries) == 1
        for mine, theirs in zip(
            loaded,
            [expected, expected.union, expected.union.federation, expected.campaign],
            strict=True,
        ):
            assert type(mine) is type(theirs)
            assert values(mine) == values(theirs)
            assert {k: type(v) for k, v in values(mine).items()} == {
                k: type(v) for k, v in values(theirs).items()
            }
            assert mine._state.adding is False and mine._state.db == theirs._state.db
        if lock:
            theirs = getattr(expected, "survey", None)
            assert (survey is None) == (theirs is None)
            if survey is not None:
                assert values(survey) == values(theirs)
                assert survey.data and isinstance(survey.data, dict)
                assert survey.case is got
    assert _read_case(wuning_case.pk, lock=True) is not None


@pytest.mark.parametrize("bad", [None, "x", "", 2**70, -(2**70), 0, 10**9])
def test_it_answers_404_for_an_id_that_names_no_case(case, xunyang_officer, bad):
    for lock in (False, True):
        with pytest.raises(NotInScope):
            get_case_for_user(xunyang_officer, bad, lock=lock)
