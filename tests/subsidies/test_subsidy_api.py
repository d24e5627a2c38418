"""Subsidy applications through the API of API.md: who may do what, in which state, and what
each step leaves behind (event, history, notification)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from notifications.models import Notification
from subsidies.models import SubsidyApplication
from tests.conftest import WUNING, make_union
from tests.subsidies.journey import advance, submitted_subsidy
from unions.models import Role
from workflows.models import Event, Stage
from workflows.services import do_create_case

S = SubsidyApplication.State


@pytest.fixture
def selected(case, xunyang_officer, federation_officer):
    """浔阳区's union, selected as a model union and waiting for its subsidy application."""
    return advance(case, Stage.SUBSIDY, officer=xunyang_officer, approver=federation_officer)


@pytest.fixture
def application(selected, xunyang_officer, federation_officer):
    return submitted_subsidy(selected, officer=xunyang_officer, approver=federation_officer)


def _post(api, user, url, data=None):
    return api.as_user(user).post(url, data or {}, format="json")


def test_it_creates_an_application_with_the_campaigns_amount_for_a_six_norms_union(
    api, selected, xunyang_officer
):
    response = _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": selected.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "8000.00"
    assert body["state"] == "draft"
    assert body["track"] == "six_norms"
    application = SubsidyApplication.objects.get(pk=body["id"])
    assert application.amount == Decimal("8000.00")
    event = Event.objects.get(subject="subsidy", subject_id=application.pk)
    assert (event.action, event.actor, event.to_stage) == ("create", xunyang_officer, "draft")
    row = application.history.get()
    assert row.history_user == xunyang_officer


def test_it_defaults_the_amount_of_a_six_haves_union_to_its_track(
    api, campaign, xunyang_officer, federation_officer
):
    young = make_union(xunyang_officer, name="浔阳区新业态快递员工会", founded_on=date(2019, 6, 1))
    case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=young.pk)
    assert case.track == "six_haves"
    advance(case, Stage.SUBSIDY, officer=xunyang_officer, approver=federation_officer)

    response = _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": case.pk})

    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "5000.00"


@pytest.mark.parametrize("persona", ["leader", "federation_officer", "auditor"])
def test_it_lets_only_county_officers_apply(api, selected, persona, request):
    user = request.getfixturevalue(persona)

    response = _post(api, user, "/api/v1/subsidies/", {"case": selected.pk})

    assert response.status_code == 403
    assert not SubsidyApplication.objects.exists()


def test_it_treats_another_countys_case_as_unknown(api, selected, wuning_officer):
    response = _post(api, wuning_officer, "/api/v1/subsidies/", {"case": selected.pk})

    assert response.status_code == 400
    assert "case" in response.json()["errors"]
    assert not SubsidyApplication.objects.exists()


def test_it_refuses_an_application_for_a_case_not_selected(
    api, case, xunyang_officer, federation_officer
):
    advance(case, Stage.GUIDANCE, officer=xunyang_officer, approver=federation_officer)

    response = _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": case.pk})

    assert response.status_code == 400
    assert "case" in response.json()["errors"]


def test_it_allows_one_application_per_case(api, selected, xunyang_officer):
    assert (
        _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": selected.pk}).status_code == 201
    )

    again = _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": selected.pk})

    assert again.status_code == 400
    assert SubsidyApplication.objects.count() == 1


