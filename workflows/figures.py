"""A campaign's figures, per county and city-wide, computed from the records (no typing twice).

``campaign_figures`` is what ``GET /api/v1/campaigns/{id}/figures/`` serves and ``figures.xlsx``
exports; ``county_figures`` in ``inspections.summaries`` and the leaders' home read the same
numbers through ``figures_by_federation``. Whatever the number of unions, the figures cost three
queries: the federations, one GROUP BY over the cases (stage, track, the union's evaluation grade,
with conditional counts for the standard and for model unions) and one GROUP BY over the subsidy
applications.

What each figure counts:

- ``cases``: the campaign's cases; ``stages`` and ``tracks`` split them.
- ``surveyed``: cases whose survey was submitted (past the ``survey`` stage), ``surveyed_by_track``.
- ``assessed``: cases whose assessment the city approved (``guidance`` or later);
  ``meeting_standard``: those whose current assessment meets the standard of their track;
  ``meeting_share`` = meeting_standard ÷ assessed.
- ``grades``: surveyed cases by the grade of the member evaluation (会员评家) their survey
  reported (``with_evaluation_grade``); ``none`` when it has no grade (no ballots).
- ``model_unions``: cases selected as model unions (``workflows.flows.selected_as_model``).
- ``subsidies``: ``requested`` (submitted, whatever came of it), ``signed`` (signed off or
  disbursed: what counts against the budget) and ``disbursed``, each a count and an amount.
- city-wide only, ``budget``: the campaign's subsidy budget, what is committed and what remains.

The pages (homes, dashboard) read them through ``current_figures_by_federation``: at a province's
400,000 cases the GROUP BY takes a second or more, so the figures are kept in Django's cache per
campaign with the id of the newest event when they were computed and the time (with
``REDIS_URL``, in Redis: one copy for every server process, not one computed per process). They
are served again only while no event has been written since (every transition, override and
subsidy step writes one, committed with it, so the next request after a commit computes them
afresh) and for at most ``KEEP_FOR`` seconds (for what changes without an event). A page shows
when they were computed. The API's figures endpoint, the spreadsheet and the county summaries
compute them on every call.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from inspections.models import Assessment, MemberEvaluation, Survey
from inspections.rules import BASICALLY_SATISFIED, SATISFIED, UNSATISFIED
from subsidies.models import SubsidyApplication
from unions.models import Federation

from .flows import selected_as_model
from .models import Campaign, Case, Event, Stage, Track

ZERO = Decimal("0.00")
S = SubsidyApplication.State

SURVEYED_STAGES = [stage for stage in Stage.values if stage != Stage.SURVEY]
ASSESSED_STAGES = [Stage.GUIDANCE, Stage.SELECTION, Stage.SUBSIDY, Stage.CLOSED]
GRADES = (SATISFIED, BASICALLY_SATISFIED, UNSATISFIED, "none")
SUBSIDY_GROUPS = {
    "requested": (S.SUBMITTED, S.SIGNED_OFF, S.DISBURSED, S.REJECTED),
    "signed": (S.SIGNED_OFF, S.DISBURSED),
    "disbursed": (S.DISBURSED,),
}


def _empty() -> dict[str, Any]:
    return {
        "cases": 0,
        "stages": dict.fromkeys(Stage.values, 0),
        "tracks": dict.fromkeys(Track.values, 0),
        "surveyed": 0,
        "surveyed_by_track": dict.fromkeys(Track.values, 0),
        "assessed": 0,
        "meeting_standard": 0,
        "meeting_share": None,
        "grades": dict.fromkeys(GRADES, 0),
        "model_unions": 0,
        "subsidies": {group: {"count": 0, "amount": ZERO} for group in SUBSIDY_GROUPS},
    }


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def with_evaluation_grade(cases: QuerySet[Case], campaign: Campaign) -> QuerySet[Case]:
    """Annotate ``grade``: the grade of the member evaluation (会员评家) the case's own survey
    reported. ``submit_survey`` records it as the union's evaluation of the year it was held
    (else of the campaign's year), so that year, read from the survey, finds it.

    The survey is read inside the evaluation's lookup, not joined to every case: its JSON is
    then only opened for a union that has an evaluation, and a GROUP BY over a province's
    cases does not walk every survey of every campaign (1 of 3 s at 200,000 cases)."""
    # Spelled out: KT("data__…") takes "data" for a JSON key of the survey's id.
    held = KeyTextTransform("held_on", KeyTransform("member_evaluation", "data"))
    survey_year = (
        Survey.objects.filter(case=OuterRef(OuterRef("pk")))
        .annotate(year=Cast(Substr(held, 1, 4), IntegerField()))
        .values("year")[:1]
    )
    return cases.annotate(
        grade=Subquery(
            MemberEvaluation.objects.filter(
                union=OuterRef("union_id"),
                year=Coalesce(
                    Subquery(survey_year), Value(campaign.year), output_field=IntegerField()
                ),
            )
            .exclude(grade="")
            .values("grade")[:1]
        ),
    )


def _add_cases(figures: dict[int, dict[str, Any]], campaign: Campaign, federation_ids) -> None:
    """One GROUP BY over the campaign's cases.

    Each case's grade and latest assessment are looked up only where a figure reads them: the
    grade for surveyed cases, the assessment for assessed ones (the cheap stage test comes
    first in the FILTER, so PostgreSQL does not run the lookup for the others)."""
    latest_assessment = Assessment.objects.filter(case=OuterRef("pk")).order_by("-run")
    cases = Case.objects.filter(campaign=campaign)
    if federation_ids is not None:
        cases = cases.filter(union__federation_id__in=federation_ids)
    rows = (
        with_evaluation_grade(cases, campaign)
        .annotate(
            surveyed_grade=DbCase(
                When(stage__in=SURVEYED_STAGES, then=F("grade")), default=Value(None)
            ),
            meets=Subquery(latest_assessment.values("meets_standard")[:1]),
            is_model=selected_as_model(),
        )
        .values("union__federation_id", "stage", "track", "surveyed_grade")
        .annotate(
            n=Count("id"),
            meeting=Count("id", filter=Q(stage__in=ASSESSED_STAGES) & Q(meets=True)),
            models=Count("id", filter=Q(is_model=True)),
        )
        .order_by()
    )
    for row in rows:
        county = figures.get(row["union__federation_id"])
        if county is None:
            continue
        n, stage, track = row["n"], row["stage"], row["track"]
        county["cases"] += n
        county["stages"][stage] += n
        county["tracks"][track] += n
        if stage in SURVEYED_STAGES:
            county["surveyed"] += n
            county["surveyed_by_track"][track] += n
            county["grades"][row["surveyed_grade"] or "none"] += n
        if stage in ASSESSED_STAGES:
            county["assessed"] += n
        county["meeting_standard"] += row["meeting"]
        county["model_unions"] += row["models"]


def _add_subsidies(figures: dict[int, dict[str, Any]], campaign: Campaign, federation_ids) -> None:
    """One GROUP BY over the campaign's subsidy applications."""
    applications = SubsidyApplication.objects.filter(case__campaign=campaign)
    if federation_ids is not None:
        applications = applications.filter(case__union__federation_id__in=federation_ids)
    rows = (
        applications.values("case__union__federation_id", "state")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    for row in rows:
        county = figures.get(row["case__union__federation_id"])
        if county is None:
            continue
        for group, states in SUBSIDY_GROUPS.items():
            if row["state"] in states:
                county["subsidies"][group]["count"] += row["n"]
                county["subsidies"][group]["amount"] += row["amount"] or ZERO


def figures_by_federation(
    campaign: Campaign, federation_ids: list[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Federation id -> its figures (module docstring), for the given federations or all."""
    federations = Federation.objects.order_by("code")
    if federation_ids is not None:
        federations = federations.filter(pk__in=federation_ids)
    figures: dict[int, dict[str, Any]] = {}
    for federation in federations:
        figures[federation.pk] = {
            "federation": {
                "code": federation.code,
                "name": federation.name,
                "level": federation.level,
            },
            **_empty(),
        }
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Compiling these aggregates with LLVM (their cost passes jit_above_cost at a city's
            # size) took 5.3 s of 6.9 s at a province's; they run in well under that plain.
            # Sorting a province's 200,000 cases into their groups spilled to disk at the
            # default 4 MB of work_mem; for this transaction only, a little more keeps it in
            # memory.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)"
                )
        _add_cases(figures, campaign, federation_ids)
        _add_subsidies(figures, campaign, federation_ids)
    for county in figures.values():
        county["meeting_share"] = _share(county["meeting_standard"], county["assessed"])
    return figures


KEEP_FOR = 10  # seconds the pages' figures are kept while no event is written (docstring)


def current_figures_by_federation(
    campaign: Campaign, federation_ids: list[int] | None = None
) -> tuple[dict[int, dict[str, Any]], datetime]:
    """``figures_by_federation`` and the time they were computed: kept in the cache while no
    event has been written since, for at most ``KEEP_FOR`` seconds (module docstring). Every
    federation's are kept; a subset is cut from them."""
    key = f"workflows.figures:{campaign.pk}"
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first()
    kept = cache.get(key)
    now = timezone.now()
    if kept is None or kept["event"] != newest or (now - kept["at"]).total_seconds() > KEEP_FOR:
        kept = {"event": newest, "at": now, "figures": figures_by_federation(campaign)}
        cache.set(key, kept, timeout=KEEP_FOR)
    figures = kept["figures"]
    if federation_ids is not None:
        wanted = set(federation_ids)
        figures = {pk: county for pk, county in figures.items() if pk in wanted}
    return figures, kept["at"]


def _sum(counties: list[dict[str, Any]]) -> dict[str, Any]:
    total = _empty()
    for county in counties:
        for key in ("cases", "surveyed", "assessed", "meeting_standard", "model_unions"):
            total[key] += county[key]
        for key in ("stages", "tracks", "surveyed_by_track", "grades"):
            for name, n in county[key].items():
                total[key][name] += n
        for group, values in county["subsidies"].items():
            total["subsidies"][group]["count"] += values["count"]
            total["subsidies"][group]["amount"] += values["amount"]
    total["meeting_share"] = _share(total["meeting_standard"], total["assessed"])
    return total


def campaign_figures(campaign: Campaign, federation_ids: list[int] | None = None) -> dict[str, Any]:
    """``{"campaign", "counties": [per federation, by code], "city": the sums and the budget}``.

    With ``federation_ids`` (a county officer's own county) only those counties, and no
    city-wide figures. Values are numbers, Decimals (money, shares) and None; ``as_json`` makes
    them API.md's strings.
    """
    counties = list(figures_by_federation(campaign, federation_ids).values())
    city = None
    if federation_ids is None:
        city = _sum(counties)
        committed = city["subsidies"]["signed"]["amount"]
        city["budget"] = {
            "budget": campaign.subsidy_budget,
            "committed": committed,
            "remaining": campaign.subsidy_budget - committed,
        }
    return {
        "campaign": {"id": campaign.pk, "year": campaign.year, "title": campaign.title},
        "counties": counties,
        "city": city,
    }


def as_json(value: Any) -> Any:
    """Money and shares as decimal strings (API.md: never floats), recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value


def figure_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per county and a last one for the city, for the spreadsheet."""
    rows = []
    city = (
        [{"federation": {"code": "", "name": _("City-wide")}, **figures["city"]}]
        if figures["city"]
        else []
    )
    for county in [*figures["counties"], *city]:
        row: dict[str, Any] = {
            "code": county["federation"]["code"],
            "name": county["federation"]["name"],
            "cases": county["cases"],
            "surveyed": county["surveyed"],
            "assessed": county["assessed"],
            "meeting_standard": county["meeting_standard"],
            "meeting_share": county["meeting_share"],
            "model_unions": county["model_unions"],
        }
        row.update({f"stage_{stage}": n for stage, n in county["stages"].items()})
        row.update({f"track_{track}": n for track, n in county["tracks"].items()})
        row.update({f"grade_{grade}": n for grade, n in county["grades"].items()})
        for group, values in county["subsidies"].items():
            row[f"subsidies_{group}_count"] = values["count"]
            row[f"subsidies_{group}_amount"] = values["amount"]
        rows.append(row)
    return rows
