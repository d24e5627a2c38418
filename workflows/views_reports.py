"""The paper archive: a case's assessment report and a county's summary, to print from the
browser or to download as a PDF made on the server (``inspections.pdf``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from inspections import rules
from inspections.models import CountySummary
from inspections.pdf import pdf_response
from inspections.services import current_assessment
from inspections.summaries import (
    MONEY,
    SUMMARY_FIGURES,
    available_summary_transitions,
    discrepancies,
    do_create_summary,
    do_summary_transition,
    do_update_summary,
    figures_of,
    visible_summaries,
)
from lib.errors import RoleForbidden, ServiceError
from unions.models import Role, User

from .models import Campaign, Case, Event
from .templatetags.ui import yuan
from .views_case import _findings_by_area, full_years, load_case
from .views_common import action_label, error_text, raise_for_page


def _report_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    assessment = current_assessment(case)
    if assessment is None:
        raise Http404
    findings = dict(assessment.findings.values_list("rule", "outcome"))
    return {
        "case": case,
        "union": case.union,
        "campaign": case.campaign,
        "assessment": assessment,
        "summary": rules.summarize(assessment.track, findings),
        "areas": _findings_by_area(assessment),
        "years": full_years(case.union.founded_on, case.campaign.reference_date),
        "printed_at": timezone.localtime(),
        "printed_by": request.user,
    }


@login_required
def case_report(request: HttpRequest, pk: int) -> HttpResponse:
    case = load_case(request, pk)
    return render(request, "reports/assessment.html", _report_context(request, case))


@login_required
def case_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    case = load_case(request, pk)
    context = _report_context(request, case)
    filename = f"{case.union.name}-{case.campaign.year}-评估报告.pdf"
    return pdf_response("reports/assessment.html", context, request, filename)


# --- county summary -----------------------------------------------------------------------------


def _figure_rows(summary: CountySummary) -> list[dict[str, Any]]:
    """Each figure of ``SUMMARY_FIGURES``: from the records (frozen at submission), as stated by
    the county, and whether they disagree."""
    figures = figures_of(summary)
    stated = summary.stated_figures or {}
    differs = discrepancies(stated, figures)
    rows = []
    for key, (kind, label) in SUMMARY_FIGURES.items():
        records, said = figures.get(key), stated.get(key)
        show = yuan if kind == MONEY else (lambda v: "—" if v is None else v)
        rows.append(
            {
                "key": key,
                "kind": kind,
                "label": label,
                "computed": show(records),
                "stated": "" if said is None else show(said),
                "stated_raw": "" if said is None else said,
                "differs": key in differs,
            }
        )
    return rows


def _summary_context(request: HttpRequest, summary: CountySummary) -> dict[str, Any]:
    user: User = request.user
    editable = (
        user.role == Role.COUNTY_OFFICER
        and user.federation_id == summary.federation_id
        and summary.state in (CountySummary.State.DRAFT, CountySummary.State.RETURNED)
    )
    return {
        "summary": summary,
        "figures": _figure_rows(summary),
        "transitions": [] if user.is_auditor else available_summary_transitions(summary, user),
        "editable": editable,
        "printed_at": timezone.localtime(),
        "printed_by": user,
    }


def load_summary(request: HttpRequest, pk: int) -> CountySummary:
    return get_object_or_404(
        visible_summaries(request.user).select_related("federation", "campaign"), pk=pk
    )


@never_cache
@login_required
def summary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    summary = load_summary(request, pk)
    context = _summary_context(request, summary)
    context["returns"] = list(
        Event.objects.filter(subject=Event.Subject.SUMMARY, subject_id=summary.pk, action="return")
        .select_related("actor")
        .order_by("-id")[:5]
    )
    return render(request, "workflows/summary_detail.html", context)


@login_required
def summary_print(request: HttpRequest, pk: int) -> HttpResponse:
    summary = load_summary(request, pk)
    return render(request, "reports/summary.html", _summary_context(request, summary))


@login_required
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    summary = load_summary(request, pk)
    filename = f"{summary.federation.name}-{summary.campaign.year}-检查总结.pdf"
    return pdf_response(
        "reports/summary.html", _summary_context(request, summary), request, filename
    )


def _stated_from(post: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The stated figures as typed: counts as whole numbers, money as text (the service checks
    both); an empty box states nothing."""
    stated: dict[str, Any] = {}
    for key, (kind, _label) in SUMMARY_FIGURES.items():
        raw = (post.get(f"stated.{key}") or "").strip().replace(",", "")
        if not raw:
            continue
        if kind == MONEY:
            stated[key] = raw
        else:
            stated[key] = int(raw) if raw.isdigit() else raw
    return stated, {}


@login_required
@require_POST
def summary_start(request: HttpRequest) -> HttpResponse:
    campaign = selected_campaign_from_post(request)
    try:
        summary = do_create_summary(actor=request.user, campaign=campaign)
    except ServiceError as exc:
        raise_for_page(exc)
        messages.error(request, error_text(exc))
        return redirect("summary-list")
    return redirect("summary-detail", summary.pk)


def selected_campaign_from_post(request: HttpRequest) -> Campaign:
    campaign = Campaign.objects.filter(pk=request.POST.get("campaign") or 0).first()
    if campaign is None:
        raise Http404
    return campaign


@login_required
@require_POST
def summary_edit(request: HttpRequest, pk: int) -> HttpResponse:
    summary = load_summary(request, pk)
    stated, _errors = _stated_from(request.POST)
    try:
        do_update_summary(
            summary.pk, actor=request.user, text=request.POST.get("text", ""), stated_figures=stated
        )
    except ServiceError as exc:
        raise_for_page(exc)
        messages.error(request, error_text(exc))
        return redirect("summary-detail", summary.pk)
    messages.success(request, _("Draft saved."))
    return redirect("summary-detail", summary.pk)


@login_required
@require_POST
def summary_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    summary = load_summary(request, pk)
    try:
        summary = do_summary_transition(
            summary.pk, name, actor=request.user, comment=request.POST.get("comment", "")
        )
    except ServiceError as exc:
        if isinstance(exc, RoleForbidden):
            messages.error(request, _("Your role may not do this."))
        else:
            raise_for_page(exc)
            messages.error(request, error_text(exc))
        return redirect("summary-detail", pk)
    messages.success(
        request,
        _("Done: %(action)s. The summary is now “%(state)s”.")
        % {"action": action_label(name, "summary"), "state": summary.get_state_display()},
    )
    return redirect("summary-detail", pk)
