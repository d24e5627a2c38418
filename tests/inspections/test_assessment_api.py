"""Assessment through the API: accept_survey runs the rules of NORMS.md, officers override with a
reason, submit_assessment waits for every needs_review, reassess reruns on the current survey."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from inspections import rules, services
from inspections.models import Assessment, Finding
from inspections.survey import example_survey
from tests.conftest import make_union
from workflows.models import Event, Stage
from workflows.services import do_create_case

ASSESSED_ON = date(2022, 9, 1)  # the date NORMS.md's example is assessed on


def said(msgid: str) -> set[str]:
    """A message as the services store it: its msgid, or its zh-hans translation (the default
    language of requests and of calls outside one)."""
    with translation.override("zh-hans"):
        return {msgid, translation.gettext(msgid)}


@pytest.fixture
def today(monkeypatch):
    """Freeze the assessment date: ``today.set(date)``."""

    class Today:
        value = ASSESSED_ON

        def set(self, value: date) -> None:
            self.value = value

    frozen = Today()
    monkeypatch.setattr(services, "today", lambda: frozen.value)
    return frozen


def assessment_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/assessment/"


def overrides_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/assessment/overrides/"


def fire(api, user, case, name, comment=""):
    return api.as_user(user).post(
        f"/api/v1/cases/{case.pk}/transitions/{name}/", {"comment": comment}, format="json"
    )


def surveyed(api, case, reporter, officer, survey=None):
    """Survey filled by the reporter, submitted, and accepted by the county officer."""
    put = api.as_user(reporter).put(
        f"/api/v1/cases/{case.pk}/survey/", survey or example_survey(), format="json"
    )
    assert put.status_code == 200, put.content
    assert fire(api, reporter, case, "submit_survey").status_code == 200
    accepted = fire(api, officer, case, "accept_survey")
    assert accepted.status_code == 200, accepted.content
    return accepted


def test_it_finds_the_example_of_norms_meets_every_six_norms_rule(
    api, today, case, reporter, xunyang_officer
):
    surveyed(api, case, reporter, xunyang_officer)

    response = api.as_user(xunyang_officer).get(assessment_url(case))

    assert response.status_code == 200
    body = response.json()
    assert (body["track"], body["assessed_on"]) == ("six_norms", "2022-09-01")
    assert [f["rule"] for f in body["findings"]] == [
        rule.id for rule in rules.RULES_BY_TRACK["six_norms"]
    ]
    for finding in body["findings"]:
        assert set(finding) >= {
            "rule",
            "area",
            "outcome",
            "evidence",
            "auto_outcome",
            "override_reason",
        }
        assert finding["outcome"] in ("met", "not_applicable", "advisory"), finding
        assert finding["auto_outcome"] == finding["outcome"]
        assert finding["evidence"]
        assert finding["override_reason"] == ""
    assert body["meets_standard"] is True
    assert body["score"] == "1.0000"
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT


def test_it_stores_the_findings_with_their_history(api, today, case, reporter, xunyang_officer):
    surveyed(api, case, reporter, xunyang_officer)

    assessment = Assessment.objects.get(case=case)
    findings = Finding.objects.filter(assessment=assessment)
    assert findings.count() == len(rules.RULES_BY_TRACK["six_norms"])
    history = Finding.history.filter(assessment_id=assessment.pk)
    assert history.count() == findings.count()
    assert {h.history_user_id for h in history} == {xunyang_officer.pk}
    assert {h.history_change_reason for h in history} <= said("Rules run")


def test_it_lets_the_county_officer_override_a_finding_with_a_reason(
    api, today, case, reporter, xunyang_officer
):
    surveyed(api, case, reporter, xunyang_officer)

    response = api.as_user(xunyang_officer).post(
        overrides_url(case),
        {"rule": "N3.3", "outcome": "unmet", "reason": "竞赛记录为补做，现场核实未开展"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = api.get(assessment_url(case)).json()
    n33 = next(f for f in body["findings"] if f["rule"] == "N3.3")
    assert (n33["outcome"], n33["auto_outcome"]) == ("unmet", "met")
    assert n33["override_reason"] == "竞赛记录为补做，现场核实未开展"
    assert body["meets_standard"] is False
    finding = Finding.objects.get(assessment__case=case, rule="N3.3")
    row = finding.history.latest()
    assert (row.history_user, row.history_change_reason, row.outcome) == (
        xunyang_officer,
        "竞赛记录为补做，现场核实未开展",
        "unmet",
    )
    event = Event.objects.filter(case=case).latest("id")
    assert (event.action, event.actor, event.comment) == (
        "override",
        xunyang_officer,
        "竞赛记录为补做，现场核实未开展",
    )
    assert event.data == {"rule": "N3.3", "outcome": ["met", "unmet"]}
    history = api.get(f"/api/v1/cases/{case.pk}/history/").json()
    assert history[-1]["action"] == "override"


def test_it_requires_a_reason_to_override(api, today, case, reporter, xunyang_officer):
    surveyed(api, case, reporter, xunyang_officer)

    response = api.as_user(xunyang_officer).post(
        overrides_url(case), {"rule": "N3.3", "outcome": "unmet", "reason": "  "}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert Finding.objects.get(assessment__case=case, rule="N3.3").outcome == "met"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("federation_officer", 403), ("reporter", 403), ("auditor", 403), ("wuning_officer", 404)],
)
def test_it_lets_only_the_county_officer_override(
    api, today, case, reporter, xunyang_officer, request, persona, status
):
    surveyed(api, case, reporter, xunyang_officer)
    user = request.getfixturevalue(persona)

    response = api.as_user(user).post(
        overrides_url(case), {"rule": "N3.3", "outcome": "unmet", "reason": "核实"}, format="json"
    )

    assert response.status_code == status
    assert Finding.objects.get(assessment__case=case, rule="N3.3").outcome == "met"


def test_it_refuses_to_submit_the_assessment_while_a_finding_needs_review(
    api, today, campaign, xunyang_officer
):
    union = make_union(xunyang_officer, name="九江市国有资产经营公司工会", ownership="state_owned")
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
    survey = example_survey()
    survey["home"]["library"] = None  # N5.5 cannot be decided
    api.as_user(xunyang_officer).put(f"/api/v1/cases/{case.pk}/survey/", survey, format="json")
    survey_check = fire(api, xunyang_officer, case, "submit_survey")
    assert survey_check.status_code == 409  # incomplete: the library is unknown
    survey["home"]["library"] = True
    api.put(f"/api/v1/cases/{case.pk}/survey/", survey, format="json")
    assert fire(api, xunyang_officer, case, "submit_survey").status_code == 200
    assert fire(api, xunyang_officer, case, "accept_survey").status_code == 200

    refused = fire(api, xunyang_officer, case, "submit_assessment")

    assert refused.status_code == 409
    assert "N1.2" in refused.json()["reason"]  # the chair's rank of a state-owned enterprise
    api.post(
        overrides_url(case),
        {"rule": "N1.2", "outcome": "met", "reason": "主席享受同级副职待遇，已核实任命文件"},
        format="json",
    )
    submitted = fire(api, xunyang_officer, case, "submit_assessment")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["stage"] == Stage.ASSESSMENT_REVIEW


def test_it_reassesses_on_the_current_survey_and_keeps_both_runs(
    api, today, case, reporter, xunyang_officer, federation_officer
):
    surveyed(api, case, reporter, xunyang_officer)
    assert fire(api, xunyang_officer, case, "submit_assessment").status_code == 200
    assert fire(api, federation_officer, case, "approve_assessment").status_code == 200
    today.set(date(2023, 9, 1))  # a year on, the roster and the member evaluation are stale

    response = fire(api, xunyang_officer, case, "reassess")

    assert response.status_code == 200, response.content
    current = api.get(assessment_url(case)).json()
    assert (current["run"], current["assessed_on"]) == (2, "2023-09-01")
    outcomes = {f["rule"]: f["outcome"] for f in current["findings"]}
    assert outcomes["N5.2"] == outcomes["N6.2"] == "unmet"
    assert current["meets_standard"] is False
    assert current["runs"] == [
        {"run": 1, "assessed_on": "2022-09-01"},
        {"run": 2, "assessed_on": "2023-09-01"},
    ]
    first = api.get(assessment_url(case), {"run": 1}).json()
    assert (first["run"], first["meets_standard"]) == (1, True)
    runs = Assessment.objects.filter(case=case).order_by("run")
    assert [a.survey_snapshot for a in runs] == [example_survey(), example_survey()]
    assert all(a.history.get().history_user == xunyang_officer for a in runs)
    actions = [entry["action"] for entry in api.get(f"/api/v1/cases/{case.pk}/history/").json()]
    assert actions.index("accept_survey") < actions.index("reassess")


def test_it_answers_404_before_any_assessment(api, today, case, xunyang_officer):
    response = api.as_user(xunyang_officer).get(assessment_url(case))

    assert response.status_code == 404


def test_it_hides_the_assessment_outside_the_scope(
    api, today, case, reporter, xunyang_officer, wuning_officer
):
    surveyed(api, case, reporter, xunyang_officer)

    assert api.as_user(wuning_officer).get(assessment_url(case)).status_code == 404