def test_it_goes_from_draft_to_disbursed_with_one_event_and_history_row_per_step(
    api, selected, xunyang_officer, leader, federation_officer
):
    created = _post(api, xunyang_officer, "/api/v1/subsidies/", {"case": selected.pk}).json()
    url = f"/api/v1/subsidies/{created['id']}/transitions"

    steps = [
        (xunyang_officer, "submit", "申请示范工会补助", "submitted"),
        (leader, "sign_off", "同意", "signed_off"),
        (federation_officer, "disburse", "已拨付", "disbursed"),
    ]
    for user, name, comment, state in steps:
        response = _post(api, user, f"{url}/{name}/", {"comment": comment})
        assert response.status_code == 200, (name, response.json())
        assert response.json()["state"] == state

    events = list(
        Event.objects.filter(subject="subsidy", subject_id=created["id"])
        .order_by("id")
        .values_list("action", "actor__username", "from_stage", "to_stage", "comment")
    )
    assert events == [
        ("create", "xunyang", "", "draft", ""),
        ("submit", "xunyang", "draft", "submitted", "申请示范工会补助"),
        ("sign_off", "leader", "submitted", "signed_off", "同意"),
        ("disburse", "fed", "signed_off", "disbursed", "已拨付"),
    ]
    history = SubsidyApplication.objects.get(pk=created["id"]).history.order_by("history_id")
    assert [(h.state, h.history_user.username, h.history_change_reason) for h in history] == [
        ("draft", "xunyang", gettext("Subsidy application created")),
        ("submitted", "xunyang", "申请示范工会补助"),
        ("signed_off", "leader", "同意"),
        ("disbursed", "fed", "已拨付"),
    ]


@pytest.mark.parametrize(
    ("name", "persona"),
    [
        ("submit", "leader"),
        ("submit", "federation_officer"),
        ("sign_off", "xunyang_officer"),
        ("sign_off", "federation_officer"),
        ("sign_off", "auditor"),
        ("reject", "xunyang_officer"),
        ("reject", "federation_officer"),
        ("disburse", "leader"),
        ("disburse", "xunyang_officer"),
    ],
)
def test_it_lets_each_transition_be_fired_only_by_its_role(
    api, application, name, persona, request
):
    user = request.getfixturevalue(persona)

    response = _post(
        api, user, f"/api/v1/subsidies/{application.pk}/transitions/{name}/", {"comment": "x"}
    )

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_it_hides_another_countys_application(api, application, wuning_officer):
    response = _post(api, wuning_officer, f"/api/v1/subsidies/{application.pk}/transitions/submit/")

    assert response.status_code == 404
    assert (
        api.as_user(wuning_officer).get(f"/api/v1/subsidies/{application.pk}/").status_code == 404
    )
    assert api.as_user(wuning_officer).get("/api/v1/subsidies/").json()["results"] == []


def test_it_answers_an_unknown_transition_with_404(api, application, leader):
    response = _post(api, leader, f"/api/v1/subsidies/{application.pk}/transitions/approve/")

    assert response.status_code == 404


def test_it_refuses_a_transition_from_the_wrong_state_with_409(
    api, application, federation_officer
):
    response = _post(
        api, federation_officer, f"/api/v1/subsidies/{application.pk}/transitions/disburse/"
    )

    assert response.status_code == 409
    assert response.json()["reason"]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_it_refuses_submitting_twice_with_409(api, application, xunyang_officer):
    response = _post(
        api, xunyang_officer, f"/api/v1/subsidies/{application.pk}/transitions/submit/"
    )

    assert response.status_code == 409


def test_it_needs_a_comment_to_reject(api, application, leader):
    response = _post(
        api, leader, f"/api/v1/subsidies/{application.pk}/transitions/reject/", {"comment": " "}
    )

    assert response.status_code == 400
    assert "comment" in response.json()["errors"]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_it_rejects_with_the_reason_and_tells_the_county(api, application, leader, xunyang_officer):
    response = _post(
        api,
        leader,
        f"/api/v1/subsidies/{application.pk}/transitions/reject/",
        {"comment": "材料不全"},
    )

    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    note = Notification.objects.get(recipient=xunyang_officer, kind="subsidy_reject")
    assert note.params["comment"] == "材料不全"


