"""Catching up and marking read: GET /api/v1/notifications/?after=ID and its neighbours."""

from __future__ import annotations

import pytest

from notifications.dispatch import Draft, write
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def _notify(user, n: int, start: int = 0) -> list[int]:
    rows = write(
        [
            Draft(user, "roster_stale", {"union": f"工会{i}", "roster_updated_on": "2021-01-01"})
            for i in range(start, start + n)
        ]
    )
    return [row.pk for row in rows]


def test_it_returns_what_was_missed_after_an_id_in_order_without_duplicates(
    api, xunyang_officer, xunyang_officer_2
):
    mine = _notify(xunyang_officer, 3)
    _notify(xunyang_officer_2, 2)  # interleaved ids of someone else
    mine += _notify(xunyang_officer, 2, start=3)
    xunyang_officer.language = "en"  # the msgids, whatever the Chinese catalogue says
    xunyang_officer.save(update_fields=["language"])
    api.as_user(xunyang_officer)

    first = api.get(URL, {"after": mine[1]}).json()
    again = api.get(URL, {"after": mine[1]}).json()
    rest = api.get(URL, {"after": first[-1]["id"]}).json()

    assert [n["id"] for n in first] == mine[2:]
    assert first == again  # asking twice gives the same, nothing lost or doubled
    assert rest == []
    assert [n["text"] for n in first] == [
        "The member roster of 工会2 was last updated on 2021-01-01, more than six months ago.",
        "The member roster of 工会3 was last updated on 2021-01-01, more than six months ago.",
        "The member roster of 工会4 was last updated on 2021-01-01, more than six months ago.",
    ]
    assert [n["previous"] for n in first] == mine[1:4]


def test_it_pages_a_long_catch_up_by_limit(api, xunyang_officer):
    ids = _notify(xunyang_officer, 7)
    api.as_user(xunyang_officer)

    seen, after = [], 0
    while page := api.get(URL, {"after": after, "limit": 3}).json():
        seen += [n["id"] for n in page]
        after = page[-1]["id"]

    assert seen == ids


def test_it_lists_the_newest_oldest_first_without_a_cursor(api, xunyang_officer):
    ids = _notify(xunyang_officer, 5)
    api.as_user(xunyang_officer)

    assert [n["id"] for n in api.get(URL, {"limit": 2}).json()] == ids[-2:]
    assert [n["id"] for n in api.get(URL).json()] == ids


def test_it_never_lists_another_users_notifications(api, xunyang_officer, wuning_officer):
    _notify(xunyang_officer, 2)
    api.as_user(wuning_officer)

    assert api.get(URL).json() == []
    assert api.get(URL, {"after": 0}).json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "abc"}, "after"),
        ({"after": "-1"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
    ],
)
def test_it_names_the_bad_parameter(api, xunyang_officer, query, field):
    response = api.as_user(xunyang_officer).get(URL, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_it_asks_for_login(api):
    assert api.get(URL).status_code == 401


def test_it_marks_one_or_all_read_and_counts_the_unread(api, xunyang_officer, wuning_officer):
    ids = _notify(xunyang_officer, 3)
    theirs = _notify(wuning_officer, 1)
    api.as_user(xunyang_officer)

    assert api.get(f"{URL}unread/").json() == {"unread": 3, "last_id": ids[-1]}
    one = api.post(f"{URL}read/", {"ids": [ids[0], theirs[0]]}, format="json").json()
    assert one == {"marked": 1, "unread": 2}
    assert [n["id"] for n in api.get(URL, {"unread": "true"}).json()] == ids[1:]
    everything = api.post(f"{URL}read/", {"all": True}, format="json").json()
    assert everything == {"marked": 2, "unread": 0}
    assert not Notification.objects.get(pk=theirs[0]).read  # never another user's


def test_it_wants_ids_or_all_to_mark_read(api, xunyang_officer):
    response = api.as_user(xunyang_officer).post(f"{URL}read/", {}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()["errors"]


def test_it_renders_the_list_in_the_users_language(
    api, xunyang_officer, chinese_catalogue, case, reporter
):
    from django.utils import timezone

    from inspections.services import do_save_survey
    from lib.demo_survey import full_survey
    from workflows.services import do_transition

    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter)
    api.as_user(xunyang_officer)

    assert api.get(URL).json()[-1]["text"] == f"{case.union.name} 已提交调查表。"
    xunyang_officer.language = "en"
    xunyang_officer.save(update_fields=["language"])
    # The user's choice wins over the request's Accept-Language.
    listed = api.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert listed[-1]["text"] == f"{case.union.name} submitted its survey."
