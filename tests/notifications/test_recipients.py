"""Who is told of what (notifications.dispatch.RECIPIENTS), through the real services."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from inspections.services import do_save_survey
from inspections.summaries import do_create_summary, do_summary_transition
from lib.demo_survey import full_survey
from notifications.models import Notification
from notifications.serializers import payload_for
from subsidies.services import do_subsidy_transition
from tests.conftest import WUNING, XUNYANG
from workflows.models import Stage
from workflows.services import do_transition

from .conftest import submitted_subsidy, told, walk

pytestmark = pytest.mark.django_db

EVERYONE = [
    "federation_officer",
    "federation_officer_2",
    "xunyang_officer",
    "xunyang_officer_2",
    "wuning_officer",
    "leader",
    "leader_2",
    "auditor",
    "reporter",
]


@pytest.fixture
def people(request):
    return {name: request.getfixturevalue(name) for name in EVERYONE}


def test_it_tells_the_countys_officers_when_a_reporter_submits_a_survey(people, case):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=people["reporter"])

    do_transition(case.pk, "submit_survey", actor=people["reporter"])

    assert told("submit_survey") == {"xunyang", "xunyang2"}
    row = Notification.objects.get(kind="submit_survey", recipient=people["xunyang_officer"])
    assert row.case_id == case.pk
    assert row.link == f"/cases/{case.pk}/"
    assert row.event.action == "submit_survey"
    assert row.params["union"] == case.union.name


def test_it_never_tells_the_actor_of_their_own_act(people, case):
    walk(
        case,
        Stage.SURVEY_REVIEW,
        county=people["xunyang_officer"],
        city=people["federation_officer"],
    )

    assert told("submit_survey") == {"xunyang2"}


@pytest.mark.parametrize("name", ["return_survey", "accept_survey"])
def test_it_tells_the_county_and_the_unions_reporter_when_a_survey_is_returned_or_accepted(
    people, case, name
):
    walk(
        case,
        Stage.SURVEY_REVIEW,
        county=people["xunyang_officer"],
        city=people["federation_officer"],
    )

    do_transition(case.pk, name, actor=people["xunyang_officer_2"], comment="花名册未附")

    assert told(name) == {"xunyang", "reporter"}


def test_it_tells_the_federation_officers_when_an_assessment_is_submitted(people, case):
    walk(
        case,
        Stage.ASSESSMENT_REVIEW,
        county=people["xunyang_officer"],
        city=people["federation_officer"],
    )

    assert told("submit_assessment") == {"fed", "fed2"}


@pytest.mark.parametrize("name", ["return_assessment", "approve_assessment"])
def test_it_tells_the_countys_officers_when_an_assessment_is_returned_or_approved(
    people, case, name
):
    walk(
        case,
        Stage.ASSESSMENT_REVIEW,
        county=people["xunyang_officer"],
        city=people["federation_officer"],
    )

    do_transition(case.pk, name, actor=people["federation_officer"], comment="请补充佐证")

    assert told(name) == {"xunyang", "xunyang2"}


def test_it_tells_the_federation_officers_when_a_model_union_is_recommended(people, case):
    walk(case, Stage.SELECTION, county=people["xunyang_officer"], city=people["federation_officer"])

    assert told("recommend_model") == {"fed", "fed2"}


@pytest.mark.parametrize("name", ["select_model", "decline_model"])
def test_it_tells_the_countys_officers_of_the_selection(people, case, name):
    walk(case, Stage.SELECTION, county=people["xunyang_officer"], city=people["federation_officer"])

    do_transition(case.pk, name, actor=people["federation_officer_2"], comment="名额已满")

    assert told(name) == {"xunyang", "xunyang2"}


def test_it_tells_only_the_linked_leader_when_a_subsidy_is_submitted(people, case):
    submitted_subsidy(case, county=people["xunyang_officer"], city=people["federation_officer"])

    assert told("subsidy_submit") == {"leader"}
    row = Notification.objects.get(kind="subsidy_submit")
    assert row.params["amount"] == "8000.00"


def test_it_tells_every_leader_when_no_leader_follows_the_county(people, wuning_case):
    submitted_subsidy(
        wuning_case, county=people["wuning_officer"], city=people["federation_officer"]
    )

    assert told("subsidy_submit") == {"leader", "leader2"}


@pytest.mark.parametrize(
    ("name", "actor", "expected"),
    [
        ("sign_off", "leader", {"xunyang", "xunyang2", "fed", "fed2"}),
        ("reject", "leader", {"xunyang", "xunyang2", "fed", "fed2"}),
    ],
)
def test_it_tells_county_and_federation_officers_of_a_leaders_decision(
    people, case, name, actor, expected
):
    application = submitted_subsidy(
        case, county=people["xunyang_officer"], city=people["federation_officer"]
    )

    do_subsidy_transition(application.pk, name, actor=people[actor], comment="材料不全")

    assert told(f"subsidy_{name}") == expected


def test_it_tells_county_and_other_federation_officers_of_a_disbursement(people, case):
    application = submitted_subsidy(
        case, county=people["xunyang_officer"], city=people["federation_officer"]
    )
    do_subsidy_transition(application.pk, "sign_off", actor=people["leader"])

    do_subsidy_transition(application.pk, "disburse", actor=people["federation_officer"])

    assert told("subsidy_disburse") == {"xunyang", "xunyang2", "fed2"}


def _submitted_summary(people, campaign):
    summary = do_create_summary(
        actor=people["xunyang_officer"], campaign=campaign, text="浔阳区总结：已完成摸底。"
    )
    return do_summary_transition(summary.pk, "submit", actor=people["xunyang_officer"])


def test_it_tells_the_federation_officers_when_a_county_summary_is_submitted(people, campaign):
    summary = _submitted_summary(people, campaign)

    assert told("summary_submit") == {"fed", "fed2"}
    row = Notification.objects.filter(kind="summary_submit").first()
    assert row.link == f"/summaries/{summary.pk}/"
    assert row.params["federation"] == "浔阳区总工会"


@pytest.mark.parametrize("name", ["accept", "return"])
def test_it_tells_the_countys_officers_when_its_summary_is_accepted_or_returned(
    people, campaign, name
):
    summary = _submitted_summary(people, campaign)

    do_summary_transition(
        summary.pk, name, actor=people["federation_officer"], comment="请补充数据"
    )

    assert told(f"summary_{name}") == {"xunyang", "xunyang2"}


def test_it_tells_a_wuning_officer_nothing_about_xunyang(people, case, wuning_case):
    application = submitted_subsidy(
        case, county=people["xunyang_officer"], city=people["federation_officer"]
    )
    do_subsidy_transition(application.pk, "sign_off", actor=people["leader"])
    do_subsidy_transition(application.pk, "disburse", actor=people["federation_officer"])

    about_xunyang = Notification.objects.filter(case__union__federation__code=XUNYANG)
    assert about_xunyang.count() > 10
    assert not about_xunyang.filter(recipient=people["wuning_officer"]).exists()
    wuning = Notification.objects.filter(recipient=people["wuning_officer"])
    assert not wuning.exclude(case__union__federation__code=WUNING).exists()


def test_it_writes_no_notification_for_steps_nobody_waits_on(people, case):
    walk(case, Stage.GUIDANCE, county=people["xunyang_officer"], city=people["federation_officer"])
    do_transition(case.pk, "reassess", actor=people["xunyang_officer"])

    assert not Notification.objects.filter(kind__in=["create", "reassess", "override"]).exists()


def test_it_renders_each_readers_text_in_their_language(people, case, chinese_catalogue):
    english = people["xunyang_officer_2"]
    english.language = "en"
    english.save(update_fields=["language"])
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=people["reporter"])

    do_transition(case.pk, "submit_survey", actor=people["reporter"])

    union = case.union.name
    zh = Notification.objects.get(kind="submit_survey", recipient=people["xunyang_officer"])
    en = Notification.objects.get(kind="submit_survey", recipient=english)
    assert payload_for(zh, "zh-hans")["text"] == f"{union} 已提交调查表。"
    assert payload_for(en, "en")["text"] == f"{union} submitted its survey."
    assert zh.params == en.params  # one fact, rendered per reader


def test_it_keeps_params_plain_json(people, case):
    application = submitted_subsidy(
        case, county=people["xunyang_officer"], city=people["federation_officer"]
    )
    do_subsidy_transition(application.pk, "reject", actor=people["leader"], comment="材料不全")

    for row in Notification.objects.all():
        assert json.loads(json.dumps(row.params)) == row.params
