"""manage.py send_reminders: deadlines and monitors, each sent once (campaign fixture: surveys due
2022-08-31, county summaries due 2022-12-15)."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inspections.services import do_save_survey
from inspections.summaries import do_create_summary, do_summary_transition
from lib.demo_survey import full_survey
from notifications.models import Notification
from notifications.reminders import _Facts, add_years, deadline_phase, send_reminders, term_ends_on
from workflows.models import Stage
from workflows.services import do_transition

from .conftest import told, walk

pytestmark = pytest.mark.django_db


def run(day: str) -> str:
    out = StringIO()
    call_command("send_reminders", "--today", day, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        ("2022-08-23", None),
        ("2022-08-24", "7d"),
        ("2022-08-29", "7d"),
        ("2022-08-30", "1d"),
        ("2022-08-31", "1d"),
        ("2022-09-01", "overdue"),
    ],
)
def test_it_knows_which_reminder_of_a_deadline_is_due(day, phase):
    assert deadline_phase(date(2022, 8, 31), date.fromisoformat(day)) == phase


def test_it_reminds_the_county_officers_seven_days_before_the_survey_deadline_once(
    case, xunyang_officer, xunyang_officer_2, wuning_officer
):
    first = run("2022-08-24")
    second = run("2022-08-26")

    assert told("survey_deadline_7d") == {"xunyang", "xunyang2"}
    row = Notification.objects.get(kind="survey_deadline_7d", recipient=xunyang_officer)
    assert row.params == {
        "campaign": "六有六规范建设",
        "deadline": "2022-08-31",
        "federation": "浔阳区总工会",
        "pending": 1,
    }
    assert "survey_deadline_7d: 2" in first
    assert second.strip().endswith("0 notification(s) sent")
    assert Notification.objects.filter(kind="survey_deadline_7d").count() == 2


def test_it_sends_the_last_day_and_the_overdue_reminders_once_each(case, xunyang_officer):
    for day in ["2022-08-24", "2022-08-30", "2022-08-31", "2022-09-01", "2022-09-20"]:
        run(day)

    kinds = list(
        Notification.objects.filter(recipient=xunyang_officer)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert [k for k in kinds if k.startswith("survey")] == [
        "survey_deadline_7d",
        "survey_deadline_1d",
        "survey_overdue",
    ]


def test_it_sends_only_the_most_urgent_reminder_when_it_first_runs_late(case, xunyang_officer):
    run("2022-08-30")

    assert told("survey_deadline_7d") == set()
    assert told("survey_deadline_1d") == {"xunyang"}


def test_it_counts_unions_without_a_case_and_leaves_out_submitted_surveys(
    case, xunyang_officer, federation_officer
):
    from tests.conftest import make_union

    make_union(xunyang_officer, name="九江浔阳纺织厂工会")  # no case yet
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, city=federation_officer)

    run("2022-09-01")

    assert Notification.objects.get(kind="survey_overdue").params["pending"] == 1


def test_it_reminds_nobody_when_every_survey_is_in(
    case, xunyang_officer, xunyang_officer_2, federation_officer
):
    walk(case, Stage.SURVEY_REVIEW, county=xunyang_officer, city=federation_officer)

    run("2022-09-01")

    assert not Notification.objects.filter(kind__contains="survey_").exists()


def test_it_reminds_the_reporter_of_a_pending_union(case, reporter, xunyang_officer):
    run("2022-08-24")
    run("2022-08-25")

    row = Notification.objects.get(kind="union_survey_deadline_7d")
    assert row.recipient == reporter
    assert row.case_id == case.pk
    assert row.link == f"/cases/{case.pk}/"


def test_it_tells_a_wuning_officer_only_about_wuning(
    case, wuning_case, xunyang_officer, wuning_officer
):
    run("2022-09-01")

    rows = Notification.objects.filter(recipient=wuning_officer)
    assert rows.exists()
    assert {row.params["federation"] for row in rows} == {"武宁县总工会"}
    assert not Notification.objects.filter(
        recipient=xunyang_officer, params__federation="武宁县总工会"
    ).exists()


def test_it_reminds_counties_whose_summary_is_not_submitted(
    campaign, xunyang_officer, wuning_officer, federation_officer
):
    wuning = do_create_summary(actor=wuning_officer, campaign=campaign, text="武宁县总结")
    do_summary_transition(wuning.pk, "submit", actor=wuning_officer)
    xunyang = do_create_summary(actor=xunyang_officer, campaign=campaign, text="浔阳区总结")
    do_summary_transition(xunyang.pk, "submit", actor=xunyang_officer)
    do_summary_transition(xunyang.pk, "return", actor=federation_officer, comment="数据有误")

    run("2022-12-08")
    run("2022-12-16")
    run("2022-12-17")

    assert told("summary_deadline_7d") == {"xunyang"}
    assert told("summary_overdue") == {"xunyang"}
    assert Notification.objects.filter(kind="summary_overdue").count() == 1


def test_it_forgets_a_campaign_a_month_after_its_summary_deadline(case, xunyang_officer):
    run("2023-01-20")

    assert not Notification.objects.filter(kind__contains="survey").exists()
    assert not Notification.objects.filter(kind__contains="summary").exists()


def test_it_reminds_again_when_a_deadline_moves(
    case, campaign, xunyang_officer, federation_officer
):
    run("2022-09-01")
    from workflows.services import do_update_campaign

    do_update_campaign(
        campaign.pk, actor=federation_officer, data={"survey_deadline": date(2022, 9, 10)}
    )
    run("2022-09-03")
    run("2022-09-03")

    assert Notification.objects.filter(kind="survey_overdue").count() == 1
    assert Notification.objects.filter(kind="survey_deadline_7d").count() == 1


# --- Monitors ----------------------------------------------------------------------------------


def _survey(case, actor, **changes):
    data = full_survey(on=date(2022, 9, 1))
    data.update(changes)
    do_save_survey(case, data, actor=actor)


def test_it_flags_a_roster_older_than_six_months_to_the_reporter_and_the_county(
    case, reporter, xunyang_officer, wuning_officer
):
    _survey(case, xunyang_officer, roster_updated_on="2022-02-28")  # 185 days before 2022-09-01

    send_reminders(date(2022, 9, 1))
    send_reminders(date(2022, 9, 2))

    stale = Notification.objects.get(kind="roster_stale")
    assert stale.recipient == reporter
    assert stale.params["roster_updated_on"] == "2022-02-28"
    digest = Notification.objects.get(kind="roster_stale_digest")
    assert digest.recipient == xunyang_officer
    assert digest.params["count"] == 1 and digest.params["unions"] == case.union.name


def test_it_leaves_a_roster_of_six_months_alone(case, reporter, xunyang_officer):
    _survey(case, xunyang_officer, roster_updated_on="2022-03-02")  # 183 days

    send_reminders(date(2022, 9, 1))

    assert not Notification.objects.filter(kind__startswith="roster").exists()


def test_it_sends_the_county_digest_again_next_month_only(case, reporter, xunyang_officer):
    _survey(case, xunyang_officer, roster_updated_on="2022-01-01")

    for day in [date(2022, 9, 1), date(2022, 9, 30), date(2022, 10, 1), date(2022, 10, 2)]:
        send_reminders(day)

    assert Notification.objects.filter(kind="roster_stale_digest").count() == 2
    assert Notification.objects.filter(kind="roster_stale").count() == 1  # one roster date, once


def test_it_warns_of_a_congress_term_ending_within_sixty_days(case, reporter, xunyang_officer):
    data_chair = full_survey(on=date(2022, 9, 1))["chair"] | {"elected_on": "2017-10-15"}
    _survey(case, xunyang_officer, chair=data_chair)  # term of 5 years ends 2022-10-15

    send_reminders(date(2022, 8, 15))  # 61 days ahead
    assert not Notification.objects.filter(kind__startswith="congress").exists()
    send_reminders(date(2022, 8, 16))  # 60 days ahead
    send_reminders(date(2022, 8, 17))

    ending = Notification.objects.get(kind="congress_term_ending")
    assert ending.recipient == reporter
    assert ending.params["term_ends_on"] == "2022-10-15"
    assert told("congress_term_digest") == {"xunyang"}


def test_it_warns_of_a_congress_term_that_has_ended(case, reporter, xunyang_officer):
    data_chair = full_survey(on=date(2022, 9, 1))["chair"] | {"elected_on": "2016-03-01"}
    _survey(
        case,
        xunyang_officer,
        chair=data_chair,
        member_congress={"term_years": 3, "meetings_last_year": 1},
    )

    send_reminders(date(2022, 9, 1))

    assert (
        Notification.objects.get(kind="congress_term_ended").params["term_ends_on"] == "2019-03-01"
    )


def test_it_derives_the_term_from_the_congress_date_before_the_chairs():
    fact = _Facts(1, "工会", 1, 1, term_years=5, chair_elected_on=date(2019, 6, 1))
    assert term_ends_on(fact) == date(2024, 6, 1)
    fact.congress_elected_on = date(2018, 1, 10)
    assert term_ends_on(fact) == date(2023, 1, 10)
    fact.term_years = None
    assert term_ends_on(fact) is None
    assert add_years(date(2020, 2, 29), 3) == date(2023, 2, 28)


def test_it_flags_a_union_without_a_member_evaluation_this_year(
    case, reporter, xunyang_officer, federation_officer
):
    send_reminders(date(2022, 9, 1))
    assert Notification.objects.get(kind="no_member_evaluation").recipient == reporter
    assert Notification.objects.get(kind="no_member_evaluation_digest").params["year"] == 2022


def test_it_counts_the_evaluation_recorded_with_the_survey(
    case, reporter, xunyang_officer, federation_officer
):
    _survey(case, xunyang_officer)  # member evaluation held 2022-07-03
    do_transition(case.pk, "submit_survey", actor=reporter)

    send_reminders(date(2022, 9, 1))

    assert not Notification.objects.filter(kind__startswith="no_member_evaluation").exists()


def test_it_refuses_a_malformed_day():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today", "1/9/2022")
