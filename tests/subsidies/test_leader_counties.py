"""Leaders sign off the subsidies of the counties they are linked to (联系挂点, DESIGN.md).

A leader reads every subsidy (API.md), so another county's is not hidden from them (no 404);
signing it is not theirs to do: 403, as for a role that may not act. A county no active leader
is linked to would otherwise wait for nobody, so any leader signs off its subsidies: the same
leaders its submission notifies."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications.models import Notification
from subsidies.models import SubsidyApplication
from tests.conftest import WUNING, make_union
from tests.subsidies.journey import advance, submitted_subsidy
from unions.models import Federation
from workflows.models import Event, Stage
from workflows.services import do_create_case

S = SubsidyApplication.State


@pytest.fixture
def xunyang_application(case, xunyang_officer, federation_officer, leader):
    """Submitted in 浔阳区, which ``leader`` is linked to."""
    selected = advance(case, Stage.SUBSIDY, officer=xunyang_officer, approver=federation_officer)
    return submitted_subsidy(selected, officer=xunyang_officer, approver=federation_officer)


@pytest.fixture
def wuning_application(campaign, wuning_officer, federation_officer, leader, leader_2):
    """Submitted in 武宁县, which no leader is linked to."""
    union = make_union(wuning_officer, federation=WUNING, name="武宁县示范工会")
    case = do_create_case(actor=wuning_officer, campaign=campaign, union_id=union.pk)
    selected = advance(case, Stage.SUBSIDY, officer=wuning_officer, approver=federation_officer)
    return submitted_subsidy(selected, officer=wuning_officer, approver=federation_officer)


def fire(api, user, application, name, comment=""):
    return api.as_user(user).post(
        f"/api/v1/subsidies/{application.pk}/transitions/{name}/",
        {"comment": comment},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize(("name", "comment"), [("sign_off", ""), ("reject", "材料不全")])
def test_it_refuses_a_leader_another_countys_subsidy_with_403(
    api, xunyang_application, leader_2, name, comment
):
    response = fire(api, leader_2, xunyang_application, name, comment)

    assert response.status_code == 403
    xunyang_application.refresh_from_db()
    assert xunyang_application.state == S.SUBMITTED
    assert not Event.objects.filter(subject="subsidy", action=name).exists()
    assert xunyang_application.history.filter(state__in=[S.SIGNED_OFF, S.REJECTED]).count() == 0


def test_it_lets_the_linked_leader_sign_off(api, xunyang_application, leader, leader_2):
    assert fire(api, leader_2, xunyang_application, "sign_off").status_code == 403

    response = fire(api, leader, xunyang_application, "sign_off")

    assert response.status_code == 200, response.json()
    event = Event.objects.get(subject="subsidy", action="sign_off")
    assert (event.actor, event.to_stage) == (leader, S.SIGNED_OFF)


def test_it_lets_any_leader_sign_off_a_county_no_leader_is_linked_to(
    api, wuning_application, leader, leader_2
):
    # Both were told of it, and either may decide.
    for who in (leader, leader_2):
        assert Notification.objects.filter(recipient=who, kind="subsidy_submit").exists()

    response = fire(api, leader_2, wuning_application, "sign_off")

    assert response.status_code == 200, response.json()


def test_it_falls_back_to_every_leader_when_the_linked_one_leaves(
    api, xunyang_application, leader, leader_2
):
    leader.is_active = False
    leader.save(update_fields=["is_active"])

    assert fire(api, leader_2, xunyang_application, "sign_off").status_code == 200


def test_it_lets_a_leader_linked_to_several_counties_sign_off_each(
    api, xunyang_application, wuning_application, leader, leader_2
):
    leader_2.linked_federations.add(Federation.objects.get(code=WUNING))

    # 武宁县 now has its own leader; 浔阳区 keeps its own.
    assert fire(api, leader, wuning_application, "sign_off").status_code == 403
    assert fire(api, leader_2, xunyang_application, "sign_off").status_code == 403
    assert fire(api, leader_2, wuning_application, "sign_off").status_code == 200
    assert fire(api, leader, xunyang_application, "sign_off").status_code == 200


def test_it_greys_out_the_buttons_with_the_reason(api, xunyang_application, leader, leader_2):
    url = f"/api/v1/subsidies/{xunyang_application.pk}/"

    other = api.as_user(leader_2).get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    linked = api.as_user(leader).get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    assert {t["name"]: t["allowed"] for t in other["available_transitions"]} == {
        "sign_off": False,
        "reject": False,
    }
    reasons = {t["reason"] for t in other["available_transitions"]}
    assert reasons == {"The leaders linked to 浔阳区总工会 sign off its subsidies."}
    assert {t["name"]: t["allowed"] for t in linked["available_transitions"]} == {
        "sign_off": True,
        "reject": True,
    }


def test_it_lists_as_waiting_only_what_the_leader_signs(
    api, xunyang_application, wuning_application, leader, leader_2
):
    def waiting(user) -> list[int]:
        rows = api.as_user(user).get("/api/v1/subsidies/?waiting=1").json()["results"]
        return [row["id"] for row in rows]

    def everything(user) -> set[int]:
        return {row["id"] for row in api.as_user(user).get("/api/v1/subsidies/").json()["results"]}

    assert waiting(leader) == [xunyang_application.pk, wuning_application.pk]
    assert waiting(leader_2) == [wuning_application.pk]
    # Reading is not signing: both leaders still read both.
    both = {xunyang_application.pk, wuning_application.pk}
    assert everything(leader) == everything(leader_2) == both
    home = api.as_user(leader_2).get("/api/v1/leader/home/").json()
    assert [row["id"] for row in home["waiting"]] == [wuning_application.pk]


def test_it_keeps_the_home_page_to_what_the_leader_signs(
    xunyang_application, wuning_application, leader_2
):
    client = Client()
    client.force_login(leader_2)

    response = client.get("/")

    assert [row.pk for row in response.context["waiting"]["rows"]] == [wuning_application.pk]
    assert response.context["waiting"]["count"] == 1
