"""The admin shows the audit and changes none of it: auditors and federation officers read,
nobody (superusers included) adds, edits, deletes or reverts a domain record or a history row
there, since every change must go through its service (DESIGN.md invariants 1 and 3)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from unions.models import Union, User
from workflows.models import Case, Event

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

DOMAIN_PAGES = [
    ("workflows", "case"),
    ("workflows", "campaign"),
    ("unions", "union"),
    ("workflows", "event"),
]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.internal", "root-password-123")


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pk_of(model: str, case: Case) -> int:
    return {
        "case": case.pk,
        "campaign": case.campaign_id,
        "union": case.union_id,
        "event": Event.objects.filter(case=case).values_list("pk", flat=True).first(),
    }[model]


@pytest.mark.parametrize("who", ["auditor", "federation_officer"])
def test_it_lets_auditors_and_federation_officers_read_everything(request, case, who):
    client = browser(request.getfixturevalue(who))
    assert client.get("/admin/").status_code == 200
    for app, model in DOMAIN_PAGES:
        assert client.get(f"/admin/{app}/{model}/").status_code == 200, model
        page = client.get(f"/admin/{app}/{model}/{pk_of(model, case)}/change/")
        assert page.status_code == 200, model
        assert b'name="_save"' not in page.content  # shown read-only, no save button
    history = client.get(f"/admin/workflows/case/{case.pk}/history/")
    assert history.status_code == 200
    reason = case.history.get().history_change_reason
    assert reason and reason in history.content.decode()  # who did what, and why


@pytest.mark.parametrize("who", ["auditor", "federation_officer", "superuser"])
def test_it_refuses_every_write_to_a_domain_record(request, case, who):
    client = browser(request.getfixturevalue(who))
    stage_before, track_before = case.stage, case.track
    rows_before = case.history.count()

    assert client.get("/admin/workflows/case/add/").status_code == 403
    change = client.post(
        f"/admin/workflows/case/{case.pk}/change/",
        {
            "campaign": case.campaign_id,
            "union": case.union_id,
            "track": "six_haves",
            "stage": "closed",
        },
    )
    assert change.status_code == 403
    assert client.get(f"/admin/workflows/case/{case.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/workflows/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    founded = client.post(
        f"/admin/unions/union/{case.union_id}/change/", {"founded_on": "2021-01-01"}
    )
    assert founded.status_code == 403

    case.refresh_from_db()
    assert (case.stage, case.track) == (stage_before, track_before)
    assert case.history.count() == rows_before


@pytest.mark.parametrize("who", ["auditor", "superuser"])
def test_it_never_reverts_a_history_row(request, case, who):
    client = browser(request.getfixturevalue(who))
    row = case.history.earliest("history_id")
    revert = client.get(f"/admin/workflows/case/{case.pk}/history/{row.history_id}/")
    assert revert.status_code == 403
    posted = client.post(
        f"/admin/workflows/case/{case.pk}/history/{row.history_id}/", {"stage": "closed"}
    )
    assert posted.status_code == 403
    assert case.history.count() == 1


@pytest.mark.parametrize("who", ["auditor", "superuser"])
def test_it_never_deletes_through_the_bulk_action(request, case, who):
    client = browser(request.getfixturevalue(who))
    events = Event.objects.count()
    for app, model in DOMAIN_PAGES:
        client.post(
            f"/admin/{app}/{model}/",
            {"action": "delete_selected", "_selected_action": [pk_of(model, case)], "post": "yes"},
        )
    assert Case.objects.filter(pk=case.pk).exists()
    assert Union.objects.filter(pk=case.union_id).exists()
    assert Event.objects.count() == events


def test_it_registers_no_history_table_and_no_delete_anywhere(superuser):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = superuser
    registered = {
        model._meta.label: model_admin for model, model_admin in admin.site._registry.items()
    }
    assert not [label for label in registered if ".Historical" in label]
    domain = [
        label
        for label in registered
        if label.split(".")[0]
        in {"unions", "workflows", "inspections", "subsidies", "notifications"}
    ]
    assert "workflows.Case" in domain and "workflows.Event" in domain
    for label in domain:
        assert registered[label].has_delete_permission(request) is False, label


def test_it_keeps_account_management_for_superusers(superuser, auditor):
    client = browser(superuser)
    page = client.get(f"/admin/unions/user/{auditor.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' in page.content
    assert browser(auditor).post(f"/admin/unions/user/{auditor.pk}/change/", {}).status_code == 403


@pytest.mark.parametrize("who", ["xunyang_officer", "reporter", "leader"])
def test_it_keeps_other_roles_out_of_the_admin(request, case, who):
    client = browser(request.getfixturevalue(who))
    response = client.get("/admin/workflows/case/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
