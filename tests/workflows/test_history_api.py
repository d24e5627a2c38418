"""``GET /api/v1/cases/{id}/history/``: what people did and what changed, merged, oldest first, in
API.md's shape; including the track the system re-derives when a founding date or a reference
date changes, which is audited like any other change."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflows.models import Event, Stage, Track

# Marked as a database module so pytest-django runs it with the other database tests
# (some personas are only requested inside the test, through getfixturevalue).
pytestmark = pytest.mark.django_db

SHAPE = {"at", "actor", "action", "from", "to", "changes", "reason"}


def history(api, user, case):
    return api.as_user(user).get(f"/api/v1/cases/{case.pk}/history/", HTTP_ACCEPT_LANGUAGE="en")


def transitions_of(entries):
    return [e for e in entries if e["from"] is not None and e["from"] != e["to"]]


def test_it_merges_events_and_field_changes_oldest_first_in_the_shape_of_api_md(
    api, walk_case, xunyang_officer, federation_officer, auditor
):
    from workflows.services import do_transition

    case = walk_case(Stage.SURVEY_REVIEW)
    do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="女职工人数有误，请核对")
    do_transition(case.pk, "submit_survey", actor=xunyang_officer, comment="已更正")

    response = history(api, auditor, case)

    assert response.status_code == 200
    entries = response.data
    for entry in entries:
        assert set(entry) == SHAPE | {"event"}, entry  # API.md's keys, and the event's id
        assert all(isinstance(v, list) and len(v) == 2 for v in entry["changes"].values())
        assert datetime.fromisoformat(entry["at"]).utcoffset().total_seconds() == 8 * 3600
    times = [datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times)

    assert entries[0]["action"] == "create"
    assert entries[0]["to"] == Stage.SURVEY
    assert entries[0]["actor"] == {"username": "xunyang", "name": "浔阳区 王磊"}
    moves = transitions_of(entries)
    assert [(e["action"], e["from"], e["to"]) for e in moves] == [
        ("submit_survey", Stage.SURVEY, Stage.SURVEY_REVIEW),
        ("return_survey", Stage.SURVEY_REVIEW, Stage.SURVEY),
        ("submit_survey", Stage.SURVEY, Stage.SURVEY_REVIEW),
    ]
    returned = moves[1]
    assert returned["reason"] == "女职工人数有误，请核对"
    assert returned["changes"] == {
        "stage": [Stage.SURVEY_REVIEW, Stage.SURVEY],
        "returned_count": [0, 1],
    }
    assert moves[2]["reason"] == "已更正"
    # The survey's own changes appear as field changes, dotted by path, with who typed them.
    survey_edits = [e for e in entries if e["action"] == "survey.update" and e["changes"]]
    assert survey_edits and survey_edits[0]["actor"]["username"] == "xunyang"
    assert survey_edits[0]["changes"]["chair.elected_lawfully"] == [None, True]
    # One timeline entry per event, nothing lost.
    assert len([e for e in entries if e.get("event")]) == Event.objects.filter(case=case).count()


def test_it_recomputes_and_audits_the_track_when_the_founding_date_changes(
    api, walk_case, xunyang_officer, xunyang_union, auditor
):
    case = walk_case(Stage.ASSESSMENT)
    assert case.track == Track.SIX_NORMS  # founded 2015-03-01, reference date 2022-05-20
    events_before = Event.objects.filter(case=case).count()

    response = api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/",
        {"founded_on": "2019-01-01", "reason": "按营业执照更正成立日期"},
        format="json",
    )

    assert response.status_code == 200, response.data
    assert response.data["founded_on"] == "2019-01-01"
    assert response.data["track"] == Track.SIX_HAVES
    case.refresh_from_db()
    assert case.track == Track.SIX_HAVES
    assert case.stage == Stage.ASSESSMENT
    # One event, one case history row, one union history row: each with actor and reason.
    event = Event.objects.filter(case=case).latest("id")
    assert Event.objects.filter(case=case).count() == events_before + 1
    assert (event.action, event.actor, event.comment) == (
        "update_track",
        xunyang_officer,
        "按营业执照更正成立日期",
    )
    assert event.data == {"track": [Track.SIX_NORMS, Track.SIX_HAVES]}
    row = case.history.order_by("-history_id").first()
    assert (row.track, row.history_user, row.history_change_reason) == (
        Track.SIX_HAVES,
        xunyang_officer,
        "按营业执照更正成立日期",
    )
    union_row = xunyang_union.history.order_by("-history_id").first()
    assert union_row.founded_on == date(2019, 1, 1)
    assert (union_row.history_user, union_row.history_change_reason) == (
        xunyang_officer,
        "按营业执照更正成立日期",
    )

    entries = history(api, auditor, case).data
    last = entries[-1]
    assert last["action"] == "update_track"
    assert last["changes"] == {"track": [Track.SIX_NORMS, Track.SIX_HAVES]}
    assert last["from"] == last["to"] == Stage.ASSESSMENT
    assert last["actor"]["username"] == "xunyang"
    assert last["reason"] == "按营业执照更正成立日期"


def test_it_writes_nothing_when_the_founding_date_is_patched_to_the_same_value(
    api, case, xunyang_officer, xunyang_union
):
    before = (Event.objects.count(), case.history.count(), xunyang_union.history.count())
    response = api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/", {"founded_on": "2015-03-01"}, format="json"
    )
    assert response.status_code == 200
    assert (Event.objects.count(), case.history.count(), xunyang_union.history.count()) == before


def test_it_gives_a_reason_of_its_own_when_the_patch_gives_none(
    api, case, xunyang_officer, xunyang_union
):
    api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/", {"founded_on": "2020-06-30"}, format="json"
    )
    row = case.history.order_by("-history_id").first()
    assert row.track == Track.SIX_HAVES
    assert row.history_user == xunyang_officer
    assert row.history_change_reason  # never blank: "Founding date changed" in the user's language


def test_it_leaves_the_track_of_a_closed_case_alone(
    api, walk_case, xunyang_officer, federation_officer, xunyang_union
):
    from workflows.services import do_transition

    case = walk_case(Stage.GUIDANCE)
    do_transition(case.pk, "close", actor=federation_officer, comment="本年度结案")
    api.as_user(xunyang_officer).patch(
        f"/api/v1/unions/{xunyang_union.pk}/", {"founded_on": "2020-06-30"}, format="json"
    )
    case.refresh_from_db()
    assert case.track == Track.SIX_NORMS
    assert not Event.objects.filter(case=case, action="update_track").exists()


def test_it_recomputes_tracks_when_the_campaigns_reference_date_changes(
    api, case, campaign, federation_officer, auditor
):
    # Founded 2015-03-01: five years are reached on 2020-03-01.
    response = api.as_user(federation_officer).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"reference_date": "2020-02-29"}, format="json"
    )
    assert response.status_code == 200, response.data
    case.refresh_from_db()
    assert case.track == Track.SIX_HAVES
    last = history(api, auditor, case).data[-1]
    assert (last["action"], last["changes"]) == (
        "update_track",
        {"track": ["six_norms", "six_haves"]},
    )
    assert last["actor"]["username"] == "fed"


@pytest.mark.parametrize(
    "who", ["reporter", "xunyang_officer", "federation_officer", "leader", "auditor"]
)
def test_it_shows_the_history_to_everyone_who_can_see_the_case(request, api, case, who):
    response = history(api, request.getfixturevalue(who), case)
    assert response.status_code == 200
    assert response.data[0]["action"] == "create"


def test_it_hides_the_history_outside_the_users_scope(api, case, wuning_officer):
    assert history(api, wuning_officer, case).status_code == 404
    api.credentials()  # no credentials at all
    assert api.get(f"/api/v1/cases/{case.pk}/history/").status_code == 401


def test_it_answers_the_longest_histories_in_as_many_queries_as_the_shortest(
    api, walk_case, xunyang_officer, wuning_case, auditor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.services import do_transition

    case = walk_case(Stage.SURVEY_REVIEW)
    for _ in range(30):
        do_transition(case.pk, "return_survey", actor=xunyang_officer, comment="请补充材料")
        do_transition(case.pk, "submit_survey", actor=xunyang_officer, comment="")

    counts, lengths = [], []
    api.as_user(auditor)  # its token made here, not counted below
    for each in (wuning_case, case):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"/api/v1/cases/{each.pk}/history/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
        lengths.append(len(response.json()))

    assert lengths[0] == 2 and lengths[1] > 60
    # The token with its user, the case in the auditor's scope, then the timeline's four.
    assert counts == [6, 6]
