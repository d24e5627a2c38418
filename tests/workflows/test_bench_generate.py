"""The benchmark generator (``bench/generate.py``) writes what the application would have: here a
small city, generated into the test database, is read back through the application's own code
(the rules' summary, the evaluation grade, the figures, the audit check)."""

from __future__ import annotations

from argparse import Namespace
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Max

from inspections import rules
from inspections.models import Assessment, Finding, MemberEvaluation
from tests.conftest import on_postgres
from workflows.figures import figures_by_federation, with_evaluation_grade
from workflows.models import Campaign, Case, Event

pytestmark = [
    pytest.mark.skipif(not on_postgres(), reason="the generator streams rows with COPY"),
    # VACUUM, the generator's last statement, cannot run in a transaction; serialized_rollback
    # restores the federations the migrations load, which the flush afterwards removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PAST_ASSESSMENT = ("assessment_review", "guidance", "selection", "subsidy", "closed")


@pytest.fixture
def city(generate, capsys):
    generate.generate(Namespace(unions=150, campaigns=2, federations=14, seed=7))
    capsys.readouterr()


def latest_runs():
    newest = Assessment.objects.values("case_id").annotate(run=Max("run"))
    return {row["case_id"]: row["run"] for row in newest}


def test_each_assessed_case_has_one_or_two_runs_with_a_finding_per_rule_of_its_track(city):
    assessed = Case.objects.exclude(stage__in=["survey", "survey_review"])
    runs = Counter(Assessment.objects.values_list("case_id", flat=True))
    assert set(runs) == set(assessed.values_list("id", flat=True))
    assert set(runs.values()) == {1, 2}
    for assessment in Assessment.objects.prefetch_related("findings"):
        findings = {f.rule: f.outcome for f in assessment.findings.all()}
        assert list(findings) == [rule.id for rule in rules.RULES_BY_TRACK[assessment.track]]
        summary = rules.summarize(assessment.track, findings)
        assert (assessment.score, assessment.meets_standard) == (
            summary.score,
            summary.meets_standard,
        )


def test_what_left_the_assessment_stage_needs_no_review_and_model_unions_meet(city):
    latest = latest_runs()
    for case in Case.objects.filter(stage__in=PAST_ASSESSMENT):
        current = Assessment.objects.get(case=case, run=latest[case.pk])
        assert not current.findings.filter(outcome=rules.NEEDS_REVIEW).exists()
        if case.stage in ("selection", "subsidy"):
            assert current.meets_standard
    confirmed = Finding.objects.exclude(override_reason="")
    assert confirmed.exists()
    assert Event.objects.filter(action="override").count() == confirmed.count()
    assert set(confirmed.values_list("auto_outcome", "outcome")) == {("needs_review", "met")}


def test_surveyed_cases_are_graded_by_their_evaluation_as_the_figures_read_it(city):
    for evaluation in MemberEvaluation.objects.all():
        assert evaluation.grade == rules.evaluation_grade(
            evaluation.satisfied, evaluation.basically_satisfied, evaluation.unsatisfied
        )
    campaign = Campaign.objects.order_by("-year").first()
    surveyed = Case.objects.filter(campaign=campaign).exclude(stage="survey")
    grades = Counter(
        grade or "none"
        for grade in with_evaluation_grade(surveyed, campaign).values_list("grade", flat=True)
    )
    assert grades["satisfied"] > grades["basically_satisfied"] > grades["unsatisfied"] > 0
    figures = figures_by_federation(campaign).values()
    assert sum((Counter(county["grades"]) for county in figures), Counter()) == grades
    assert 0 < sum(county["meeting_standard"] for county in figures) < surveyed.count()


def test_every_submitted_survey_is_one_the_application_would_take(city):
    """``submit_survey`` refuses an incomplete survey, so no case past the survey stage has one
    (the transition benchmark submits them again)."""
    from inspections.services import survey_problems

    submitted = Case.objects.exclude(stage="survey").select_related("union", "campaign")
    assert submitted.exists()
    assert {case.pk: survey_problems(case) for case in submitted if survey_problems(case)} == {}


def test_the_audit_trail_holds(city, capsys):
    call_command("verify_audit")
    assert "Audit trail intact" in capsys.readouterr().out
