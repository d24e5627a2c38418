"""The world the browser tests act in, built through the real services in the server's own
database (run in a subprocess: ``python -m tests.e2e.seed``, which prints the ids as JSON).

The personas are those of tests/conftest.py (same usernames, names and password). The story's
case is 浔阳区's union at the survey stage: its survey was filled in as a draft except for what the
county officer types in the browser, and it was sent back once to the union's reporter. Around it,
cases at other stages of both counties, so every role's home has something on it.
"""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal

import django


def seed() -> dict:
    from django.utils import timezone

    from inspections.services import do_save_survey
    from lib.demo_survey import full_survey
    from tests.conftest import PASSWORD, WUNING, XUNYANG, make_union
    from tests.pages.conftest import submitted_subsidy, walk
    from unions.models import Role
    from unions.services import do_create_user
    from workflows.models import Stage
    from workflows.services import do_create_campaign, do_create_case, do_transition

    def user(username, role, name, **kwargs):
        return do_create_user(
            username=username, role=role, password=PASSWORD, display_name=name, **kwargs
        )

    fed = user("fed", Role.FEDERATION_OFFICER, "市总 刘敏")
    fed2 = user("fed2", Role.FEDERATION_OFFICER, "市总 陈晨")
    xunyang = user("xunyang", Role.COUNTY_OFFICER, "浔阳区 王磊", federation_codes=[XUNYANG])
    wuning = user("wuning", Role.COUNTY_OFFICER, "武宁县 孙伟", federation_codes=[WUNING])
    user("leader", Role.LEADER, "领导 周华", federation_codes=[XUNYANG])
    user("auditor", Role.AUDITOR, "审计 郑洁")
    campaign = do_create_campaign(
        actor=fed,
        data={
            "year": 2022,
            "title": "六有六规范建设",
            "reference_date": date(2022, 5, 20),
            "survey_deadline": date(2022, 8, 31),
            "summary_deadline": date(2022, 12, 15),
            "subsidy_six_haves": Decimal("5000.00"),
            "subsidy_six_norms": Decimal("8000.00"),
            "subsidy_budget": Decimal("100000.00"),
        },
    )
    today = timezone.localdate()

    # The story's case: a draft survey missing what the officer will type, sent back once.
    union = make_union(xunyang)
    reporter = user("reporter", Role.UNION_REPORTER, "填报员 李娜", union_id=union.pk)
    case = do_create_case(actor=xunyang, campaign=campaign, union_id=union.pk)
    do_save_survey(case, full_survey(on=today), actor=reporter)
    do_transition(case.pk, "submit_survey", actor=reporter)
    do_transition(case.pk, "return_survey", actor=xunyang, comment="请核实女职工人数，补充委员名单")
    draft = full_survey(on=today)
    draft["women_employees"] = None
    draft["home"]["library"] = None
    draft["committee"]["members"] = []
    do_save_survey(case, draft, actor=reporter)

    # Cases around it.
    others = {}
    for n, stage in enumerate(
        [
            Stage.SURVEY_REVIEW,
            Stage.ASSESSMENT,
            Stage.GUIDANCE,
            Stage.SURVEY_REVIEW,
            Stage.SELECTION,
        ]
    ):
        other = do_create_case(
            actor=xunyang,
            campaign=campaign,
            union_id=make_union(
                xunyang, name=f"浔阳区第{n + 1}示例企业工会", founded_on=date(2019, 3, 1)
            ).pk,
        )
        walk(other, stage, county=xunyang, federation=fed)
        others[f"xunyang_{stage}_{n}"] = other.pk
    for n, stage in enumerate([Stage.ASSESSMENT_REVIEW, Stage.SURVEY_REVIEW, Stage.GUIDANCE]):
        other = do_create_case(
            actor=wuning,
            campaign=campaign,
            union_id=make_union(
                wuning, federation=WUNING, name=f"武宁县第{n + 1}示例合作社工会"
            ).pk,
        )
        walk(other, stage, county=wuning, federation=fed2)
    for n, (officer, code) in enumerate([(xunyang, XUNYANG), (wuning, WUNING)]):
        model = do_create_case(
            actor=officer,
            campaign=campaign,
            union_id=make_union(officer, federation=code, name=f"示范候选工会（{n + 1}）").pk,
        )
        submitted_subsidy(model, county=officer, federation=fed2)
    return {"case": case.pk, "union": union.name, "others": others}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(json.dumps(seed(), ensure_ascii=False))  # noqa: T201 - read by the test process


if __name__ == "__main__":
    main()
