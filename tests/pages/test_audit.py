"""The audit explorer: events filtered by actor, county, union, kind and dates; the field changes
behind an event; a case or union as it stood on a date; export; readers only, no forms that
change state."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from inspections.services import do_override_finding
from tests.conftest import WUNING, make_union
from tests.inspections.test_override_carry_over import REASON, assessed, reassessed
from tests.pages.conftest import moment, walk
from unions.services import do_update_union
from workflows.models import Event, Stage
from workflows.services import do_create_case, do_transition

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(frozen_today):
    return frozen_today


@pytest.fixture
def history(campaign, xunyang_officer, wuning_officer, federation_officer):
    """Both unions registered and their cases opened on 31 Aug; Xunyang's survey submitted on
    1 Sep and accepted on 3 Sep (late in the evening); Wuning's submitted on 2 Sep."""
    with moment(datetime(2022, 8, 31, 9, 0, tzinfo=SHANGHAI)):
        case = do_create_case(
            actor=xunyang_officer, campaign=campaign, union_id=make_union(xunyang_officer).pk
        )
        wuning_case = do_create_case(
            actor=wuning_officer,
            campaign=campaign,
            union_id=make_union(wuning_officer, federation=WUNING, name="武宁县茶业合作社工会").pk,
        )
    with moment(datetime(2022, 9, 1, 10, 0, tzinfo=SHANGHAI)):
        walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, federation=federation_officer)
    with moment(datetime(2022, 9, 2, 10, 0, tzinfo=SHANGHAI)):
        walk(wuning_case, Stage.SURVEY_REVIEW, county=wuning_officer, federation=federation_officer)
    with moment(datetime(2022, 9, 3, 23, 30, tzinfo=SHANGHAI)):
        do_transition(case.pk, "accept_survey", actor=xunyang_officer, comment="材料齐全")
    return case, wuning_case


def events(client, query: str) -> list[Event]:
    return [row["event"] for row in client.get(f"/audit/?{query}").context["rows"]]


def test_it_filters_events_by_actor_county_union_kind_and_dates(
    login, auditor, history, xunyang_officer
):
    case, wuning_case = history
    client = login(auditor)

    def what(query: str) -> set[tuple[str, int]]:
        # A union's registration is its own event: subject "union", no case.
        return {(e.subject, e.case_id or e.subject_id) for e in events(client, query)}

    xunyang = {("case", case.pk), ("union", case.union_id)}
    wuning = {("case", wuning_case.pk), ("union", wuning_case.union_id)}
    assert what(f"actor={xunyang_officer.pk}") == xunyang
    assert what("county=360423") == wuning
    assert what("union=茶业") == wuning
    assert what(f"union={case.union_id}") == xunyang
    assert [e.action for e in events(client, "kind=accept_survey")] == ["accept_survey"]
    # Days are China Standard Time: 23:30 on 3 Sep is 3 Sep, not the 3rd in UTC only by luck.
    assert [e.action for e in events(client, "from=2022-09-03&to=2022-09-03")] == ["accept_survey"]
    assert {e.case_id for e in events(client, "from=2022-09-02&to=2022-09-02")} == {wuning_case.pk}
    assert events(client, "from=2022-09-04&to=2022-12-31") == []
    assert what("to=2022-08-31") == xunyang | wuning  # registered and opened on 31 Aug


def test_it_offers_and_filters_by_the_review_of_the_previous_runs_overrides(
    login, auditor, case, xunyang_officer, federation_officer
):
    officers = (xunyang_officer, federation_officer)
    assessed(case, officers)
    do_override_finding(case.pk, "N3.3", "unmet", REASON, actor=xunyang_officer)
    reassessed(case, officers)
    client = login(auditor)

    page = client.get("/audit/").content.decode()
    filtered = events(client, "kind=carry_over_overrides")

    assert re.search(
        r'<option value="carry_over_overrides">\s*Overrides of the previous run reviewed</option>',
        page,
    )
    assert [(e.action, e.case_id, e.data["carried"]) for e in filtered] == [
        ("carry_over_overrides", case.pk, ["N3.3"])
    ]


def test_it_offers_every_action_that_has_words_and_every_transition(login, auditor):
    from workflows.flows import TRANSITION_NAMES
    from workflows.views_common import ACTION_LABELS

    page = login(auditor).get("/audit/").content.decode()
    offered = set(re.findall(r'<option value="([a-z_]+)">', page))

    assert set(TRANSITION_NAMES) <= offered
    assert {"visit", "guidance_done", "override", "remind"} <= offered
    assert {name for name in ACTION_LABELS if "." not in name} <= offered