def test_it_refuses_a_sign_off_over_the_budget_with_409_and_the_reason(
    api, campaign, application, leader, federation_officer
):
    campaign.subsidy_budget = Decimal("7999.99")
    campaign.save(update_fields=["subsidy_budget"])

    response = _post(api, leader, f"/api/v1/subsidies/{application.pk}/transitions/sign_off/")

    assert response.status_code == 409
    assert "7999.99" in response.json()["reason"]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert not Event.objects.filter(subject="subsidy", action="sign_off").exists()


def test_it_signs_off_exactly_up_to_the_budget_and_counts_earlier_commitments(
    api, campaign, xunyang_officer, federation_officer, leader
):
    campaign.subsidy_budget = Decimal("16000.00")
    campaign.save(update_fields=["subsidy_budget"])
    applications = []
    for n in range(3):
        union = make_union(xunyang_officer, name=f"浔阳区示范企业{n}工会")
        case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
        applications.append(
            submitted_subsidy(case, officer=xunyang_officer, approver=federation_officer)
        )
    url = "/api/v1/subsidies/{}/transitions/sign_off/"

    first = _post(api, leader, url.format(applications[0].pk))
    second = _post(api, leader, url.format(applications[1].pk))
    third = _post(api, leader, url.format(applications[2].pk))

    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 409]
    assert "16000.00" in third.json()["reason"]


def test_it_frees_no_budget_by_disbursing(
    api, campaign, xunyang_officer, federation_officer, leader
):
    """Disbursed money stays committed: a later sign-off still counts it."""
    campaign.subsidy_budget = Decimal("8000.00")
    campaign.save(update_fields=["subsidy_budget"])
    cases = [
        do_create_case(
            actor=xunyang_officer,
            campaign=campaign,
            union_id=make_union(xunyang_officer, name=f"浔阳区示范{n}工会").pk,
        )
        for n in range(2)
    ]
    first, second = (
        submitted_subsidy(c, officer=xunyang_officer, approver=federation_officer) for c in cases
    )
    assert (
        _post(api, leader, f"/api/v1/subsidies/{first.pk}/transitions/sign_off/").status_code == 200
    )
    assert (
        _post(
            api, federation_officer, f"/api/v1/subsidies/{first.pk}/transitions/disburse/"
        ).status_code
        == 200
    )

    response = _post(api, leader, f"/api/v1/subsidies/{second.pk}/transitions/sign_off/")

    assert response.status_code == 409


def test_it_never_lets_the_submitter_sign_off_whatever_their_role_becomes(
    api, selected, xunyang_officer, federation_officer
):
    application = submitted_subsidy(selected, officer=xunyang_officer, approver=federation_officer)
    xunyang_officer.role = Role.LEADER  # promoted after submitting
    xunyang_officer.save(update_fields=["role"])

    sign = _post(api, xunyang_officer, f"/api/v1/subsidies/{application.pk}/transitions/sign_off/")
    reject = _post(
        api,
        xunyang_officer,
        f"/api/v1/subsidies/{application.pk}/transitions/reject/",
        {"comment": "否"},
    )

    assert sign.status_code == 409
    assert reject.status_code == 409
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_it_tells_the_linked_leader_only_when_a_subsidy_is_submitted(leader, leader_2, application):
    assert Notification.objects.filter(recipient=leader, kind="subsidy_submit").count() == 1
    assert not Notification.objects.filter(recipient=leader_2, kind="subsidy_submit").exists()


