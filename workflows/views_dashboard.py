"""The dashboard (/dashboard/): the campaign's progress by county, as charts and as tables.

Figures come from ``workflows.dashboard`` (``workflows.figures``: aggregated queries, kept a few
seconds while no event is written; the page says when they were computed); the charts are inline SVG drawn on the server (``workflows.templatetags.charts``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from inspections.rules import BASICALLY_SATISFIED, SATISFIED, UNSATISFIED
from subsidies.models import SubsidyApplication
from unions.models import Role, User

from .dashboard import CountyRow, county_rows_as_of, totals
from .models import Stage
from .views_common import campaigns, selected_campaign


def _short(name: str) -> str:
    """County names without the 总工会 suffix, so the charts' labels stay short."""
    return name.removesuffix("总工会") or name


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if user.role == Role.UNION_REPORTER:
        raise PermissionDenied
    all_campaigns = campaigns()
    campaign = selected_campaign(request, all_campaigns)
    context: dict = {"campaign": campaign, "campaigns": all_campaigns}
    if campaign is None:
        return render(request, "workflows/dashboard.html", context)
    rows, as_of = county_rows_as_of(campaign)
    city = totals(rows)
    # A county officer's own county and a leader's linked ones stand out in the table.
    highlight = set()
    if user.role == Role.COUNTY_OFFICER and user.federation_id:
        highlight = {user.federation.code}
    elif user.role == Role.LEADER:
        highlight = set(user.linked_federations.values_list("code", flat=True))
    case_list = reverse("case-list")
    active = [r for r in rows if r.cases]

    def label(row: CountyRow) -> str:
        return _short(row.federation["name"])

    S = SubsidyApplication.State
    money_series = [
        ("disbursed", S.DISBURSED.label),
        ("signed_off", _("Signed off, not yet disbursed")),
    ]
    context.update(
        {
            "rows": rows,
            "figures_as_of": as_of,
            "city": city,
            "highlight": highlight,
            "stage_series": [(stage.value, stage.label) for stage in Stage],
            "stage_rows": [
                {
                    "label": label(r),
                    "values": r.stages,
                    "url": f"{case_list}?{urlencode({'campaign': campaign.pk, 'federation': r.federation['code']})}",
                }
                for r in active
            ],
            "meeting_rows": [
                {
                    "label": label(r),
                    "share": r.meeting_share,
                    "detail": _("%(meeting)s of %(assessed)s assessed")
                    % {"meeting": r.meeting, "assessed": r.assessed},
                }
                for r in active
            ],
            "grade_series": [
                (SATISFIED, _("Satisfied")),
                (BASICALLY_SATISFIED, _("Basically satisfied")),
                (UNSATISFIED, _("Unsatisfied")),
            ],
            "grade_rows": [{"label": label(r), "values": r.grades} for r in active if r.graded],
            "money_series": money_series,
            "money_rows": [{"label": label(r), "values": r.money} for r in rows if r.committed],
            "budget_rows": [{"label": _("Whole city"), "values": city.money}],
            "budget_left": campaign.subsidy_budget - city.committed,
            "budget_share": (city.committed / campaign.subsidy_budget)
            if campaign.subsidy_budget
            else None,
        }
    )
    return render(request, "workflows/dashboard.html", context)
