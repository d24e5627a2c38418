"""Builders for the notification tests: cases walked through the real services, and who got what."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from django.utils import timezone

from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.models import Notification
from subsidies.services import do_create_subsidy, do_subsidy_transition
from workflows.models import Case, Stage
from workflows.services import do_transition

STEPS = [
    (Stage.SURVEY, "submit_survey", "county"),
    (Stage.SURVEY_REVIEW, "accept_survey", "county"),
    (Stage.ASSESSMENT, "submit_assessment", "county"),
    (Stage.ASSESSMENT_REVIEW, "approve_assessment", "city"),
    (Stage.GUIDANCE, "recommend_model", "county"),
    (Stage.SELECTION, "select_model", "city"),
]


def walk(case: Case, to: str, *, county, city) -> Case:
    """Move ``case`` to stage ``to`` as the officers would: a complete survey dated for today
    (it meets every rule of a private enterprise), then each step by its role."""
    case.refresh_from_db()
    if case.stage == Stage.SURVEY and to != Stage.SURVEY:
        do_save_survey(case, full_survey(on=timezone.localdate()), actor=county)
    for stage, name, who in STEPS:
        case.refresh_from_db()
        if case.stage == to:
            break
        if case.stage == stage:
            do_transition(case.pk, name, actor=county if who == "county" else city, comment=name)
    case.refresh_from_db()
    assert case.stage == to
    return case


def submitted_subsidy(case: Case, *, county, city):
    walk(case, Stage.SUBSIDY, county=county, city=city)
    application = do_create_subsidy(case.pk, actor=county)
    return do_subsidy_transition(application.pk, "submit", actor=county)


def told(kind: str) -> set[str]:
    """Usernames notified of ``kind``."""
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def write_catalogue(directory: Path, language: str, messages: dict[str, str]) -> None:
    """A compiled gettext catalogue (GNU .mo) under ``directory/<language>/LC_MESSAGES``, so a
    test can see text rendered in a language before the project's catalogue exists."""
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(entries)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(entries[k].encode() + b"\0" for k in keys)
    header = 7 * 4
    table = header + 16 * len(keys)
    offsets, pos = [], table
    for k in keys:
        offsets.append((len(k.encode()), pos))
        pos += len(k.encode()) + 1
    str_offsets = []
    for k in keys:
        str_offsets.append((len(entries[k].encode()), pos))
        pos += len(entries[k].encode()) + 1
    data = struct.pack("<7I", 0x950412DE, 0, len(keys), header, header + 8 * len(keys), 0, 0)
    data += b"".join(struct.pack("<2I", *o) for o in offsets)
    data += b"".join(struct.pack("<2I", *o) for o in str_offsets)
    data += ids + strs
    target = directory / language.replace("-", "_") / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    (target / "django.mo").write_bytes(data)


@pytest.fixture
def chinese_catalogue(tmp_path, settings):
    """A Chinese translation of the sentences these tests read (zh_Hans, as Django names it)."""
    write_catalogue(
        tmp_path,
        "zh_Hans",
        {
            "%(union)s submitted its survey.": "%(union)s 已提交调查表。",
            "The assessment of %(union)s awaits approval.": "%(union)s 的评估等待审批。",
        },
    )
    settings.LOCALE_PATHS = [tmp_path]
    return tmp_path