def test_it_lists_a_leaders_linked_counties_first_and_filters_what_waits(
    api, campaign, xunyang_officer, wuning_officer, federation_officer, leader
):
    wuning_cases = [
        do_create_case(
            actor=wuning_officer,
            campaign=campaign,
            union_id=make_union(wuning_officer, federation=WUNING, name=f"武宁县示范{n}工会").pk,
        )
        for n in range(2)
    ]
    xunyang_case = do_create_case(
        actor=xunyang_officer,
        campaign=campaign,
        union_id=make_union(xunyang_officer, name="浔阳区示范工会").pk,
    )
    wuning_apps = [
        submitted_subsidy(c, officer=wuning_officer, approver=federation_officer)
        for c in wuning_cases
    ]
    xunyang_app = submitted_subsidy(
        xunyang_case, officer=xunyang_officer, approver=federation_officer
    )
    signed = _post(api, leader, f"/api/v1/subsidies/{wuning_apps[1].pk}/transitions/sign_off/")
    assert signed.status_code == 200

    everything = api.as_user(leader).get("/api/v1/subsidies/").json()["results"]
    waiting = api.as_user(leader).get("/api/v1/subsidies/?waiting=1").json()["results"]

    assert [(row["id"], row["linked"]) for row in everything] == [
        (xunyang_app.pk, True),
        (wuning_apps[0].pk, False),
        (wuning_apps[1].pk, False),
    ]
    assert [row["id"] for row in waiting] == [xunyang_app.pk, wuning_apps[0].pk]
    fed_waiting = (
        api.as_user(federation_officer).get("/api/v1/subsidies/?waiting=1").json()["results"]
    )
    assert [row["id"] for row in fed_waiting] == [wuning_apps[1].pk]


def test_it_shows_each_user_what_they_may_do_next(api, application, leader, xunyang_officer):
    as_leader = api.as_user(leader).get(f"/api/v1/subsidies/{application.pk}/").json()
    allowed = {t["name"]: t["allowed"] for t in as_leader["available_transitions"]}
    assert allowed == {"sign_off": True, "reject": True}

    as_officer = api.as_user(xunyang_officer).get(f"/api/v1/subsidies/{application.pk}/").json()
    assert {t["name"]: t["allowed"] for t in as_officer["available_transitions"]} == {
        "sign_off": False,
        "reject": False,
    }


def test_it_closes_the_case_only_once_the_subsidy_is_disbursed(
    api, selected, application, leader, federation_officer, federation_officer_2
):
    close = f"/api/v1/cases/{selected.pk}/transitions/close/"
    early = _post(api, federation_officer, close, {"comment": "结案"})
    assert early.status_code == 409
    assert early.json()["reason"]

    _post(api, leader, f"/api/v1/subsidies/{application.pk}/transitions/sign_off/")
    signed = _post(api, federation_officer, close, {"comment": "结案"})
    assert signed.status_code == 409

    _post(api, federation_officer_2, f"/api/v1/subsidies/{application.pk}/transitions/disburse/")
    done = _post(api, federation_officer, close, {"comment": "结案"})
    assert done.status_code == 200, done.json()
    assert done.json()["stage"] == "closed"
    event = Event.objects.filter(case=selected, action="close").get()
    assert (event.actor, event.from_stage, event.to_stage, event.comment) == (
        federation_officer,
        "subsidy",
        "closed",
        "结案",
    )


def test_it_closes_the_case_once_the_subsidy_is_rejected(
    api, selected, application, leader, federation_officer
):
    _post(
        api,
        leader,
        f"/api/v1/subsidies/{application.pk}/transitions/reject/",
        {"comment": "预算已用完"},
    )

    response = _post(api, federation_officer, f"/api/v1/cases/{selected.pk}/transitions/close/")

    assert response.status_code == 200
    assert response.json()["stage"] == "closed"


def test_it_keeps_the_case_open_while_no_subsidy_was_applied_for(api, selected, federation_officer):
    response = _post(api, federation_officer, f"/api/v1/cases/{selected.pk}/transitions/close/")

    assert response.status_code == 409
    selected.refresh_from_db()
    assert selected.stage == Stage.SUBSIDY


def test_it_replays_a_retried_sign_off_instead_of_signing_twice(api, application, leader):
    url = f"/api/v1/subsidies/{application.pk}/transitions/sign_off/"
    client = api.as_user(leader)

    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")
    retry = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="sign-1")

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert (
        Event.objects.filter(
            subject="subsidy", subject_id=application.pk, action="sign_off"
        ).count()
        == 1
    )
