"""Campaign figures per county, shaped for the home pages and the dashboard.

The numbers are ``workflows.figures`` (the same the API's figures endpoint, the county summaries
and the spreadsheet export serve), so a chart never disagrees with a report. They come from
``current_figures_by_federation``: computed in a fixed number of aggregated queries and kept a
few seconds while no event is written, so a transition shows on the next refresh; the pages say
when they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from inspections.rules import BASICALLY_SATISFIED, SATISFIED, UNSATISFIED

from .figures import current_figures_by_federation
from .models import Campaign, Stage

ZERO = Decimal("0.00")
GRADES = (SATISFIED, BASICALLY_SATISFIED, UNSATISFIED)


def _share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


@dataclass
class CountyRow:
    """One county's figures (see ``workflows.figures`` for what each counts)."""

    federation: dict[str, str]
    stages: dict[str, int] = field(default_factory=dict)
    tracks: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    surveyed: int = 0
    assessed: int = 0
    meeting: int = 0
    grades: dict[str, int] = field(default_factory=dict)
    model_unions: int = 0
    subsidies: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_figures(cls, figures: dict[str, Any]) -> CountyRow:
        return cls(
            federation=figures["federation"],
            stages=dict(figures["stages"]),
            tracks=dict(figures["tracks"]),
            cases=figures["cases"],
            surveyed=figures["surveyed"],
            assessed=figures["assessed"],
            meeting=figures["meeting_standard"],
            grades=dict(figures["grades"]),
            model_unions=figures["model_unions"],
            subsidies=figures["subsidies"],
        )

    @property
    def total(self) -> int:
        return self.cases

    @property
    def done_share(self) -> Decimal | None:
        """Share of cases the city has approved the assessment of (guidance or later)."""
        return _share(self.assessed, self.cases)

    @property
    def meeting_share(self) -> Decimal | None:
        return _share(self.meeting, self.assessed)

    @property
    def graded(self) -> int:
        return sum(self.grades.get(grade, 0) for grade in GRADES)

    @property
    def satisfied_share(self) -> Decimal | None:
        """Share of graded unions whose members rated them 满意 or 基本满意."""
        good = self.grades.get(SATISFIED, 0) + self.grades.get(BASICALLY_SATISFIED, 0)
        return _share(good, self.graded)

    @property
    def committed(self) -> Decimal:
        return self.subsidies.get("signed", {}).get("amount", ZERO)

    @property
    def money(self) -> dict[str, Decimal]:
        """Amounts for the budget chart: disbursed, and signed off but not yet disbursed."""
        signed = self.subsidies.get("signed", {}).get("amount", ZERO)
        disbursed = self.subsidies.get("disbursed", {}).get("amount", ZERO)
        return {"disbursed": disbursed, "signed_off": signed - disbursed}


def county_rows_as_of(
    campaign: Campaign, federation_ids: list[int] | None = None
) -> tuple[list[CountyRow], datetime]:
    """Every county's figures (or those of ``federation_ids``), by code, and when they were
    computed."""
    figures, as_of = current_figures_by_federation(campaign, federation_ids)
    return [CountyRow.from_figures(county) for county in figures.values()], as_of


def totals(rows: list[CountyRow]) -> CountyRow:
    """The sum of ``rows``, as one more row."""
    city = CountyRow(federation={"code": "", "name": ""})
    city.stages = {stage: sum(r.stages.get(stage, 0) for r in rows) for stage in Stage.values}
    for name in ("cases", "surveyed", "assessed", "meeting", "model_unions"):
        setattr(city, name, sum(getattr(r, name) for r in rows))
    city.grades = {grade: sum(r.grades.get(grade, 0) for r in rows) for grade in (*GRADES, "none")}
    city.subsidies = {
        group: {
            "count": sum(r.subsidies.get(group, {}).get("count", 0) for r in rows),
            "amount": sum((r.subsidies.get(group, {}).get("amount", ZERO) for r in rows), ZERO),
        }
        for group in ("requested", "signed", "disbursed")
    }
    return city
