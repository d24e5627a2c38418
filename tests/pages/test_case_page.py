"""The case page: the union's facts and why its track, progress, findings with their clauses,
the transitions as buttons (greyed out with the reason), overrides, the state graph, the
timeline; every form calls the one service and shows what it refused."""

from __future__ import annotations

import re

import pytest
from viewflow.fsm.chart import chart

from inspections import rules
from inspections.models import Finding
from tests.pages.conftest import walk
from workflows.flows import CaseFlow
from workflows.models import Event, Stage
from workflows.templatetags.stategraph import flow_edges, layout


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


def test_it_explains_the_track_from_the_founding_and_reference_dates(login, case, xunyang_officer):
    page = login(xunyang_officer).get(f"/cases/{case.pk}/").content.decode()

    # Founded 2015-03-01, reference date 2022-05-20: seven full years, so 六个规范.
    assert "Founded on 2015-03-01" in page
    assert "2022-05-20" in page
    assert "7 full years old" in page
    assert "five years or more" in page
    assert "Six norms (六个规范)" in page


def test_it_shows_progress_findings_and_their_clauses(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    page = login(xunyang_officer).get(f"/cases/{case.pk}/").content.decode()

    assert 'aria-current="step"' in page
    for finding in Finding.objects.filter(assessment__case=case):
        assert f'id="rule-{finding.rule}"' in page
        assert rules.RULES[finding.rule].clause in page
    assert "Meets its standard" in page


def test_it_fires_a_transition_from_its_button(login, case, xunyang_officer, federation_officer):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    client = login(xunyang_officer)

    response = client.post(
        f"/cases/{case.pk}/transitions/accept_survey/", {"comment": "材料齐全"}, follow=True
    )

    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT
    event = Event.objects.filter(case=case, action="accept_survey").get()
    assert event.actor == xunyang_officer and event.comment == "材料齐全"
    assert case.history.first().history_user == xunyang_officer
    assert "Done: Accept survey" in response.content.decode()


def test_it_greys_out_an_unavailable_transition_with_its_reason(login, case, xunyang_officer):
    page = login(xunyang_officer).get(f"/cases/{case.pk}/").content.decode()

    button = re.search(r'<button[^>]*data-transition="submit_survey"[^>]*>', page).group(0)
    assert "disabled" in button
    assert 'id="why-submit_survey"' in page
    assert "The survey is not complete" in page


def test_it_shows_what_the_service_refused_as_a_message_and_changes_nothing(
    login, case, xunyang_officer
):
    client = login(xunyang_officer)

    response = client.post(f"/cases/{case.pk}/transitions/submit_survey/", follow=True)

    case.refresh_from_db()
    assert case.stage == Stage.SURVEY
    assert not Event.objects.filter(case=case, action="submit_survey").exists()
    assert "The survey is not complete" in response.content.decode()


def test_it_requires_a_comment_to_send_a_survey_back(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)

    response = login(xunyang_officer).post(
        f"/cases/{case.pk}/transitions/return_survey/", follow=True
    )

    case.refresh_from_db()
    assert case.stage == Stage.SURVEY_REVIEW
    assert "A comment is required" in response.content.decode()


def test_it_records_an_override_with_its_written_reason(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    client = login(xunyang_officer)

    response = client.post(
        f"/cases/{case.pk}/overrides/",
        {"rule": "N5.5", "outcome": "unmet", "reason": "现场检查职工书屋未开放"},
        follow=True,
    )

    finding = Finding.objects.get(assessment__case=case, rule="N5.5")
    assert (finding.auto_outcome, finding.outcome) == ("met", "unmet")
    assert finding.override_reason == "现场检查职工书屋未开放"
    event = Event.objects.get(case=case, action="override")
    assert event.data["rule"] == "N5.5" and event.actor == xunyang_officer
    page = response.content.decode()
    assert "现场检查职工书屋未开放" in page
    assert "Does not meet its standard yet" in page


def test_it_refuses_an_override_without_a_reason(login, case, xunyang_officer, federation_officer):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    response = login(xunyang_officer).post(
        f"/cases/{case.pk}/overrides/",
        {"rule": "N5.5", "outcome": "unmet", "reason": " "},
        follow=True,
    )

    assert Finding.objects.get(assessment__case=case, rule="N5.5").outcome == "met"
    assert "A written reason is required." in response.content.decode()


def test_it_shows_an_auditor_no_form_that_changes_state(
    login, case, auditor, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)
    client = login(auditor)

    page = client.get(f"/cases/{case.pk}/").content.decode()
    actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page)

    assert set(actions) <= {"/logout/", "/i18n/setlang/"}
    assert "/transitions/" not in page and "/overrides/" not in page

    response = client.post(f"/cases/{case.pk}/transitions/submit_assessment/", follow=True)
    case.refresh_from_db()
    assert case.stage == Stage.ASSESSMENT
    assert "Your role may not do this." in response.content.decode()


def test_it_is_not_found_outside_the_officers_county(login, case, wuning_officer):
    client = login(wuning_officer)

    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/transitions/submit_survey/").status_code == 404
    assert client.get(f"/cases/{case.pk}/survey/").status_code == 404


def test_it_draws_the_flow_that_viewflow_charts():
    dot = chart(CaseFlow.stage)
    edges_in_dot = set(re.findall(r'"(\w+)" -> "(\w+)"', dot))
    nodes_in_dot = set(re.findall(r'^"(\w+)" \[label', dot, flags=re.M))

    drawn = layout(Stage.GUIDANCE)

    assert {(e.source, e.target) for e in flow_edges()} == edges_in_dot
    assert {n["key"] for n in drawn["nodes"]} == nodes_in_dot
    assert len(drawn["edges"]) == len(edges_in_dot)
    current = [n for n in drawn["nodes"] if n["state"] == "current"]
    assert [n["key"] for n in current] == [Stage.GUIDANCE]


def test_it_highlights_the_steps_open_to_the_viewer_in_the_graph(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)

    page = login(xunyang_officer).get(f"/cases/{case.pk}/").content.decode()

    assert re.search(r'class="node current" data-stage="survey_review"', page)
    assert re.search(r'class="edge open" data-transition="accept_survey"', page)
    assert re.search(r'class="edge back open" data-transition="return_survey"', page)
    assert re.search(r'class="node visited" data-stage="survey"', page)


def test_it_lists_events_and_field_changes_in_the_timeline(
    login, case, xunyang_officer, federation_officer
):
    walk(case, Stage.ASSESSMENT, county=xunyang_officer, federation=federation_officer)

    response = login(xunyang_officer).get(f"/cases/{case.pk}/")

    actions = [entry["action"] for entry in response.context["timeline"]]
    assert actions[:2] == ["Accept survey", "Submit survey"]  # newest first
    assert "Case opened" in actions
    assert "Survey changed" in actions


def test_a_county_officer_records_a_guidance_step_done(
    login, case, xunyang_officer, federation_officer
):
    from lib.demo_survey import full_survey
    from tests.pages.conftest import TODAY
    from workflows.models import GuidanceAction

    survey = full_survey(on=TODAY)
    survey["home"]["library"] = False  # N5.5 unmet: a step of the guidance plan
    walk(case, Stage.GUIDANCE, county=xunyang_officer, federation=federation_officer, survey=survey)
    step = GuidanceAction.objects.get(case=case, rule="N5.5")
    client = login(xunyang_officer)
    assert (
        f'action="/cases/{case.pk}/guidance/{step.pk}/done/"'
        in client.get(f"/cases/{case.pk}/").content.decode()
    )

    response = client.post(
        f"/cases/{case.pk}/guidance/{step.pk}/done/", {"note": "职工书屋已建成开放"}, follow=True
    )

    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == xunyang_officer
    assert Event.objects.filter(
        case=case, action="guidance_done", comment="职工书屋已建成开放"
    ).exists()
    page = response.content.decode()
    assert "职工书屋已建成开放" in page and "Guidance step done" in page
    assert (
        login(federation_officer)
        .post(f"/cases/{case.pk}/guidance/{step.pk}/done/", follow=True)
        .status_code
        == 200
    )


def test_the_subsidy_is_applied_for_submitted_and_signed_off_from_the_case_page(
    login, case, xunyang_officer, federation_officer, leader, campaign
):
    from subsidies.models import SubsidyApplication

    walk(case, Stage.SUBSIDY, county=xunyang_officer, federation=federation_officer)
    county = login(xunyang_officer)
    assert (
        f'action="/cases/{case.pk}/subsidy/"' in county.get(f"/cases/{case.pk}/").content.decode()
    )

    county.post(f"/cases/{case.pk}/subsidy/", {"amount": ""})
    application = SubsidyApplication.objects.get(case=case)
    assert application.amount == campaign.subsidy_six_norms
    county.post(f"/subsidies/{application.pk}/transitions/submit/", {"next": f"/cases/{case.pk}/"})

    page = login(leader).get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/subsidies/{application.pk}/transitions/sign_off/"' in page
    response = login(leader).post(f"/subsidies/{application.pk}/transitions/sign_off/", follow=True)

    application.refresh_from_db()
    assert application.state == SubsidyApplication.State.SIGNED_OFF
    assert response.redirect_chain[-1][0] == f"/cases/{case.pk}/"
    assert Event.objects.filter(subject="subsidy", action="sign_off", actor=leader).exists()


def test_a_sign_off_past_the_budget_is_refused_with_its_reason(
    login, case, xunyang_officer, federation_officer, leader, campaign
):
    from subsidies.models import SubsidyApplication
    from subsidies.services import do_create_subsidy, do_subsidy_transition

    walk(case, Stage.SUBSIDY, county=xunyang_officer, federation=federation_officer)
    application = do_create_subsidy(
        case.pk, actor=xunyang_officer, amount=campaign.subsidy_budget + 1
    )
    do_subsidy_transition(application.pk, "submit", actor=xunyang_officer)
    client = login(leader)

    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert re.search(r'<button class="btn" disabled aria-describedby="sw-sign_off">', page)
    response = client.post(f"/subsidies/{application.pk}/transitions/sign_off/", follow=True)

    application.refresh_from_db()
    assert application.state == SubsidyApplication.State.SUBMITTED
    assert "would exceed the budget" in response.content.decode()
