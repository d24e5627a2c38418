"""``/api/v1/unions/``: register, read, change and list grassroots unions, in scope only."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from tests.conftest import WUNING, XUNYANG, make_union
from unions.models import Union
from workflows.models import Event, Stage, Track
from workflows.services import do_create_case

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

NEW = {
    "name": "九江长江物流有限公司工会",
    "federation": XUNYANG,
    "union_type": "enterprise",
    "ownership": "private",
    "founded_on": "2019-07-01",
    "credit_code": "91330100716105852F",
    "address": "江西省九江市浔阳区湓浦街道1号",
    "contact_name": "张伟",
    "contact_phone": "0792-8123456",
}


def post(api, user, body):
    client = api.as_user(user) if user is not None else api
    return client.post("/api/v1/unions/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


# --- Register -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["xunyang_officer", "federation_officer"])
def test_it_registers_a_union_with_history(request, api, who):
    actor = request.getfixturevalue(who)
    response = post(api, actor, {**NEW, "reason": "新建会"})
    assert response.status_code == 201, response.data
    union = Union.objects.get(pk=response.data["id"])
    assert response.data["federation"] == XUNYANG
    assert response.data["founded_on"] == "2019-07-01"
    assert response.data["track"] is None and response.data["stage"] is None  # no case yet
    row = union.history.get()
    assert (row.history_type, row.history_user, row.history_change_reason) == ("+", actor, "新建会")


def test_it_refuses_a_county_officer_registering_in_another_county(api, xunyang_officer):
    response = post(api, xunyang_officer, {**NEW, "federation": WUNING})
    assert response.status_code == 400
    assert list(response.data["errors"]) == ["federation"]
    assert not Union.objects.exists()


@pytest.mark.parametrize("who", ["reporter", "leader", "auditor"])
def test_it_refuses_roles_that_do_not_register_unions(request, api, who):
    user = request.getfixturevalue(who)
    before = Union.objects.count()
    response = post(api, user, NEW)
    assert response.status_code == 403
    assert Union.objects.count() == before


@pytest.mark.django_db
def test_it_needs_credentials_to_register(api):
    assert post(api, None, NEW).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"federation": "999999"}, "federation"),
        ({"union_type": "club"}, "union_type"),
        ({"founded_on": "2019-02-30"}, "founded_on"),
        ({"ownership": "public"}, "ownership"),
        ({"union_type": "institution"}, "ownership"),  # ownership is for enterprises only
        ({"park_level": "provincial"}, "park_level"),  # park level is for industrial parks only
        ({"credit_code": "91330100716105852G"}, "credit_code"),
    ],
)
def test_it_names_the_bad_field_and_saves_nothing(api, xunyang_officer, change, field):
    response = post(api, xunyang_officer, {**NEW, **change})
    assert response.status_code == 400, response.data
    assert list(response.data) == ["errors"]
    assert field in response.data["errors"], response.data
    assert all(isinstance(m, str) and m for m in response.data["errors"][field])
    assert not Union.objects.exists()


def test_it_names_every_missing_field_at_once(api, xunyang_officer):
    response = post(api, xunyang_officer, {})
    assert response.status_code == 400
    assert {"name", "federation", "union_type", "founded_on"} <= set(response.data["errors"])


# --- Read and change ----------------------------------------------------------------------------


def test_it_shows_a_union_in_scope_and_hides_it_outside(
    api, xunyang_union, wuning_officer, reporter
):
    assert api.as_user(reporter).get(f"/api/v1/unions/{xunyang_union.pk}/").status_code == 200
    assert api.as_user(wuning_officer).get(f"/api/v1/unions/{xunyang_union.pk}/").status_code == 404
    assert api.as_user(wuning_officer).get("/api/v1/unions/999999/").status_code == 404


def test_it_changes_a_union_with_history_naming_the_actor_and_reason(
    api, xunyang_union, xunyang_officer
):
    response = api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/",
        {"contact_phone": "0792-8999999", "reason": "联系人变更"},
        format="json",
    )
    assert response.status_code == 200
    assert response.data["contact_phone"] == "0792-8999999"
    row = xunyang_union.history.order_by("-history_id").first()
    assert (row.contact_phone, row.history_user, row.history_change_reason) == (
        "0792-8999999",
        xunyang_officer,
        "联系人变更",
    )


def test_it_refuses_changes_outside_scope_or_role(
    api, xunyang_union, wuning_officer, reporter, leader
):
    url = f"/api/v1/unions/{xunyang_union.pk}/"
    body = {"name": "改名"}
    assert api.as_user(wuning_officer).patch(url, body, format="json").status_code == 404
    assert api.as_user(reporter).patch(url, body, format="json").status_code == 403
    assert api.as_user(leader).patch(url, body, format="json").status_code == 403
    assert api.as_user(reporter).put(url, body, format="json").status_code == 405
    xunyang_union.refresh_from_db()
    assert xunyang_union.name != "改名"
    assert xunyang_union.history.count() == 1


def test_it_keeps_a_county_officer_from_moving_a_union_to_another_county(
    api, xunyang_union, xunyang_officer, federation_officer
):
    url = f"/api/v1/unions/{xunyang_union.pk}/"
    response = api.as_user(xunyang_officer).patch(url, {"federation": WUNING}, format="json")
    assert response.status_code == 400
    assert list(response.data["errors"]) == ["federation"]
    moved = api.as_user(federation_officer).patch(
        url, {"federation": WUNING, "reason": "隶属关系调整"}, format="json"
    )
    assert moved.status_code == 200
    assert moved.data["federation"] == WUNING


def test_it_refuses_a_bad_patch_and_keeps_the_union_as_it_was(api, xunyang_union, xunyang_officer):
    url = f"/api/v1/unions/{xunyang_union.pk}/"
    response = api.as_user(xunyang_officer).patch(
        url, {"union_type": "institution", "founded_on": "2018-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "ownership" in response.data["errors"]
    xunyang_union.refresh_from_db()
    assert (xunyang_union.union_type, xunyang_union.founded_on) == ("enterprise", date(2015, 3, 1))


# --- List, filters, pagination ------------------------------------------------------------------


@pytest.fixture
def registry(campaign, xunyang_officer, wuning_officer, federation_officer, frozen_today):
    """浔阳区: an old union with a case in survey_review, a young one in survey, one with no case;
    武宁县: one old union in survey."""
    from inspections.services import do_save_survey
    from lib.demo_survey import full_survey
    from workflows.services import do_transition

    old = make_union(xunyang_officer, name="浔阳甲工会", founded_on=date(2010, 1, 1))
    young = make_union(xunyang_officer, name="浔阳乙工会", founded_on=date(2020, 1, 1))
    idle = make_union(xunyang_officer, name="浔阳丙工会", founded_on=date(2012, 1, 1))
    far = make_union(
        wuning_officer, federation=WUNING, name="武宁甲工会", founded_on=date(2011, 1, 1)
    )
    reviewing = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=old.pk)
    do_save_survey(reviewing, full_survey(on=frozen_today), actor=xunyang_officer)
    do_transition(reviewing.pk, "submit_survey", actor=xunyang_officer)
    do_create_case(actor=xunyang_officer, campaign=campaign, union_id=young.pk)
    do_create_case(actor=wuning_officer, campaign=campaign, union_id=far.pk)
    return {"old": old, "young": young, "idle": idle, "far": far}


@pytest.fixture
def frozen_today(monkeypatch):
    from tests.workflows.conftest import TODAY

    monkeypatch.setattr("inspections.services.today", lambda: TODAY)
    return TODAY


def names(response) -> set[str]:
    assert response.status_code == 200, response.data
    return {u["name"] for u in response.data["results"]}


def test_it_lists_only_the_unions_in_scope(
    api, registry, xunyang_officer, wuning_officer, auditor, reporter
):
    own = "九江浔阳新材料有限公司工会"  # the reporter's union, also in 浔阳区
    assert names(api.as_user(xunyang_officer).get("/api/v1/unions/")) == {
        "浔阳甲工会",
        "浔阳乙工会",
        "浔阳丙工会",
        own,
    }
    assert names(api.as_user(wuning_officer).get("/api/v1/unions/")) == {"武宁甲工会"}
    assert len(names(api.as_user(auditor).get("/api/v1/unions/"))) == 5
    assert names(api.as_user(reporter).get("/api/v1/unions/")) == {own}


def test_it_shows_each_unions_track_and_stage_in_the_current_campaign(api, registry, auditor):
    rows = {u["name"]: u for u in api.as_user(auditor).get("/api/v1/unions/").data["results"]}
    assert (rows["浔阳甲工会"]["track"], rows["浔阳甲工会"]["stage"]) == (
        Track.SIX_NORMS,
        Stage.SURVEY_REVIEW,
    )
    assert (rows["浔阳乙工会"]["track"], rows["浔阳乙工会"]["stage"]) == (
        Track.SIX_HAVES,
        Stage.SURVEY,
    )
    assert (rows["浔阳丙工会"]["track"], rows["浔阳丙工会"]["stage"]) == (None, None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("federation=360403", {"浔阳乙工会", "浔阳丙工会", "浔阳甲工会"}),
        ("federation=360423", {"武宁甲工会"}),
        ("federation=360424", set()),
        ("track=six_haves", {"浔阳乙工会"}),
        ("track=six_norms", {"浔阳甲工会", "武宁甲工会"}),
        ("stage=survey", {"浔阳乙工会", "武宁甲工会"}),
        ("stage=survey_review", {"浔阳甲工会"}),
        ("federation=360403&stage=survey", {"浔阳乙工会"}),
        ("federation=360403&track=six_norms&stage=survey_review", {"浔阳甲工会"}),
    ],
)
def test_it_filters_by_federation_track_and_stage(
    api, registry, federation_officer, query, expected
):
    assert names(api.as_user(federation_officer).get(f"/api/v1/unions/?{query}")) == expected


def test_it_filters_within_scope_only(api, registry, xunyang_officer):
    assert names(api.as_user(xunyang_officer).get("/api/v1/unions/?federation=360423")) == set()


@pytest.mark.parametrize("query", ["track=seven_haves", "stage=archived"])
def test_it_answers_400_for_an_unknown_filter_value(api, registry, federation_officer, query):
    with translation.override("en"):
        response = api.as_user(federation_officer).get(f"/api/v1/unions/?{query}")
    assert response.status_code == 400
    assert list(response.data["errors"]) == [query.split("=")[0]]


def test_it_pages_the_list(api, xunyang_officer, federation_officer):
    for n in range(53):
        make_union(xunyang_officer, name=f"浔阳工会{n:03d}", union_type="institution")
    client = api.as_user(federation_officer)
    first = client.get("/api/v1/unions/")
    assert first.status_code == 200
    assert first.data["count"] == 53
    assert len(first.data["results"]) == 50
    assert first.data["previous"] is None
    second = client.get(first.data["next"])
    assert [u["name"] for u in second.data["results"]] == [
        "浔阳工会050",
        "浔阳工会051",
        "浔阳工会052",
    ]
    assert second.data["next"] is None
    assert client.get("/api/v1/unions/?page=9").status_code == 404


def test_it_lists_without_a_query_per_union(
    api, registry, xunyang_officer, auditor, django_assert_max_num_queries
):
    for n in range(20):
        make_union(xunyang_officer, name=f"浔阳工会{n:02d}", union_type="institution")
    client = api.as_user(auditor)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/unions/")
    assert len(response.data["results"]) == 24


@pytest.mark.django_db
def test_it_needs_credentials_to_list(api):
    assert api.get("/api/v1/unions/").status_code == 401


def test_it_records_no_case_event_for_a_union_without_cases(api, xunyang_union, xunyang_officer):
    api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/", {"founded_on": "2020-01-01"}, format="json"
    )
    # The union's own chain has its registration and this change; no track to recompute.
    assert list(Event.objects.values_list("subject", "action")) == [
        ("union", "create"),
        ("union", "update"),
    ]
