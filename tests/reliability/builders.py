"""Builders for the reliability tests: cases walked to a stage through the real services."""

from __future__ import annotations

from django.utils import timezone

from inspections.services import do_override_finding, do_save_survey, rules_needing_review
from lib.demo_survey import full_survey
from subsidies.services import do_create_subsidy, do_subsidy_transition
from workflows.models import Case, Stage
from workflows.services import do_transition

ORDER = [
    Stage.SURVEY,
    Stage.SURVEY_REVIEW,
    Stage.ASSESSMENT,
    Stage.ASSESSMENT_REVIEW,
    Stage.GUIDANCE,
    Stage.SELECTION,
    Stage.SUBSIDY,
]


def advance(case: Case, target: str, *, county, federation) -> Case:
    """Walk a case from the survey stage to ``target`` the way officers would: a complete survey,
    every finding that needs review confirmed with a reason, approvals by the city."""
    steps = {
        Stage.SURVEY_REVIEW: [("submit_survey", county)],
        Stage.ASSESSMENT: [("accept_survey", county)],
        Stage.ASSESSMENT_REVIEW: [("submit_assessment", county)],
        Stage.GUIDANCE: [("approve_assessment", federation)],
        Stage.SELECTION: [("recommend_model", county)],
        Stage.SUBSIDY: [("select_model", federation)],
    }
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=county)
    for stage in ORDER[1 : ORDER.index(target) + 1]:
        if stage == Stage.ASSESSMENT_REVIEW:
            for rule in rules_needing_review(case):
                do_override_finding(case.pk, rule, "met", "已现场核实", actor=county)
        for name, actor in steps[stage]:
            case = do_transition(case.pk, name, actor=actor)
    return case


def submitted_subsidy(case: Case, *, county):
    application = do_create_subsidy(case.pk, actor=county)
    return do_subsidy_transition(application.pk, "submit", actor=county)
