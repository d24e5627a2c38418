"""会员评家: the survey's ballots become the union's member evaluation of the year when the survey is
submitted, graded by the plurality rule or the campaign's thresholds, and H6/N6.2 judge by them."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from inspections import services
from inspections.models import Finding, MemberEvaluation
from inspections.survey import example_survey
from tests.conftest import make_union
from workflows.services import do_create_case, do_transition, do_update_campaign

TODAY = date(2022, 9, 1)


def said(msgid: str) -> set[str]:
    """A message as the services store it: its msgid, or its zh-hans translation (the default
    language of requests and of calls outside one)."""
    with translation.override("zh-hans"):
        return {msgid, translation.gettext(msgid)}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)


def with_ballots(satisfied, basically_satisfied, unsatisfied, held_on="2022-06-20"):
    survey = example_survey()
    survey["member_evaluation"].update(
        {
            "held_on": held_on,
            "satisfied": satisfied,
            "basically_satisfied": basically_satisfied,
            "unsatisfied": unsatisfied,
        }
    )
    return survey


def submit(case, survey, actor):
    services.do_save_survey(case, survey, actor=actor)
    do_transition(case.pk, "submit_survey", actor=actor)


def test_it_records_the_evaluation_of_the_year_when_the_survey_is_submitted(case, reporter):
    submit(case, with_ballots(210, 70, 5), reporter)

    evaluation = MemberEvaluation.objects.get(union=case.union)
    assert (evaluation.year, evaluation.held_on, evaluation.written) == (
        2022,
        date(2022, 6, 20),
        True,
    )
    assert (evaluation.satisfied, evaluation.basically_satisfied, evaluation.unsatisfied) == (
        210,
        70,
        5,
    )
    assert evaluation.grade == "satisfied"
    row = evaluation.history.get()
    assert row.history_user == reporter
    assert row.history_change_reason in said("Member evaluation recorded from the survey")


def test_it_records_nothing_before_submission(case, reporter):
    services.do_save_survey(case, with_ballots(210, 70, 5), actor=reporter)

    assert not MemberEvaluation.objects.exists()


@pytest.mark.parametrize(
    ("ballots", "grade"),
    [
        ((10, 10, 0), "basically_satisfied"),  # a tie goes to the lower grade
        ((5, 5, 5), "unsatisfied"),
        ((3, 9, 2), "basically_satisfied"),
        ((0, 0, 0), ""),  # no ballot, no grade
    ],
)
def test_it_grades_by_the_plurality_rule(case, reporter, ballots, grade):
    survey = with_ballots(*ballots)

    submit(case, survey, reporter)

    assert MemberEvaluation.objects.get(union=case.union).grade == grade


def test_it_grades_by_the_campaigns_thresholds_when_it_sets_them(
    campaign, case, reporter, federation_officer
):
    do_update_campaign(
        campaign.pk,
        actor=federation_officer,
        data={"evaluation_thresholds": {"satisfied": "0.8", "basically_satisfied": "0.6"}},
    )

    submit(case, with_ballots(210, 70, 5), reporter)  # 210 of 285 satisfied: 73.7 % < 80 %

    assert MemberEvaluation.objects.get(union=case.union).grade == "basically_satisfied"


def test_it_feeds_n6_2_with_the_campaigns_grade(
    campaign, case, reporter, xunyang_officer, federation_officer
):
    do_update_campaign(
        campaign.pk,
        actor=federation_officer,
        data={"evaluation_thresholds": {"satisfied": "0.9", "basically_satisfied": "0.99"}},
    )
    submit(case, with_ballots(210, 70, 5), reporter)  # 280 of 285 content: 98.2 % < 99 %

    do_transition(case.pk, "accept_survey", actor=xunyang_officer)

    assert MemberEvaluation.objects.get(union=case.union).grade == "unsatisfied"
    n62 = Finding.objects.get(assessment__case=case, rule="N6.2")
    assert n62.outcome == "unmet"
    assert "不满意" in n62.evidence


def test_it_feeds_h6_of_a_young_union(campaign, xunyang_officer):
    union = make_union(
        xunyang_officer, name="九江浔阳物流有限公司工会", founded_on=date(2020, 4, 1)
    )
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
    assert case.track == "six_haves"
    submit(case, with_ballots(40, 50, 3), xunyang_officer)

    do_transition(case.pk, "accept_survey", actor=xunyang_officer)

    assert MemberEvaluation.objects.get(union=union).grade == "basically_satisfied"
    h6 = Finding.objects.get(assessment__case=case, rule="H6")
    assert h6.outcome == "met"


def test_it_keeps_one_evaluation_per_union_per_year_and_audits_a_change(
    case, reporter, xunyang_officer
):
    submit(case, with_ballots(210, 70, 5), reporter)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="不满意票数有误")
    submit(case, with_ballots(210, 70, 5), reporter)  # resubmitted unchanged
    evaluation = MemberEvaluation.objects.get(union=case.union)
    assert evaluation.history.count() == 1

    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请核对票数")
    submit(case, with_ballots(100, 150, 5), reporter)

    evaluation = MemberEvaluation.objects.get(union=case.union)
    assert (evaluation.satisfied, evaluation.basically_satisfied, evaluation.grade) == (
        100,
        150,
        "basically_satisfied",
    )
    assert [row.satisfied for row in evaluation.history.order_by("history_id")] == [210, 100]


def test_it_files_the_evaluation_under_the_year_it_was_held(case, reporter):
    submit(case, with_ballots(210, 70, 5, held_on="2021-12-20"), reporter)

    assert MemberEvaluation.objects.get(union=case.union).year == 2021
