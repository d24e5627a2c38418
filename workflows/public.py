"""The public page of model unions (选树先进典型并进行宣传): no login, no personal data.

``/models/`` lists the latest campaign's selected model unions by county and track with what
they achieved: the score, the areas of their standard met, the grade of their member evaluation;
``/models/?campaign=YEAR`` another campaign. Only organisations appear: nobody's name, phone,
address or survey answers. The queries read only the columns shown (``only``), so a field added
to the union later cannot leak onto this page by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from inspections import rules
from inspections.models import Assessment, Finding

from .figures import with_evaluation_grade
from .flows import selected_as_model
from .models import Campaign, Case, Track

GRADE_LABELS = {
    rules.SATISFIED: _("Satisfied"),
    rules.BASICALLY_SATISFIED: _("Basically satisfied"),
    rules.UNSATISFIED: _("Unsatisfied"),
}
AREA_NAMES = {rule.area_code: rule.area for rule in rules.RULES.values()}


@dataclass(frozen=True)
class ModelUnion:
    name: str
    union_type: str
    county: str
    track: str
    score: Decimal | None
    areas_met: list[str]
    areas_total: int
    grade: str

    @property
    def score_percent(self) -> str:
        return f"{self.score * 100:.0f}%" if self.score is not None else ""


@dataclass(frozen=True)
class CountyGroup:
    county: str
    tracks: list[tuple[str, list[ModelUnion]]]


def model_unions(campaign: Campaign) -> list[ModelUnion]:
    """The campaign's selected model unions, by county code, track and name; three queries."""
    cases = list(
        with_evaluation_grade(
            Case.objects.filter(campaign=campaign).filter(selected_as_model()), campaign
        )
        .select_related("union__federation")
        .only(
            "id",
            "track",
            "union__name",
            "union__union_type",
            "union__federation__name",
            "union__federation__code",
        )
        .order_by("union__federation__code", "track", "union__name", "id")
    )
    latest: dict[int, Assessment] = {}
    for assessment in (
        Assessment.objects.filter(case__in=[c.pk for c in cases])
        .only("id", "case_id", "run", "track")
        .order_by("case_id", "-run")
    ):
        latest.setdefault(assessment.case_id, assessment)
    outcomes: dict[int, dict[str, str]] = {}
    for assessment_id, rule, outcome in Finding.objects.filter(
        assessment_id__in=[a.pk for a in latest.values()]
    ).values_list("assessment_id", "rule", "outcome"):
        outcomes.setdefault(assessment_id, {})[rule] = outcome

    result = []
    for case in cases:
        assessment = latest.get(case.pk)
        summary = (
            rules.summarize(assessment.track, outcomes.get(assessment.pk, {}))
            if assessment
            else None
        )
        areas = summary.areas if summary else {}
        result.append(
            ModelUnion(
                name=case.union.name,
                union_type=case.union.get_union_type_display(),
                county=case.union.federation.name,
                track=case.track,
                score=summary.score if summary else None,
                areas_met=[AREA_NAMES[code] for code, met in areas.items() if met],
                areas_total=len(areas),
                grade=str(GRADE_LABELS.get(case.grade, "")),
            )
        )
    return result


def by_county(unions: list[ModelUnion]) -> list[CountyGroup]:
    groups = []
    for county, in_county in groupby(unions, key=lambda u: u.county):
        tracks = [
            (str(Track(track).label), list(in_track))
            for track, in_track in groupby(in_county, key=lambda u: u.track)
        ]
        groups.append(CountyGroup(county=county, tracks=tracks))
    return groups


@require_safe
def model_unions_page(request: HttpRequest) -> HttpResponse:
    campaigns = list(Campaign.objects.order_by("-year").only("id", "year", "title"))
    year = request.GET.get("campaign")
    if year:
        campaign = next((c for c in campaigns if str(c.year) == year), None)
        if campaign is None:
            raise Http404
    else:
        campaign = campaigns[0] if campaigns else None
    unions = model_unions(campaign) if campaign else []
    return render(
        request,
        "public/model_unions.html",
        {
            "campaign": campaign,
            "campaigns": campaigns,
            "groups": by_county(unions),
            "count": len(unions),
        },
    )
