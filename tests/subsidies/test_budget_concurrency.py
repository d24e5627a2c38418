"""Many leaders signing off at the same moment never take the campaign past its budget.

Only PostgreSQL shows this: each thread has its own connection and its own transaction, and the
service must count committed money under the campaign's row lock. SQLite serialises writers
wholesale, so the test would prove nothing there.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

import pytest

from lib.errors import Conflict
from subsidies.flows import committed_amount
from subsidies.models import SubsidyApplication
from subsidies.services import do_subsidy_transition
from tests.conftest import PASSWORD, XUNYANG, make_union, on_postgres
from tests.subsidies.journey import run_at_once, submitted_subsidy
from unions.models import Role
from unions.services import do_create_user
from workflows.models import Event
from workflows.services import do_create_campaign, do_create_case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not on_postgres(), reason="row locks across connections need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8
ROUNDS = 5
# Eight applications asking 44,000 yuan in all against a budget of 20,000.
AMOUNTS = [
    Decimal(a)
    for a in (
        "8000.00",
        "5000.00",
        "8000.00",
        "3000.00",
        "5000.00",
        "8000.00",
        "4000.00",
        "3000.00",
    )
]
BUDGET = Decimal("20000.00")


def test_it_keeps_concurrent_sign_offs_within_the_budget(federation_officer, xunyang_officer):
    leaders = [
        do_create_user(
            username=f"leader{i}",
            role=Role.LEADER,
            password=PASSWORD,
            federation_codes=[XUNYANG],
            display_name=f"领导{i}",
        )
        for i in range(THREADS)
    ]
    for round_ in range(ROUNDS):
        campaign = do_create_campaign(
            actor=federation_officer,
            data={
                "year": 2030 + round_,
                "title": f"第{round_}轮",
                "reference_date": date(2022, 5, 20),
                "survey_deadline": date(2022, 8, 31),
                "summary_deadline": date(2022, 12, 15),
                "subsidy_six_haves": Decimal("5000.00"),
                "subsidy_six_norms": Decimal("8000.00"),
                "subsidy_budget": BUDGET,
            },
        )
        applications = []
        for i, amount in enumerate(AMOUNTS):
            union = make_union(xunyang_officer, name=f"浔阳区第{round_}轮示范{i}工会")
            case = do_create_case(actor=xunyang_officer, campaign=campaign, union_id=union.pk)
            applications.append(
                submitted_subsidy(
                    case, officer=xunyang_officer, approver=federation_officer, amount=amount
                )
            )

        results = run_at_once(
            [
                partial(do_subsidy_transition, a.pk, "sign_off", actor=leader, comment="同意")
                for a, leader in zip(applications, leaders, strict=True)
            ]
        )

        unexpected = [r for r in results if not isinstance(r, SubsidyApplication | Conflict)]
        assert not unexpected, unexpected
        committed = committed_amount(campaign.pk)
        assert committed <= BUDGET
        signed = [
            a
            for a, r in zip(applications, results, strict=True)
            if isinstance(r, SubsidyApplication)
        ]
        losers = [a for a, r in zip(applications, results, strict=True) if isinstance(r, Conflict)]
        assert signed and losers
        assert committed == sum(a.amount for a in signed)
        # Every refusal was right: at the moment it was refused, the money did not fit.
        assert all(committed + a.amount > BUDGET for a in losers)
        states = dict(
            SubsidyApplication.objects.filter(case__campaign=campaign).values_list("pk", "state")
        )
        assert sorted(states.values()).count("signed_off") == len(signed)
        assert Event.objects.filter(
            subject="subsidy", action="sign_off", subject_id__in=[a.pk for a in signed]
        ).count() == len(signed)
        assert not Event.objects.filter(
            subject="subsidy", action="sign_off", subject_id__in=[a.pk for a in losers]
        ).exists()
