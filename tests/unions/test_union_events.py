"""A union's record is audited like every other change of state: each registration and each
change writes one event in the union's own hash chain (``union:<id>``) beside its history row,
naming the actor, the reason, the county and every changed field as ``[old, new]``."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from tests.conftest import WUNING, XUNYANG
from unions.models import Federation, Union
from unions.services import do_update_union
from workflows.management.commands.verify_audit import verify_all
from workflows.models import ChainHead, Event, Track
from workflows.services import do_create_case

pytestmark = pytest.mark.django_db


def union_events(union: Union) -> list[Event]:
    return list(Event.objects.filter(subject="union", subject_id=union.pk).order_by("id"))


def patch(api, user, union: Union, body: dict):
    return api.as_user(user).patch(f"/api/v1/unions/{union.pk}/", body, format="json")


def test_it_records_the_registration_as_the_first_event_of_the_unions_chain(
    xunyang_union, xunyang_officer
):
    [event] = union_events(xunyang_union)
    row = xunyang_union.history.get()
    assert (event.action, event.actor, event.federation.code) == (
        "create",
        xunyang_officer,
        XUNYANG,
    )
    assert event.chain == f"union:{xunyang_union.pk}" and event.prev_hash == ""
    assert event.history_id == row.history_id
    assert event.comment == row.history_change_reason
    assert event.data == {"name": xunyang_union.name}
    assert event.case is None


def test_it_records_a_patch_as_an_event_with_each_changed_field(
    api, xunyang_union, xunyang_officer
):
    old_phone = xunyang_union.contact_phone
    response = patch(
        api,
        xunyang_officer,
        xunyang_union,
        {"contact_phone": "0792-8999999", "address": xunyang_union.address, "reason": "联系人变更"},
    )

    assert response.status_code == 200
    created, updated = union_events(xunyang_union)
    row = xunyang_union.history.order_by("-history_id").first()
    assert (updated.action, updated.actor, updated.comment) == (
        "update",
        xunyang_officer,
        "联系人变更",
    )
    assert updated.federation.code == XUNYANG
    # Only what changed: the address was sent unchanged.
    assert updated.data["changes"] == {"contact_phone": [old_phone, "0792-8999999"]}
    assert updated.history_id == row.history_id
    assert (row.history_user, row.history_change_reason) == (xunyang_officer, "联系人变更")
    assert updated.prev_hash == created.hash
    assert ChainHead.objects.get(chain=f"union:{xunyang_union.pk}").last_event_id == updated.pk
    assert verify_all() == []


def test_it_keeps_dates_and_counties_readable_in_the_event(api, xunyang_union, federation_officer):
    response = patch(
        api,
        federation_officer,
        xunyang_union,
        {"federation": WUNING, "founded_on": "2020-01-01", "reason": "隶属关系调整"},
    )

    assert response.status_code == 200
    event = union_events(xunyang_union)[-1]
    assert event.data["changes"] == {
        "federation": [XUNYANG, WUNING],
        "founded_on": ["2015-03-01", "2020-01-01"],
    }
    # The event belongs to the county the union now belongs to.
    assert event.federation == Federation.objects.get(code=WUNING)
    assert verify_all() == []


def test_it_records_the_union_event_before_the_tracks_it_recomputes(api, case, xunyang_officer):
    assert case.track == Track.SIX_NORMS
    response = patch(api, xunyang_officer, case.union, {"founded_on": "2020-01-01"})

    assert response.status_code == 200
    update = union_events(case.union)[-1]
    track = Event.objects.get(case=case, action="update_track")
    assert update.pk < track.pk
    assert update.data["changes"] == {"founded_on": ["2015-03-01", "2020-01-01"]}
    assert track.data == {"track": [Track.SIX_NORMS, Track.SIX_HAVES]}
    assert verify_all() == []


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("xunyang_officer", {"address": "", "union_type": "enterprise"}, 200),  # as they were
        ("xunyang_officer", {"union_type": "institution"}, 400),  # ownership then invalid
        ("xunyang_officer", {"federation": WUNING}, 400),  # not the officer's county
        ("wuning_officer", {"name": "改名"}, 404),
        ("leader", {"name": "改名"}, 403),
    ],
)
def test_it_records_nothing_when_nothing_changes(request, api, xunyang_union, who, body, status):
    user = request.getfixturevalue(who)
    before = (len(union_events(xunyang_union)), xunyang_union.history.count())

    response = patch(api, user, xunyang_union, body)

    assert response.status_code == status
    assert (len(union_events(xunyang_union)), xunyang_union.history.count()) == before


def test_it_shows_the_change_in_the_audit_explorer(api, xunyang_union, xunyang_officer, auditor):
    do_update_union(
        xunyang_union.pk, actor=xunyang_officer, data={"name": "九江新名工会"}, reason="更名"
    )
    update = union_events(xunyang_union)[-1]
    client = Client()
    client.force_login(auditor)
    client.cookies["django_language"] = "en"

    listing = client.get(f"/audit/?union={xunyang_union.pk}&kind=update")

    [row] = listing.context["rows"]
    assert row["event"] == update and row["action"] == "Union record changed"
    html = listing.content.decode()
    assert "九江新名工会" in html and "更名" in html
    assert f'href="/audit/changes/union/{update.history_id}/"' in html
    changes = client.get(f"/audit/changes/union/{update.history_id}/").context["rows"]
    [name] = [r for r in changes if r["changed"]]
    assert (name["name"], name["new"]) == ("name", "九江新名工会")


def test_it_finds_a_union_event_changed_outside_the_application(
    api, xunyang_union, xunyang_officer
):
    patch(api, xunyang_officer, xunyang_union, {"contact_name": "陈小红"})
    event = union_events(xunyang_union)[-1]
    Event.objects.filter(pk=event.pk).update(data={"changes": {"contact_name": ["", "别人"]}})

    assert [(f.kind, f.chain) for f in verify_all()] == [("changed", f"union:{xunyang_union.pk}")]


def test_it_starts_a_chain_for_a_union_registered_before_union_events(xunyang_officer, campaign):
    """Unions loaded in bulk (the demo, an Excel import) have history but no event yet: their
    first change starts the chain, which verifies."""
    union = Union.objects.create(
        name="批量导入工会",
        federation=Federation.objects.get(code=XUNYANG),
        union_type="institution",
        founded_on=date(2016, 5, 1),
    )
    do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)

    do_update_union(union.pk, actor=xunyang_officer, data={"contact_name": "刘洋"})

    [event] = union_events(union)
    assert event.prev_hash == "" and event.data["changes"] == {"contact_name": ["", "刘洋"]}
    assert verify_all() == []


def test_it_lists_the_records_changes_on_the_union_page(xunyang_union, xunyang_officer):
    do_update_union(
        xunyang_union.pk, actor=xunyang_officer, data={"contact_name": "陈小红"}, reason="换人"
    )
    client = Client()
    client.force_login(xunyang_officer)
    client.cookies["django_language"] = "en"

    response = client.get(f"/unions/{xunyang_union.pk}/")

    changed, registered = response.context["changes"]
    assert (changed["action"], changed["event"].comment) == ("Union record changed", "换人")
    assert [(r["label"], r["old"], r["new"]) for r in changed["rows"]] == [
        ("contact person", "—", "陈小红")
    ]
    assert registered["action"] == "Union registered"
    assert "换人" in response.content.decode()
