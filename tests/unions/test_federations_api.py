"""``GET /api/v1/federations/``: the reference data of API.md, loaded by ``migrate``."""

from __future__ import annotations

import pytest

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

EXPECTED = {
    "360400": ("九江市总工会", "city"),
    "360402": ("濂溪区总工会", "county"),
    "360403": ("浔阳区总工会", "county"),
    "360404": ("柴桑区总工会", "county"),
    "360423": ("武宁县总工会", "county"),
    "360424": ("修水县总工会", "county"),
    "360425": ("永修县总工会", "county"),
    "360426": ("德安县总工会", "county"),
    "360428": ("都昌县总工会", "county"),
    "360429": ("湖口县总工会", "county"),
    "360430": ("彭泽县总工会", "county"),
    "360481": ("瑞昌市总工会", "county"),
    "360482": ("共青城市总工会", "county"),
    "360483": ("庐山市总工会", "county"),
}


@pytest.mark.parametrize(
    "who",
    ["reporter", "xunyang_officer", "wuning_officer", "federation_officer", "leader", "auditor"],
)
def test_it_lists_every_federation_of_api_md_to_every_role(request, api, who):
    response = api.as_user(request.getfixturevalue(who)).get("/api/v1/federations/")
    assert response.status_code == 200
    assert [f["code"] for f in response.data] == sorted(EXPECTED)
    for federation in response.data:
        assert set(federation) == {"id", "code", "name", "level"}
        assert (federation["name"], federation["level"]) == EXPECTED[federation["code"]]


def test_it_reads_one_federation_by_its_code(api, auditor):
    response = api.as_user(auditor).get("/api/v1/federations/360423/")
    assert response.status_code == 200
    assert (response.data["code"], response.data["name"]) == ("360423", "武宁县总工会")
    assert api.get("/api/v1/federations/999999/").status_code == 404


def test_it_is_read_only(api, federation_officer):
    client = api.as_user(federation_officer)
    assert (
        client.post(
            "/api/v1/federations/", {"code": "360499", "name": "x"}, format="json"
        ).status_code
        == 405
    )
    assert (
        client.patch("/api/v1/federations/360403/", {"name": "x"}, format="json").status_code == 405
    )
    assert client.delete("/api/v1/federations/360403/").status_code == 405


@pytest.mark.django_db
def test_it_needs_credentials(api):
    assert api.get("/api/v1/federations/").status_code == 401