def test_it_names_an_inspection_visit_in_words():
    from django.utils import translation

    from workflows.views_common import action_label

    with translation.override("zh-hans"):
        assert action_label("visit") == "实地检查已记录"
    with translation.override("en"):
        assert action_label("visit") == "Inspection visit recorded"


def test_it_shows_the_field_changes_behind_an_event(login, auditor, history):
    case, _ = history
    event = Event.objects.get(case=case, action="accept_survey")
    client = login(auditor)
    listing = client.get("/audit/?kind=accept_survey").content.decode()
    assert f'href="/audit/changes/case/{event.history_id}/"' in listing

    response = client.get(f"/audit/changes/case/{event.history_id}/")

    changed = {row["name"]: row for row in response.context["rows"] if row["changed"]}
    assert changed["stage"]["old"] == "Survey review" and changed["stage"]["new"] == "Assessment"
    assert "材料齐全" in response.content.decode()  # the change reason
    assert len(response.context["versions"]) == case.history.count()


def test_it_shows_a_survey_change_path_by_path(login, auditor, history):
    case, _ = history
    row = case.survey.history.order_by("history_id")[1]  # the first save after opening

    response = login(auditor).get(f"/audit/changes/survey/{row.history_id}/")

    changed = {r["name"]: r for r in response.context["rows"] if r["changed"]}
    assert changed["data.employees"]["new"] == "320"
    assert changed["data.chair.name"]["new"] == "王芳"


def test_it_shows_a_case_and_its_union_as_they_stood_on_a_date(
    login, auditor, history, xunyang_officer
):
    case, _ = history
    with moment(datetime(2022, 9, 5, 9, 0, tzinfo=SHANGHAI)):
        do_update_union(
            case.union_id, actor=xunyang_officer, data={"contact_name": "赵六"}, reason="换联系人"
        )
    client = login(auditor)

    before = client.get(f"/audit/as-of/?kind=case&id={case.pk}&date=2022-09-02").context
    after = client.get(f"/audit/as-of/?kind=case&id={case.pk}&date=2022-09-03").context
    union_then = client.get(f"/audit/as-of/?kind=union&id={case.union_id}&date=2022-09-04").context
    too_early = client.get(f"/audit/as-of/?kind=case&id={case.pk}&date=2022-08-30").context

    assert {f["label"]: f["value"] for f in before["fields"]}["stage"] == "Survey review"
    assert {f["label"]: f["value"] for f in after["fields"]}["stage"] == "Assessment"
    assert {f["label"]: f["value"] for f in union_then["fields"]}["contact person"] == "—"
    assert {f["label"]: f["now"] for f in union_then["fields"]}["contact person"] == "赵六"
    # Choices read as their labels, not as stored codes.
    assert {f["label"]: f["value"] for f in union_then["fields"]}["union type"] == "Enterprise"
    assert {f["label"]: f["value"] for f in union_then["fields"]}["ownership"] == "Private"
    assert "did not exist yet" in too_early["error"]


def test_it_exports_the_filtered_events(login, auditor, history):
    response = login(auditor).get("/audit/export/?county=360403")

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Event", "Time", "Actor"]
    assert {row[header.index("County")] for row in rows} == {"浔阳区总工会"}
    assert "Accept survey" in {row[header.index("Action")] for row in rows}


def test_it_lets_only_city_wide_readers_in(
    login, auditor, federation_officer, leader, xunyang_officer, reporter
):
    assert login(auditor).get("/audit/").status_code == 200
    assert login(federation_officer).get("/audit/").status_code == 200
    assert login(leader).get("/audit/").status_code == 200
    assert login(xunyang_officer).get("/audit/").status_code == 403
    assert login(reporter).get("/audit/export/").status_code == 403


def test_it_shows_an_auditor_no_form_that_changes_state(login, auditor, history):
    case, _ = history
    client = login(auditor)
    event = Event.objects.get(case=case, action="accept_survey")

    for url in (
        "/audit/",
        f"/audit/changes/case/{event.history_id}/",
        f"/audit/as-of/?kind=case&id={case.pk}",
    ):
        page = client.get(url).content.decode()
        posts = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page)
        assert set(posts) <= {"/logout/", "/i18n/setlang/"}, url
