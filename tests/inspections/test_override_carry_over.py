"""Officers' overrides and a reassessment (NORMS.md: "An officer may confirm or override any
outcome"): an override made on run N carries over to run N+1 while the rule decides the same on
the same evidence, and lapses, visibly, when the facts changed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from inspections.models import Assessment, Finding
from inspections.services import do_override_finding, do_save_survey
from inspections.survey import example_survey
from tests.conftest import make_union
from unions.services import do_update_union
from workflows.management.commands.verify_audit import verify_chains, verify_states
from workflows.models import Event, Stage
from workflows.services import do_create_case, do_transition

REASON = "竞赛记录为补做，现场核实未开展"


def said(msgid: str, **params) -> set[str]:
    """A message as the services store it: in English or in zh-hans (the default language)."""
    with translation.override("zh-hans"):
        return {msgid % params, translation.gettext(msgid) % params}


@pytest.fixture
def officers(frozen_today, xunyang_officer, federation_officer):
    return xunyang_officer, federation_officer


def assessed(case, officers, survey=None):
    """The survey saved, submitted and accepted: run 1 of the rules."""
    county, _city = officers
    do_save_survey(case, survey or example_survey(), actor=county)
    do_transition(case.pk, "submit_survey", actor=county)
    do_transition(case.pk, "accept_survey", actor=county)
    return case


def reassessed(case, officers, survey=None) -> Assessment:
    """The assessment submitted and approved, the survey brought up to date during guidance
    (when ``survey`` is given), and the rules run again."""
    county, city = officers
    do_transition(case.pk, "submit_assessment", actor=county)
    do_transition(case.pk, "approve_assessment", actor=city)
    if survey is not None:
        do_save_survey(case, survey, actor=county)
    do_transition(case.pk, "reassess", actor=county)
    return Assessment.objects.filter(case=case).latest()


def finding(assessment: Assessment, rule: str) -> Finding:
    return assessment.findings.get(rule=rule)


def survey_with(**changes) -> dict:
    survey = example_survey()
    survey.update(changes)
    return survey


@pytest.mark.parametrize("outcome", ["unmet", "met"], ids=["override", "confirm"])
def test_it_carries_an_override_over_when_the_facts_are_the_same(case, officers, outcome):
    county, _city = officers
    assessed(case, officers)
    decided = do_override_finding(case.pk, "N3.3", outcome, REASON, actor=county)

    run2 = reassessed(case, officers)

    carried = finding(run2, "N3.3")
    assert (carried.auto_outcome, carried.outcome) == ("met", outcome)
    assert carried.override_reason == REASON
    assert (carried.overridden_by, carried.overridden_at) == (county, decided.overridden_at)
    assert carried.carried_over_from == 1
    row = carried.history.get()
    assert row.history_user == county
    assert row.history_change_reason in said("Override carried over from run %(run)d", run=1)
    assert run2.lapsed_overrides == []
    event = Event.objects.get(case=case, action="carry_over_overrides")
    assert json.loads(json.dumps(event.data)) == {
        "from_run": 1,
        "run": 2,
        "carried": ["N3.3"],
        "lapsed": [],
    }
    assert event.actor == county and "N3.3" in event.comment
    reassess = Event.objects.get(case=case, action="reassess")
    assert event.id < reassess.id  # told just before the transition that ran the rules


@pytest.mark.parametrize("outcome", ["unmet", "met"], ids=["override", "confirm"])
def test_it_lets_an_override_lapse_when_the_evidence_changed(api, case, officers, outcome):
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", outcome, REASON, actor=county)
    before = finding(Assessment.objects.get(case=case, run=1), "N3.3").evidence

    run2 = reassessed(case, officers, survey_with(skills_activities_last_year=3))

    lapsed = finding(run2, "N3.3")
    assert (lapsed.auto_outcome, lapsed.outcome) == ("met", "met")  # still met, on new evidence
    assert (lapsed.override_reason, lapsed.overridden_by, lapsed.overridden_at) == ("", None, None)
    assert lapsed.carried_over_from is None
    assert lapsed.history.get().history_change_reason in said(
        "Rules run; the override of run %(run)d lapsed because the facts changed", run=1
    )
    expected = {
        "rule": "N3.3",
        "outcome": outcome,
        "override_reason": REASON,
        "overridden_by": {"username": county.username, "name": county.name},
        "overridden_at": finding(
            Assessment.objects.get(case=case, run=1), "N3.3"
        ).overridden_at.isoformat(),
        "changed": ["evidence"],
        "auto_outcome": ["met", "met"],
        "evidence": [before, lapsed.evidence],
    }
    assert before != lapsed.evidence
    assert run2.lapsed_overrides == [expected]
    event = Event.objects.get(case=case, action="carry_over_overrides")
    assert event.data == {"from_run": 1, "run": 2, "carried": [], "lapsed": [expected]}
    body = api.as_user(county).get(f"/api/v1/cases/{case.pk}/assessment/").json()
    assert body["lapsed_overrides"] == [expected]
    n33 = next(f for f in body["findings"] if f["rule"] == "N3.3")
    assert (n33["outcome"], n33["override_reason"], n33["carried_over_from"]) == ("met", "", None)


def test_it_lets_an_override_lapse_when_the_rules_decide_otherwise(case, officers):
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", "met", "已现场核实", actor=county)

    run2 = reassessed(case, officers, survey_with(skills_activities_last_year=0))

    assert finding(run2, "N3.3").outcome == "unmet"
    [lapsed] = run2.lapsed_overrides
    assert lapsed["changed"] == ["auto_outcome", "evidence"]
    assert lapsed["auto_outcome"] == ["met", "unmet"]
    assert run2.meets_standard is False


def test_it_lets_every_override_lapse_when_the_track_changed(case, officers, xunyang_union):
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", "unmet", REASON, actor=county)
    do_transition(case.pk, "submit_assessment", actor=county)
    do_transition(case.pk, "approve_assessment", actor=officers[1])
    # Founded 2019, not 2015: under five years on the reference date, so held to 六有.
    do_update_union(xunyang_union.pk, actor=county, data={"founded_on": date(2019, 3, 1)})

    do_transition(case.pk, "reassess", actor=county)

    run2 = Assessment.objects.filter(case=case).latest()
    assert run2.track == "six_haves"
    [lapsed] = run2.lapsed_overrides
    assert (lapsed["rule"], lapsed["changed"]) == ("N3.3", ["rule"])
    assert lapsed["auto_outcome"] == ["met", None]
    assert not run2.findings.filter(carried_over_from__isnull=False).exists()


def test_it_counts_the_carried_override_in_the_score(case, officers, campaign):
    county, _city = officers
    union = make_union(county, name="九江市国有资产经营公司工会", ownership="state_owned")
    case = assessed(do_create_case(actor=county, campaign=campaign, union_id=union.pk), officers)
    run1 = Assessment.objects.get(case=case)
    assert finding(run1, "N1.2").outcome == "needs_review"  # the chair's rank: an officer decides
    do_override_finding(
        case.pk, "N1.2", "met", "主席享受同级副职待遇，已核实任命文件", actor=county
    )

    run2 = reassessed(case, officers)

    assert finding(run2, "N1.2").outcome == "met"
    assert (run2.score, run2.meets_standard) == (Decimal("1.0000"), True)
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT
    do_transition(case.pk, "submit_assessment", actor=county)  # nothing left to review
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT_REVIEW


def test_it_carries_an_override_through_several_runs(case, officers):
    county, _city = officers
    assessed(case, officers)
    decided = do_override_finding(case.pk, "N3.3", "unmet", REASON, actor=county)
    reassessed(case, officers)

    run3 = reassessed(case, officers)

    carried = finding(run3, "N3.3")
    assert (carried.outcome, carried.override_reason) == ("unmet", REASON)
    assert (carried.overridden_by, carried.overridden_at) == (county, decided.overridden_at)
    assert carried.carried_over_from == 2
    assert carried.history.get().history_change_reason in said(
        "Override carried over from run %(run)d", run=2
    )
    assert run3.meets_standard is False
    events = Event.objects.filter(case=case, action="carry_over_overrides").order_by("id")
    assert [(e.data["from_run"], e.data["carried"]) for e in events] == [
        (1, ["N3.3"]),
        (2, ["N3.3"]),
    ]
    assert list(verify_chains()) == list(verify_states()) == []  # the event chain holds


def test_a_new_override_replaces_the_carried_one(case, officers, xunyang_officer_2):
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", "unmet", REASON, actor=county)
    reassessed(case, officers)

    decided = do_override_finding(case.pk, "N3.3", "met", "已补充竞赛记录", actor=xunyang_officer_2)

    assert decided.carried_over_from is None
    assert (decided.overridden_by, decided.override_reason) == (xunyang_officer_2, "已补充竞赛记录")


def test_it_tells_nothing_when_no_finding_was_overridden(case, officers):
    assessed(case, officers)

    run2 = reassessed(case, officers)

    assert run2.lapsed_overrides == []
    assert not run2.findings.filter(carried_over_from__isnull=False).exists()
    assert not Event.objects.filter(case=case, action="carry_over_overrides").exists()


def page(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_the_case_page_shows_what_carried_over_and_what_lapsed(case, officers):
    county, _city = officers
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", "unmet", REASON, actor=county)
    do_override_finding(case.pk, "N3.4", "unmet", "文体活动记录不全", actor=county)

    reassessed(case, officers, survey_with(culture_activities_last_year=0))

    english = page(county, "en").get(f"/cases/{case.pk}/").content.decode()
    assert "(carried over from run 1, the facts being the same)" in english
    assert "Overrides that no longer hold" in english
    assert "文体活动记录不全" in english
    assert "The rules now decide Unmet (before: Met)." in english
    assert "The evidence changed from" in english
    assert "Overrides of the previous run reviewed" in english  # the timeline's entry
    chinese = page(county, "zh-hans").get(f"/cases/{case.pk}/").content.decode()
    assert "不再沿用的人工调整" in chinese
    assert "（情况未变，沿用第 1 轮的调整）" in chinese
    assert "依据已变化：原为“" in chinese
