"""County summaries (报送检查总结): figures from the records, stated figures flagged where they
disagree, the deadline in Asia/Shanghai, and the city's acceptance by someone else."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection

from inspections.models import CountySummary
from inspections.summaries import county_figures, do_create_summary, do_summary_transition
from lib.errors import Conflict
from notifications.models import Notification
from subsidies.services import do_subsidy_transition
from tests.conftest import WUNING, XUNYANG, make_union
from tests.subsidies.journey import advance, freeze_today, fresh_survey, submitted_subsidy
from unions.models import Federation, Role
from workflows.models import Event, Stage
from workflows.services import do_create_case, do_transition

TEXT = "我区共有基层工会五家参加建设，其中一家评为示范工会。"


@pytest.fixture(autouse=True)
def _during_the_2022_campaign(monkeypatch):
    freeze_today(monkeypatch, date(2022, 9, 1))


def _case(officer, campaign, name, federation=XUNYANG):
    union = make_union(officer, federation=federation, name=name)
    return do_create_case(actor=officer, campaign=campaign, union_id=union.pk)


@pytest.fixture
def records(
    campaign, xunyang_officer, wuning_officer, federation_officer, federation_officer_2, leader
):
    """浔阳区: one case not surveyed, one in guidance short of its standard with an unhappy
    membership, one model union paid and closed. 武宁县: one model union awaiting sign-off."""
    xy, fed = xunyang_officer, federation_officer
    _case(xy, campaign, "浔阳未填报工会")
    unhappy = fresh_survey(culture_activities_last_year=0)
    unhappy["member_evaluation"].update(satisfied=5, basically_satisfied=10, unsatisfied=40)
    advance(
        _case(xy, campaign, "浔阳指导中工会"),
        Stage.GUIDANCE,
        officer=xy,
        approver=fed,
        survey=unhappy,
    )
    paid = _case(xy, campaign, "浔阳示范工会")
    application = submitted_subsidy(paid, officer=xy, approver=fed)
    do_subsidy_transition(application.pk, "sign_off", actor=leader)
    do_subsidy_transition(application.pk, "disburse", actor=federation_officer_2)
    do_transition(paid.pk, "close", actor=fed)
    submitted_subsidy(
        _case(wuning_officer, campaign, "武宁示范工会", WUNING),
        officer=wuning_officer,
        approver=fed,
    )


XUNYANG_FIGURES = {
    "cases": 3,
    "surveyed": 2,
    "surveyed_six_haves": 0,
    "surveyed_six_norms": 2,
    "meeting_standard": 1,
    "grade_satisfied": 1,
    "grade_basically_satisfied": 0,
    "grade_unsatisfied": 1,
    "grade_none": 0,
    "model_unions": 1,
    "subsidies_requested": 1,
    "subsidies_requested_amount": "8000.00",
    "subsidies_signed_amount": "8000.00",
    "subsidies_disbursed_amount": "8000.00",
}


@pytest.fixture
def draft(records, campaign, xunyang_officer):
    return do_create_summary(actor=xunyang_officer, campaign=campaign, text=TEXT)


def _transition(api, user, summary, name, comment=""):
    return api.as_user(user).post(
        f"/api/v1/summaries/{summary.pk}/transitions/{name}/", {"comment": comment}, format="json"
    )


def _submit_at(api, monkeypatch, officer, summary, day, at):
    freeze_today(monkeypatch, day, at)
    return _transition(api, officer, summary, "submit")


def test_it_computes_the_countys_figures_from_its_records(
    records, campaign, django_assert_num_queries
):
    xunyang = Federation.objects.get(code=XUNYANG)
    queries = 4 if connection.vendor == "postgresql" else 3  # PostgreSQL: SET LOCAL jit = off

    with django_assert_num_queries(queries):
        figures = county_figures(campaign, xunyang)

    assert figures == XUNYANG_FIGURES
    wuning = county_figures(campaign, Federation.objects.get(code=WUNING))
    assert (wuning["cases"], wuning["model_unions"], wuning["subsidies_signed_amount"]) == (
        1,
        1,
        "0.00",
    )


def test_it_lets_a_county_officer_start_the_summary_of_their_own_county(
    api, records, campaign, xunyang_officer
):
    response = api.as_user(xunyang_officer).post(
        "/api/v1/summaries/",
        {"campaign": campaign.pk, "text": TEXT, "stated_figures": {"cases": 3}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["federation"], body["state"], body["late"], body["deadline"]) == (
        XUNYANG,
        "draft",
        False,
        "2022-12-15",
    )
    assert body["figures"] == XUNYANG_FIGURES  # a draft shows the records as they are now
    assert body["discrepancies"] == {}
    summary = CountySummary.objects.get()
    assert summary.history.get().history_user == xunyang_officer
    event = Event.objects.get(subject="summary", subject_id=summary.pk)
    assert (event.action, event.actor, event.to_stage, event.campaign_id) == (
        "create",
        xunyang_officer,
        "draft",
        campaign.pk,
    )


def test_it_refuses_a_summary_for_another_county(api, campaign, xunyang_officer):
    response = api.as_user(xunyang_officer).post(
        "/api/v1/summaries/",
        {"campaign": campaign.pk, "federation": WUNING, "text": TEXT},
        format="json",
    )

    assert response.status_code == 400
    assert "federation" in response.json()["errors"]
    assert not CountySummary.objects.exists()


@pytest.mark.parametrize("persona", ["federation_officer", "leader", "auditor", "reporter"])
def test_it_lets_only_county_officers_write_summaries(api, campaign, persona, request):
    response = api.as_user(request.getfixturevalue(persona)).post(
        "/api/v1/summaries/",
        {"campaign": campaign.pk, "federation": XUNYANG, "text": TEXT},
        format="json",
    )

    assert response.status_code == 403


def test_it_allows_one_summary_per_county_and_campaign(api, draft, campaign, xunyang_officer):
    again = api.as_user(xunyang_officer).post(
        "/api/v1/summaries/", {"campaign": campaign.pk}, format="json"
    )

    assert again.status_code == 400
    assert CountySummary.objects.count() == 1


def test_it_names_each_bad_stated_figure(api, campaign, xunyang_officer):
    response = api.as_user(xunyang_officer).post(
        "/api/v1/summaries/",
        {
            "campaign": campaign.pk,
            "stated_figures": {
                "cases": -1,
                "model_unions": "3",
                "subsidies_signed_amount": "10.005",
                "unions": 4,
            },
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "stated_figures.cases",
        "stated_figures.model_unions",
        "stated_figures.subsidies_signed_amount",
        "stated_figures.unions",
    }


def test_it_marks_a_summary_submitted_after_the_deadline_late_with_figures_from_the_records(
    api, draft, xunyang_officer, monkeypatch
):
    # 00:10 on 16 December in Jiujiang is still 15 December in UTC: the deadline is local.
    response = _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 16), time(0, 10))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["late"]) == ("submitted", True)
    assert body["submitted_at"].startswith("2022-12-16T00:10")
    assert body["figures"] == XUNYANG_FIGURES
    draft.refresh_from_db()
    assert draft.figures == XUNYANG_FIGURES and draft.late is True
    event = Event.objects.get(subject="summary", subject_id=draft.pk, action="submit")
    assert (event.actor, event.from_stage, event.to_stage, event.data) == (
        xunyang_officer,
        "draft",
        "submitted",
        {"late": True},
    )


def test_it_keeps_a_summary_submitted_late_on_the_deadline_day_on_time(
    api, draft, xunyang_officer, monkeypatch
):
    response = _submit_at(
        api, monkeypatch, xunyang_officer, draft, date(2022, 12, 15), time(23, 50)
    )

    assert response.json()["late"] is False


def test_it_tells_the_city_when_a_summary_is_submitted(
    api, draft, xunyang_officer, federation_officer, federation_officer_2, monkeypatch
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))

    for officer in (federation_officer, federation_officer_2):
        note = Notification.objects.get(recipient=officer, kind="summary_submit")
        assert note.params["federation"] == "浔阳区总工会"


def test_it_flags_stated_figures_that_disagree_with_the_records(api, draft, xunyang_officer):
    api.as_user(xunyang_officer).patch(
        f"/api/v1/summaries/{draft.pk}/",
        {
            "stated_figures": {
                "cases": 5,
                "model_unions": 1,
                "subsidies_disbursed_amount": "8000",
                "subsidies_signed_amount": "6000.00",
            }
        },
        format="json",
    )

    body = api.get(f"/api/v1/summaries/{draft.pk}/").json()

    assert body["stated_figures"]["subsidies_disbursed_amount"] == "8000.00"
    assert body["discrepancies"] == {
        "cases": {"stated": 5, "records": 3},
        "subsidies_signed_amount": {"stated": "6000.00", "records": "8000.00"},
    }


def test_it_freezes_the_figures_when_submitted(api, draft, campaign, xunyang_officer, monkeypatch):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))
    _case(xunyang_officer, campaign, "浔阳迟到工会")

    body = api.as_user(xunyang_officer).get(f"/api/v1/summaries/{draft.pk}/").json()

    assert body["figures"]["cases"] == 3
    assert county_figures(campaign, draft.federation)["cases"] == 4


def test_it_refuses_to_submit_an_empty_summary(api, records, campaign, xunyang_officer):
    empty = do_create_summary(actor=xunyang_officer, campaign=campaign)

    response = _transition(api, xunyang_officer, empty, "submit")

    assert response.status_code == 409
    assert response.json()["reason"]


def test_it_accepts_a_summary_and_tells_the_county(
    api, draft, xunyang_officer, xunyang_officer_2, federation_officer, monkeypatch
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))

    response = _transition(api, federation_officer, draft, "accept", "总结详实")

    assert response.status_code == 200
    assert response.json()["state"] == "accepted"
    assert Notification.objects.filter(recipient=xunyang_officer_2, kind="summary_accept").exists()
    history = draft.history.order_by("-history_id").first()
    assert (history.state, history.history_user, history.history_change_reason) == (
        "accepted",
        federation_officer,
        "总结详实",
    )


def test_it_returns_a_summary_with_a_reason_for_changes_and_takes_it_again(
    api, draft, xunyang_officer, federation_officer, monkeypatch
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))
    assert (
        api.as_user(xunyang_officer)
        .patch(f"/api/v1/summaries/{draft.pk}/", {"text": "改"}, format="json")
        .status_code
        == 409
    )

    bare = _transition(api, federation_officer, draft, "return")
    assert bare.status_code == 400 and "comment" in bare.json()["errors"]
    returned = _transition(api, federation_officer, draft, "return", "请补充会员评家情况")
    assert returned.json()["state"] == "returned"
    note = Notification.objects.get(recipient=xunyang_officer, kind="summary_return")
    assert note.params["comment"] == "请补充会员评家情况"

    edited = api.as_user(xunyang_officer).patch(
        f"/api/v1/summaries/{draft.pk}/", {"text": TEXT + "会员评家满意率较高。"}, format="json"
    )
    assert edited.status_code == 200
    again = _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 20), time(9))
    assert (again.json()["state"], again.json()["late"]) == ("submitted", True)
    actions = list(
        Event.objects.filter(subject="summary", subject_id=draft.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "submit", "return", "update", "submit"]


@pytest.mark.parametrize("name", ["accept", "return"])
def test_it_never_lets_the_submitter_accept_or_return_whatever_their_role_becomes(
    api, draft, xunyang_officer, federation_officer, monkeypatch, name
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))
    xunyang_officer.role = Role.FEDERATION_OFFICER  # moved to the city after submitting
    xunyang_officer.save(update_fields=["role"])

    own = _transition(api, xunyang_officer, draft, name, "意见")

    assert own.status_code == 409
    assert _transition(api, federation_officer, draft, name, "意见").status_code == 200


@pytest.mark.parametrize(
    ("name", "persona"),
    [
        ("submit", "federation_officer"),
        ("submit", "leader"),
        ("accept", "xunyang_officer"),
        ("accept", "leader"),
        ("return", "auditor"),
    ],
)
def test_it_lets_each_transition_be_fired_only_by_its_role(api, draft, name, persona, request):
    response = _transition(api, request.getfixturevalue(persona), draft, name, "意见")

    assert response.status_code == 403


def test_it_refuses_a_transition_from_the_wrong_state(api, draft, federation_officer):
    response = _transition(api, federation_officer, draft, "accept")

    assert response.status_code == 409


def test_it_keeps_a_countys_summary_from_other_counties(
    api, draft, wuning_officer, leader, auditor, reporter
):
    assert _transition(api, wuning_officer, draft, "submit").status_code == 404
    assert api.as_user(wuning_officer).get(f"/api/v1/summaries/{draft.pk}/").status_code == 404
    assert api.as_user(wuning_officer).get("/api/v1/summaries/").json()["results"] == []
    assert api.as_user(reporter).get("/api/v1/summaries/").json()["results"] == []
    for reader in (leader, auditor):
        assert [
            s["id"] for s in api.as_user(reader).get("/api/v1/summaries/").json()["results"]
        ] == [draft.pk]


def test_it_shows_every_countys_summary_against_the_deadline(
    api, draft, campaign, xunyang_officer, wuning_officer, federation_officer, monkeypatch
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 16), time(8))
    do_create_summary(actor=wuning_officer, campaign=campaign, text="武宁总结")
    freeze_today(monkeypatch, date(2022, 12, 10))

    board = (
        api.as_user(federation_officer)
        .get(f"/api/v1/campaigns/{campaign.pk}/summary-board/")
        .json()
    )

    assert board["deadline"] == "2022-12-15"
    rows = {row["federation"]["code"]: row for row in board["counties"]}
    assert len(rows) == Federation.objects.filter(level="county").count() == 13
    assert (rows[XUNYANG]["state"], rows[XUNYANG]["late"], rows[XUNYANG]["days_left"]) == (
        "submitted",
        True,
        None,
    )
    assert (rows[WUNING]["state"], rows[WUNING]["late"], rows[WUNING]["days_left"]) == (
        "draft",
        False,
        5,
    )
    assert (rows["360402"]["state"], rows["360402"]["summary"], rows["360402"]["days_left"]) == (
        "missing",
        None,
        5,
    )

    freeze_today(monkeypatch, date(2022, 12, 17))
    overdue = api.get(f"/api/v1/campaigns/{campaign.pk}/summary-board/").json()["counties"]
    assert {r["federation"]["code"]: (r["late"], r["days_left"]) for r in overdue}["360402"] == (
        True,
        -2,
    )


def test_it_shows_a_county_officer_only_their_own_row_of_the_board(
    api, campaign, wuning_officer, reporter
):
    rows = (
        api.as_user(wuning_officer)
        .get(f"/api/v1/campaigns/{campaign.pk}/summary-board/")
        .json()["counties"]
    )

    assert [r["federation"]["code"] for r in rows] == [WUNING]
    assert (
        api.as_user(reporter).get(f"/api/v1/campaigns/{campaign.pk}/summary-board/").status_code
        == 403
    )


def test_it_audits_every_change_of_a_summary(
    api, draft, xunyang_officer, federation_officer, monkeypatch
):
    _submit_at(api, monkeypatch, xunyang_officer, draft, date(2022, 12, 1), time(10))
    do_summary_transition(draft.pk, "accept", actor=federation_officer)

    rows = list(draft.history.order_by("history_id").values_list("state", "history_user__username"))

    assert rows == [("draft", "xunyang"), ("submitted", "xunyang"), ("accepted", "fed")]
    # Each event links to the history row its own save wrote.
    events = Event.objects.filter(subject="summary", subject_id=draft.pk).order_by("id")
    assert [(e.action, e.history_id) for e in events] == list(
        zip(
            ["create", "submit", "accept"],
            draft.history.order_by("history_id").values_list("history_id", flat=True),
            strict=True,
        )
    )
    with pytest.raises(Conflict):
        do_summary_transition(draft.pk, "accept", actor=federation_officer)
