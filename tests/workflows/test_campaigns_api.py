"""``POST /api/v1/campaigns/`` as API.md writes it: subsidy amounts as an object, money as
decimal strings, only the federation officer runs campaigns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.models import Campaign

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

BODY = {
    "year": 2023,
    "title": "2023年度六有六规范建设",
    "reference_date": "2023-05-20",
    "survey_deadline": "2023-09-30",
    "summary_deadline": "2023-12-15",
    "subsidy_amounts": {"six_haves": "5000.00", "six_norms": "10000.00"},
    "subsidy_budget": "300000.00",
}


def post(api, user, body):
    client = api.as_user(user) if user is not None else api
    return client.post("/api/v1/campaigns/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_it_creates_a_campaign_with_money_as_decimal_strings(api, federation_officer):
    response = post(api, federation_officer, BODY)

    assert response.status_code == 201, response.data
    data = response.data
    assert data["subsidy_amounts"] == {"six_haves": "5000.00", "six_norms": "10000.00"}
    assert data["subsidy_budget"] == "300000.00"
    assert (data["year"], data["reference_date"], data["summary_deadline"]) == (
        2023,
        "2023-05-20",
        "2023-12-15",
    )
    campaign = Campaign.objects.get(pk=data["id"])
    assert campaign.subsidy_six_haves == Decimal("5000.00")
    assert campaign.subsidy_six_norms == Decimal("10000.00")
    assert campaign.subsidy_budget == Decimal("300000.00")
    row = campaign.history.get()
    assert (row.history_type, row.history_user) == ("+", federation_officer)
    assert row.history_change_reason
    fetched = api.as_user(federation_officer).get(f"/api/v1/campaigns/{campaign.pk}/")
    assert fetched.data["subsidy_amounts"] == {"six_haves": "5000.00", "six_norms": "10000.00"}


def test_it_keeps_cents_exact(api, federation_officer):
    body = {
        **BODY,
        "subsidy_amounts": {"six_haves": "4999.99", "six_norms": "0.10"},
        "subsidy_budget": "0.30",
    }
    response = post(api, federation_officer, body)
    assert response.status_code == 201
    assert response.data["subsidy_amounts"] == {"six_haves": "4999.99", "six_norms": "0.10"}
    assert Campaign.objects.get().subsidy_budget == Decimal("0.30")


@pytest.mark.parametrize("who", ["xunyang_officer", "reporter", "leader", "auditor"])
def test_it_lets_only_the_federation_officer_run_campaigns(request, api, who):
    response = post(api, request.getfixturevalue(who), BODY)
    assert response.status_code == 403
    assert not Campaign.objects.filter(year=2023).exists()


@pytest.mark.django_db
def test_it_needs_credentials(api):
    assert post(api, None, BODY).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subsidy_amounts": {"six_haves": "5000.00"}}, "subsidy_amounts.six_norms"),
        (
            {"subsidy_amounts": {"six_haves": "-1.00", "six_norms": "1.00"}},
            "subsidy_amounts.six_haves",
        ),
        (
            {"subsidy_amounts": {"six_haves": "5000.001", "six_norms": "1.00"}},
            "subsidy_amounts.six_haves",
        ),
        (
            {"subsidy_amounts": {"six_haves": "lots", "six_norms": "1.00"}},
            "subsidy_amounts.six_haves",
        ),
        ({"subsidy_amounts": "5000.00"}, "subsidy_amounts"),
        ({"subsidy_budget": "-0.01"}, "subsidy_budget"),
        ({"subsidy_budget": "1e20"}, "subsidy_budget"),
        ({"reference_date": "2023-02-29"}, "reference_date"),
        ({"summary_deadline": "2023-09-01"}, "summary_deadline"),  # before the survey deadline
        ({"year": "twenty"}, "year"),
        ({"title": ""}, "title"),
    ],
)
def test_it_names_the_bad_field_and_saves_nothing(api, federation_officer, change, field):
    response = post(api, federation_officer, {**BODY, **change})
    assert response.status_code == 400, response.data
    assert field in response.data["errors"], response.data
    assert not Campaign.objects.exists()


def test_it_names_every_missing_field(api, federation_officer):
    response = post(api, federation_officer, {})
    assert response.status_code == 400
    assert {
        "year",
        "title",
        "reference_date",
        "survey_deadline",
        "summary_deadline",
        "subsidy_amounts",
        "subsidy_budget",
    } <= set(response.data["errors"])


def test_it_refuses_a_second_campaign_for_the_same_year(api, federation_officer, campaign):
    response = post(api, federation_officer, {**BODY, "year": campaign.year})
    assert response.status_code == 400
    assert list(response.data["errors"]) == ["year"]
    assert Campaign.objects.count() == 1


def test_it_lists_campaigns_to_every_logged_in_role(api, campaign, reporter, auditor):
    for user in (reporter, auditor):
        response = api.as_user(user).get("/api/v1/campaigns/")
        assert response.status_code == 200
        assert [c["year"] for c in response.data["results"]] == [2022]


@pytest.mark.parametrize(
    "thresholds",
    [
        {"satisfied": 1.5, "basically_satisfied": 0.6},
        {"satisfied": 0.8},
        {"satisfied": "many", "basically_satisfied": 0.6},
    ],
)
def test_it_refuses_evaluation_thresholds_the_grading_cannot_use(
    api, federation_officer, thresholds
):
    response = post(api, federation_officer, {**BODY, "evaluation_thresholds": thresholds})

    assert response.status_code == 400
    assert list(response.data["errors"]) == ["evaluation_thresholds"]
    assert not Campaign.objects.filter(year=2023).exists()


def test_it_accepts_evaluation_thresholds_between_zero_and_one(api, federation_officer):
    body = {**BODY, "evaluation_thresholds": {"satisfied": 0.8, "basically_satisfied": 0.6}}

    response = post(api, federation_officer, body)

    assert response.status_code == 201, response.data
    assert Campaign.objects.get(year=2023).evaluation_thresholds == body["evaluation_thresholds"]
