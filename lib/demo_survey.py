"""A complete survey that meets every rule of its track, used by the demo data, tests and
benchmarks as the starting point for variations (NORMS.md's own example)."""

from __future__ import annotations

import copy
from datetime import date, timedelta

_BASE = {
    "employees": 320,
    "women_employees": 140,
    "members": 300,
    "women_members": 130,
    "production_teams": 12,
    "union_groups": 12,
    "group_leaders_elected": True,
    "has_board": True,
    "has_supervisory_board": True,
    "chair": {
        "name": "王芳",
        "elected_on": "2021-03-15",
        "elected_lawfully": True,
        "full_time": True,
        "is_admin_head": False,
        "is_partner": False,
        "is_relative_of_admin": False,
    },
    "committee": {
        "exists": True,
        "joint": False,
        "members": [
            {
                "name": "李强",
                "is_admin_head": False,
                "is_partner": False,
                "is_relative_of_admin": False,
            }
        ],
    },
    "funds_review_committee": True,
    "women_committee": True,
    "women_committee_member": False,
    "labor_law_supervision_committee": True,
    "labor_law_supervisor": False,
    "coordinators": 0,
    "volunteer_team": False,
    "full_time_staff": 2,
    "member_congress": {"term_years": 5, "meetings_last_year": 1},
    "workers_congress": {
        "term_years": 5,
        "meetings_last_year": 1,
        "combined_with_member_congress": False,
    },
    "collective_contract": {"signed": True, "expires_on": "2024-06-30"},
    "collective_consultation_system": True,
    "labor_law_supervision_system": True,
    "funds_review_system": True,
    "finance_system": True,
    "open_affairs": True,
    "worker_director": True,
    "worker_supervisor": True,
    "activities_last_year": 6,
    "skills_activities_last_year": 2,
    "culture_activities_last_year": 3,
    "funds": {"independent_account": True},
    "home": {
        "venue": True,
        "signage": True,
        "leaders_board": True,
        "sports_facilities": True,
        "library": True,
        "rules": True,
        "activity_plan": True,
        "funds": True,
        "staff": True,
        "office": True,
        "equipment": True,
    },
    "roster_updated_on": "2022-07-01",
    "member_registration_forms": True,
    "archives_complete": True,
    "paper_archives": True,
    "goal_management": True,
    "regular_study": True,
    "work_briefing": True,
    "member_evaluation": {
        "held_on": "2022-06-20",
        "written": True,
        "satisfied": 210,
        "basically_satisfied": 70,
        "unsatisfied": 5,
    },
}


def full_survey(on: date | None = None) -> dict:
    """The example survey; with ``on``, its dates are moved so they are fresh on that day
    (roster a month old, evaluation two months old, contract running another two years)."""
    data = copy.deepcopy(_BASE)
    if on is not None:
        data["roster_updated_on"] = (on - timedelta(days=30)).isoformat()
        data["member_evaluation"]["held_on"] = (on - timedelta(days=60)).isoformat()
        data["chair"]["elected_on"] = (on - timedelta(days=400)).isoformat()
        data["collective_contract"]["expires_on"] = (on + timedelta(days=730)).isoformat()
    return data
