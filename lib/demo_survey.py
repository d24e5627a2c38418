"""A complete survey that meets every rule of its track, used by the demo data, tests and
benchmarks as the starting point for variations: NORMS.md's own example
(``inspections.survey.example_survey``), with its dates moved to a given day."""

from __future__ import annotations

from datetime import date, timedelta

from inspections.survey import example_survey


def full_survey(on: date | None = None) -> dict:
    """The example survey; with ``on``, its dates are moved so they are fresh on that day
    (roster a month old, evaluation two months old, contract running another two years)."""
    data = example_survey()
    if on is not None:
        data["roster_updated_on"] = (on - timedelta(days=30)).isoformat()
        data["member_evaluation"]["held_on"] = (on - timedelta(days=60)).isoformat()
        data["chair"]["elected_on"] = (on - timedelta(days=400)).isoformat()
        data["collective_contract"]["expires_on"] = (on + timedelta(days=730)).isoformat()
    return data
