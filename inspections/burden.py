"""The burden meter (减负): how much of a case people had to type, and how much the system carried.

The plan warns against formalism ("防止填表多、材料多、过度留痕"). For every case this counts:

- ``typed``: survey fields a person entered or changed (``Survey.typed``);
- ``prefilled``: survey fields carried over from the union's previous survey and left as they were
  (``Survey.prefilled``);
- ``derived``: what nobody types because it is derived or already known: the track (from the
  founding date), the member evaluation's grade (from the ballots), and the union's own facts
  that the rules read from the registry (type, ownership, park level, founding date);
- ``returned``: how many times the case was sent back (``Case.returned_count``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet

from workflows.models import Case

from . import rules

UNION_FACTS = ("union_type", "ownership", "park_level", "founded_on")
COUNTS = ("cases", "typed", "prefilled", "derived", "returned")


def _grade(ballots: Any) -> str | None:
    if not isinstance(ballots, Mapping):
        return None
    counts = [ballots.get(key) for key in ("satisfied", "basically_satisfied", "unsatisfied")]
    if not all(isinstance(count, int) and count >= 0 for count in counts):
        return None
    return rules.evaluation_grade(*counts)


def derived_fields(*, track: str, union_facts: Mapping[str, Any], ballots: Any = None) -> list[str]:
    """Names of the values the system supplies for a case instead of a person."""
    derived = ["track"] if track else []
    if _grade(ballots) is not None:
        derived.append("member_evaluation.grade")
    derived.extend(name for name in UNION_FACTS if union_facts.get(name))
    return derived


def case_burden(case: Case) -> dict[str, Any]:
    """The meter of one case, with the fields behind each count."""
    from .services import survey_of

    survey = survey_of(case)
    typed = list(survey.typed) if survey else []
    prefilled = list(survey.prefilled) if survey else []
    union = case.union
    derived = derived_fields(
        track=case.track,
        union_facts={name: getattr(union, name) for name in UNION_FACTS},
        ballots=(survey.data.get("member_evaluation") if survey else None),
    )
    return {
        "case": case.pk,
        "typed": len(typed),
        "prefilled": len(prefilled),
        "derived": len(derived),
        "returned": case.returned_count,
        "typed_fields": typed,
        "prefilled_fields": prefilled,
        "derived_fields": derived,
    }


def _empty(**identity: Any) -> dict[str, Any]:
    return {**identity, **dict.fromkeys(COUNTS, 0)}


def _add(total: dict[str, Any], typed: int, prefilled: int, derived: int, returned: int) -> None:
    total["cases"] += 1
    total["typed"] += typed
    total["prefilled"] += prefilled
    total["derived"] += derived
    total["returned"] += returned


def campaign_burden(cases: QuerySet[Case]) -> dict[str, Any]:
    """The meter summed per county over ``cases`` (already filtered by scope and campaign).

    One query, whatever the number of cases: the survey's JSON is read only for the lists and
    the ballots, not whole.
    """
    rows: Iterable[dict[str, Any]] = (
        cases.order_by()
        .values(
            "track",
            "returned_count",
            "union__federation__code",
            "union__federation__name",
            "union__union_type",
            "union__ownership",
            "union__park_level",
            "union__founded_on",
            "survey__typed",
            "survey__prefilled",
            "survey__data__member_evaluation",
        )
        .iterator(chunk_size=2000)
    )
    counties: dict[str, dict[str, Any]] = {}
    total = _empty()
    for row in rows:
        code = row["union__federation__code"]
        county = counties.get(code)
        if county is None:
            county = counties[code] = _empty(federation=code, name=row["union__federation__name"])
        derived = derived_fields(
            track=row["track"],
            union_facts={name: row[f"union__{name}"] for name in UNION_FACTS},
            ballots=row["survey__data__member_evaluation"],
        )
        counts = (
            len(row["survey__typed"] or []),
            len(row["survey__prefilled"] or []),
            len(derived),
            row["returned_count"],
        )
        _add(county, *counts)
        _add(total, *counts)
    return {"counties": [counties[code] for code in sorted(counties)], "total": total}
