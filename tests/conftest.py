"""Named personas and builders shared by every test (STYLE.md 9). Data is made through the real
services, so every fixture leaves the same events and history a person would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from unions.models import Federation, Role, Union
from unions.services import do_create_union, do_create_user
from workflows.models import Stage
from workflows.services import do_create_campaign, do_create_case

XUNYANG = "360403"  # 浔阳区
WUNING = "360423"  # 武宁县
PASSWORD = "correct-horse-battery"

TODAY = date(2022, 9, 1)  # NORMS.md's example assessment date

# Stage reached -> (transition, who fires it) that reaches it from the stage before.
PATH = [
    (Stage.SURVEY_REVIEW, "submit_survey", "county"),
    (Stage.ASSESSMENT, "accept_survey", "county"),
    (Stage.ASSESSMENT_REVIEW, "submit_assessment", "county"),
    (Stage.GUIDANCE, "approve_assessment", "federation"),
    (Stage.SELECTION, "recommend_model", "county"),
    (Stage.SUBSIDY, "select_model", "federation"),
]


@pytest.fixture
def frozen_today(monkeypatch):
    """``timezone.localdate()`` (the services' "today", the day the rules run) is TODAY."""
    real_localdate = timezone.localdate

    def localdate(value=None, timezone=None):
        if value is None:
            return TODAY
        return real_localdate(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the pages keep a campaign's figures there, under
    ids a rolled-back test may hand out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 is slow on purpose (~0.2 s a password); personas need no such protection."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def federation_officer(db):
    return do_create_user(
        username="fed", role=Role.FEDERATION_OFFICER, password=PASSWORD, display_name="市总 刘敏"
    )


@pytest.fixture
def federation_officer_2(db):
    return do_create_user(
        username="fed2", role=Role.FEDERATION_OFFICER, password=PASSWORD, display_name="市总 陈晨"
    )


@pytest.fixture
def xunyang_officer(db):
    return do_create_user(
        username="xunyang",
        role=Role.COUNTY_OFFICER,
        password=PASSWORD,
        federation_codes=[XUNYANG],
        display_name="浔阳区 王磊",
    )


@pytest.fixture
def xunyang_officer_2(db):
    return do_create_user(
        username="xunyang2",
        role=Role.COUNTY_OFFICER,
        password=PASSWORD,
        federation_codes=[XUNYANG],
        display_name="浔阳区 赵静",
    )


@pytest.fixture
def wuning_officer(db):
    return do_create_user(
        username="wuning",
        role=Role.COUNTY_OFFICER,
        password=PASSWORD,
        federation_codes=[WUNING],
        display_name="武宁县 孙伟",
    )


@pytest.fixture
def leader(db):
    return do_create_user(
        username="leader",
        role=Role.LEADER,
        password=PASSWORD,
        federation_codes=[XUNYANG],
        display_name="领导 周华",
    )


@pytest.fixture
def leader_2(db):
    return do_create_user(
        username="leader2", role=Role.LEADER, password=PASSWORD, display_name="领导 吴刚"
    )


@pytest.fixture
def auditor(db):
    return do_create_user(
        username="auditor", role=Role.AUDITOR, password=PASSWORD, display_name="审计 郑洁"
    )


@pytest.fixture
def campaign(federation_officer):
    return do_create_campaign(
        actor=federation_officer,
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


def make_union(
    actor,
    *,
    federation=XUNYANG,
    name="九江浔阳新材料有限公司工会",
    union_type="enterprise",
    founded_on=date(2015, 3, 1),
    ownership="private",
    **extra,
) -> Union:
    return do_create_union(
        actor=actor,
        data={
            "name": name,
            "federation": Federation.objects.get(code=federation),
            "union_type": union_type,
            "ownership": ownership if union_type == "enterprise" else "",
            "founded_on": founded_on,
            **extra,
        },
    )


@pytest.fixture
def xunyang_union(xunyang_officer):
    return make_union(xunyang_officer)


@pytest.fixture
def wuning_union(wuning_officer):
    return make_union(wuning_officer, federation=WUNING, name="武宁县茶业合作社工会")


@pytest.fixture
def reporter(xunyang_union):
    return do_create_user(
        username="reporter",
        role=Role.UNION_REPORTER,
        password=PASSWORD,
        union_id=xunyang_union.pk,
        display_name="填报员 李娜",
    )


@pytest.fixture
def case(campaign, xunyang_union, xunyang_officer):
    return do_create_case(actor=xunyang_officer, campaign=campaign, union_id=xunyang_union.pk)


@pytest.fixture
def wuning_case(campaign, wuning_union, wuning_officer):
    return do_create_case(actor=wuning_officer, campaign=campaign, union_id=wuning_union.pk)


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates with a real token."""

    class Client(APIClient):
        def as_user(self, user):
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return Client()
