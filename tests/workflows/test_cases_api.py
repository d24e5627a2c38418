"""``POST /api/v1/cases/`` and ``GET /api/v1/cases/{id}/``: one case per union per campaign, its
track derived from the founding date (NORMS.md), created by county and federation officers."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import WUNING, make_union
from workflows.models import Case, Event, Stage, Track

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db


def post(api, user, body):
    client = api.as_user(user) if user is not None else api
    return client.post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("who", ["xunyang_officer", "federation_officer"])
def test_it_opens_a_case_with_its_derived_track_an_event_and_history(
    request, api, campaign, xunyang_union, who
):
    actor = request.getfixturevalue(who)
    response = post(api, actor, {"campaign": campaign.pk, "union": xunyang_union.pk})

    assert response.status_code == 201, response.data
    assert {"id", "track", "stage"} <= set(response.data)
    assert (response.data["track"], response.data["stage"]) == (Track.SIX_NORMS, Stage.SURVEY)
    case = Case.objects.get(pk=response.data["id"])
    assert (case.union, case.campaign) == (xunyang_union, campaign)
    event = Event.objects.get(case=case)
    assert (event.action, event.actor, event.from_stage, event.to_stage) == (
        "create",
        actor,
        "",
        Stage.SURVEY,
    )
    row = case.history.get()
    assert (row.history_type, row.history_user) == ("+", actor)


@pytest.mark.parametrize(
    ("founded_on", "track"),
    [
        (date(2017, 5, 20), Track.SIX_NORMS),  # exactly five years before 2022-05-20
        (date(2017, 5, 21), Track.SIX_HAVES),
        (date(2022, 5, 20), Track.SIX_HAVES),
    ],
)
def test_it_derives_the_track_at_the_five_year_line(
    api, campaign, xunyang_officer, founded_on, track
):
    union = make_union(xunyang_officer, name=f"工会{founded_on}", founded_on=founded_on)
    response = post(api, xunyang_officer, {"campaign": campaign.pk, "union": union.pk})
    assert response.data["track"] == track


def test_it_ignores_a_track_or_stage_sent_by_the_client(
    api, campaign, xunyang_union, xunyang_officer
):
    response = post(
        api,
        xunyang_officer,
        {
            "campaign": campaign.pk,
            "union": xunyang_union.pk,
            "track": "six_haves",
            "stage": "closed",
        },
    )
    assert response.status_code == 201
    assert (response.data["track"], response.data["stage"]) == (Track.SIX_NORMS, Stage.SURVEY)


def test_it_allows_one_case_per_union_per_campaign(api, case, xunyang_officer, federation_officer):
    body = {"campaign": case.campaign_id, "union": case.union_id}
    for actor in (xunyang_officer, federation_officer):
        response = post(api, actor, body)
        assert response.status_code == 400
        assert list(response.data["errors"]) == ["union"]
        assert "already has a case" in response.data["errors"]["union"][0]
    assert Case.objects.count() == 1
    assert Event.objects.filter(subject="case", action="create").count() == 1


def test_it_treats_a_union_of_another_county_as_nonexistent(
    api, campaign, wuning_union, xunyang_officer
):
    response = post(api, xunyang_officer, {"campaign": campaign.pk, "union": wuning_union.pk})
    missing = post(api, xunyang_officer, {"campaign": campaign.pk, "union": 999999})
    assert response.status_code == missing.status_code == 400
    # Nothing tells them the union exists: the same answer as for an id nobody has.
    same = missing.data["errors"]["union"][0].replace("999999", str(wuning_union.pk))
    assert response.data == {"errors": {"union": [same]}}
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["reporter", "leader", "auditor"])
def test_it_lets_only_officers_open_cases(request, api, campaign, xunyang_union, who):
    response = post(
        api, request.getfixturevalue(who), {"campaign": campaign.pk, "union": xunyang_union.pk}
    )
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"campaign", "union"}),
        ({"campaign": 999999, "union": "x"}, {"campaign", "union"}),
    ],
)
def test_it_names_the_bad_fields(api, campaign, xunyang_officer, body, fields):
    response = post(api, xunyang_officer, body)
    assert response.status_code == 400
    assert set(response.data["errors"]) == fields


@pytest.mark.django_db
def test_it_needs_credentials(api):
    assert post(api, None, {"campaign": 1, "union": 1}).status_code == 401


def test_it_shows_a_case_in_the_shape_of_api_md(api, case, xunyang_officer):
    response = api.as_user(xunyang_officer).get(
        f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    data = response.data
    assert {"id", "union", "campaign", "track", "stage", "available_transitions"} <= set(data)
    assert (data["id"], data["union"], data["campaign"]) == (
        case.pk,
        case.union_id,
        case.campaign_id,
    )
    assert data["available_transitions"] == [
        {
            "name": "submit_survey",
            "label": "Submit survey",
            "allowed": False,
            "reason": data["available_transitions"][0]["reason"],
        }
    ]
    assert data["available_transitions"][0]["reason"].startswith("The survey is not complete")


def test_it_shows_a_case_only_in_scope(
    api, case, wuning_case, xunyang_officer, wuning_officer, leader
):
    assert api.as_user(wuning_officer).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api.as_user(xunyang_officer).get(f"/api/v1/cases/{wuning_case.pk}/").status_code == 404
    assert api.as_user(leader).get(f"/api/v1/cases/{wuning_case.pk}/").status_code == 200
    listed = api.as_user(xunyang_officer).get("/api/v1/cases/").data["results"]
    assert [c["id"] for c in listed] == [case.pk]


def test_it_filters_the_case_list(api, case, wuning_case, federation_officer):
    client = api.as_user(federation_officer)
    assert {c["id"] for c in client.get("/api/v1/cases/?stage=survey").data["results"]} == {
        case.pk,
        wuning_case.pk,
    }
    assert client.get("/api/v1/cases/?stage=closed").data["results"] == []
    assert [
        c["federation"]
        for c in client.get(f"/api/v1/cases/?track={wuning_case.track}").data["results"]
    ].count(WUNING) == 1
