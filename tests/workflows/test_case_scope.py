"""``visible_cases``: a county officer's cases are their county's unions' cases, however the
query is spelled (on PostgreSQL ``union_id = ANY(ARRAY(…))``, elsewhere ``IN (…)``)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import WUNING, make_union
from unions.models import Federation
from unions.services import do_update_union
from workflows.models import Case
from workflows.scope import visible_cases
from workflows.services import do_create_case


def test_it_gives_a_county_officer_exactly_their_countys_cases(
    campaign, case, wuning_case, xunyang_officer, wuning_officer, federation_officer
):
    second = make_union(xunyang_officer, name="浔阳第二工会")
    other = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=second.pk)

    assert list(visible_cases(xunyang_officer).order_by("pk")) == [case, other]
    assert list(visible_cases(wuning_officer)) == [wuning_case]
    assert visible_cases(xunyang_officer).filter(pk=wuning_case.pk).count() == 0
    assert visible_cases(federation_officer).count() == Case.objects.count() == 3


def test_it_gives_a_reporter_their_own_unions_case_only(
    campaign, case, wuning_case, reporter, xunyang_officer
):
    make_union(xunyang_officer, name="浔阳另一工会")

    assert list(visible_cases(reporter)) == [case]


def test_it_follows_a_union_moved_to_another_county(
    case, xunyang_officer, wuning_officer, wuning_case, federation_officer
):
    do_update_union(
        case.union_id,
        actor=federation_officer,
        data={"federation": Federation.objects.get(code=WUNING)},
        reason="划转",
    )

    assert list(visible_cases(xunyang_officer)) == []
    assert list(visible_cases(wuning_officer).order_by("pk")) == [case, wuning_case]


def test_it_reads_the_countys_unions_into_an_array_on_postgresql(case, xunyang_officer):
    with CaptureQueriesContext(connection) as captured:
        assert visible_cases(xunyang_officer).count() == 1
    sql = captured.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY((ARRAY(SELECT" in sql, sql
    else:
        assert " IN (SELECT" in sql, sql
