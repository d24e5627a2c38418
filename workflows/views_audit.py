"""The audit explorer (/audit/): who did what, when, to which union, and what it changed.

- The event log (one row per business action) filtered by actor, county, union, kind and dates,
  exported to .xlsx as filtered.
- The field changes behind an event: the history row simple-history wrote, against the row
  before it.
- A union or a case as it stood at the end of any day (simple-history ``as_of``).

Auditors, federation officers and leaders read everything here; nothing on these pages changes
state, and the services refuse auditors anyway.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache

from inspections.models import (
    Assessment,
    CountySummary,
    EvidenceFile,
    Finding,
    InspectionVisit,
    MemberEvaluation,
    Survey,
)
from lib.xlsx import Column
from subsidies.models import SubsidyApplication
from unions.models import Federation, Role, Union, User
from workflows.history import HISTORY_META, SKIP_FIELDS, _flat

from .flows import TRANSITION_NAMES
from .models import Campaign, Case, Event, GuidanceAction, Stage
from .views_common import (
    ACTION_LABELS,
    EXPORT_LIMIT,
    action_label,
    display_value,
    field_label,
    is_htmx,
    page_links,
    paginate,
    roles_required,
    xlsx_response,
)

READERS = (Role.AUDITOR, Role.FEDERATION_OFFICER, Role.LEADER)
# A history row's reason is the actor's comment, or the transition's name when they gave none.
ACTION_NAMES = frozenset(TRANSITION_NAMES) | {
    "submit",
    "sign_off",
    "reject",
    "disburse",
    "accept",
    "return",
}

# Audited models by the short name the explorer's URLs use.
MODELS: dict[str, Any] = {
    "case": Case,
    "union": Union,
    "survey": Survey,
    "subsidy": SubsidyApplication,
    "summary": CountySummary,
    "assessment": Assessment,
    "finding": Finding,
    "guidance": GuidanceAction,
    "campaign": Campaign,
    "evaluation": MemberEvaluation,
    "visit": InspectionVisit,
    "evidence": EvidenceFile,
    "user": User,
    "federation": Federation,
}
# The model whose history row an event's ``history_id`` names, by the event's subject.
SUBJECT_MODELS = {"case": "case", "subsidy": "subsidy", "summary": "summary", "union": "union"}
SUBJECTS = (
    ("case", gettext_lazy("case")),
    ("subsidy", gettext_lazy("subsidy")),
    ("summary", gettext_lazy("county summary")),
    ("union", gettext_lazy("union")),
)
HISTORY_TYPES = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def events_queryset(request: HttpRequest) -> tuple[QuerySet[Event], dict[str, Any]]:
    qs = Event.objects.select_related("actor", "federation", "case__union")
    params = request.GET
    actor = params.get("actor", "")
    if actor.isdigit():
        qs = qs.filter(actor_id=int(actor))
    federations = list(Federation.objects.order_by("code"))
    county = params.get("county", "")
    if county and any(f.code == county for f in federations):
        qs = qs.filter(federation__code=county)
    else:
        county = ""
    union = params.get("union", "").strip()
    if union.isdigit():
        qs = qs.filter(
            Q(case__union_id=int(union)) | Q(subject=Event.Subject.UNION, subject_id=int(union))
        )
    elif union:
        named = Union.objects.filter(name__icontains=union).values("pk")
        qs = qs.filter(
            Q(case__union__name__icontains=union)
            | Q(subject=Event.Subject.UNION, subject_id__in=named)
        )
    case = params.get("case", "")
    if case.isdigit():
        qs = qs.filter(case_id=int(case))
    kind = params.get("kind", "")
    if kind:
        qs = qs.filter(action=kind)
    subject = params.get("subject", "")
    if subject in dict(SUBJECTS):
        qs = qs.filter(subject=subject)
    else:
        subject = ""
    start, end = _day(params.get("from", "")), _day(params.get("to", ""))
    if start:
        qs = qs.filter(created_at__gte=_start_of(start))
    if end:
        qs = qs.filter(created_at__lt=_start_of(end + timedelta(days=1)))
    qs = qs.order_by("-created_at", "-id")
    # Every action an event can name: the case transitions and the other actions with words
    # (ACTION_LABELS' keys without a subject), so a new labelled action is offered at once.
    kinds = sorted(set(TRANSITION_NAMES) | {name for name in ACTION_LABELS if "." not in name})
    filters = {
        "actors": User.objects.exclude(role="").order_by("role", "username"),
        "actor": actor,
        "federations": federations,
        "county": county,
        "union": union,
        "case_id": case,
        "kinds": [(name, action_label(name)) for name in kinds],
        "kind": kind,
        "subjects": SUBJECTS,
        "subject": subject,
        "from": params.get("from", "") if start else "",
        "to": params.get("to", "") if end else "",
    }
    return qs, filters


def _event_row(event: Event) -> dict[str, Any]:
    stage_change = event.subject == Event.Subject.CASE and event.from_stage != event.to_stage
    history_model = SUBJECT_MODELS.get(event.subject)
    return {
        "event": event,
        "action": action_label(event.action, event.subject),
        "from": _state_label(event.subject, event.from_stage)
        if stage_change or event.subject != "case"
        else "",
        "to": _state_label(event.subject, event.to_stage)
        if stage_change or event.subject != "case"
        else "",
        "history_model": history_model if event.history_id else "",
    }


def _state_label(subject: str, value: str) -> str:
    if not value:
        return ""
    if subject == Event.Subject.CASE and value in Stage.values:
        return str(Stage(value).label)
    if subject == Event.Subject.SUBSIDY and value in SubsidyApplication.State.values:
        return str(SubsidyApplication.State(value).label)
    if subject == Event.Subject.SUMMARY and value in CountySummary.State.values:
        return str(CountySummary.State(value).label)
    return value


@never_cache
@roles_required(*READERS)
def audit_explorer(request: HttpRequest) -> HttpResponse:
    qs, filters = events_queryset(request)
    page = paginate(request, qs)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **filters,
        "page": page,
        "rows": [_event_row(event) for event in page.object_list],
        "page_numbers": page_links(page),
        "query": query,
    }
    template = "audit/events_table.html" if is_htmx(request) else "audit/explorer.html"
    return render(request, template, context)


@roles_required(*READERS)
def audit_export(request: HttpRequest) -> HttpResponse:
    qs, _filters = events_queryset(request)
    rows = (
        {
            "id": event.pk,
            "at": event.created_at,
            "actor": event.actor.name if event.actor else _("System"),
            "username": event.actor.username if event.actor else "",
            "county": event.federation.name if event.federation else "",
            "union": event.case.union.name if event.case else event.data.get("name", ""),
            "case": event.case_id,
            "subject": event.subject,
            "action": action_label(event.action, event.subject),
            "from": _state_label(event.subject, event.from_stage),
            "to": _state_label(event.subject, event.to_stage),
            "comment": event.comment,
            "hash": event.hash,
        }
        for event in qs[:EXPORT_LIMIT].iterator(chunk_size=1000)
    )
    columns = [
        Column("id", _("Event")),
        Column("at", _("Time")),
        Column("actor", _("Actor")),
        Column("username", _("Username")),
        Column("county", _("County")),
        Column("union", _("Union"), 40),
        Column("case", _("Case")),
        Column("subject", _("Subject")),
        Column("action", _("Action")),
        Column("from", pgettext("state before a change", "From")),
        Column("to", pgettext("state after a change", "To")),
        Column("comment", _("Comment"), 40),
        Column("hash", _("Hash"), 20),
    ]
    return xlsx_response("audit", rows, columns, title=_("Audit"))


# --- field changes ------------------------------------------------------------------------------


def _fields(model: Any) -> list[Any]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.attname not in SKIP_FIELDS and f.attname not in HISTORY_META and f.name != "password"
    ]


def diff_rows(model: Any, row: Any, previous: Any) -> list[dict[str, Any]]:
    """Every field of a history row against the row before it (None for a creation); JSON fields
    compared path by path. Changed fields first."""
    out = []
    for field in _fields(model):
        old = getattr(previous, field.attname) if previous is not None else None
        new = getattr(row, field.attname)
        if field.get_internal_type() == "JSONField" and isinstance(new or old, dict):
            old_flat, new_flat = _flat(old or {}), _flat(new or {})
            for path in sorted(set(old_flat) | set(new_flat)):
                o, n = old_flat.get(path), new_flat.get(path)
                out.append(_diff_row(f"{field.name}.{path}", field_label(path), o, n))
            continue
        row_out = _diff_row(field.name, str(field.verbose_name), old, new)
        if field.choices:
            row_out["old"], row_out["new"] = _shown(field, old), _shown(field, new)
        if field.is_relation and (old is not None or new is not None):
            # Name the related record (one query per foreign key, not per row of anything).
            row_out["old"] = _related(previous, field) if previous is not None else "—"
            row_out["new"] = _related(row, field)
        out.append(row_out)
    out.sort(key=lambda r: not r["changed"])
    return out


def _shown(field: Any, value: Any) -> str:
    """A stored value as a person reads it: a choice by its label (企业, not ``enterprise``)."""
    if field.choices and value not in (None, ""):
        return str(dict(field.flatchoices).get(value, value))
    return display_value(field.name, value)


def _related(instance: Any, field: Any) -> str:
    if getattr(instance, field.attname) is None:
        return "—"
    try:
        return str(getattr(instance, field.name))
    except ObjectDoesNotExist:
        return f"#{getattr(instance, field.attname)}"


def _diff_row(name: str, label: str, old: Any, new: Any) -> dict[str, Any]:
    short = name.rsplit(".", 1)[-1].removesuffix("_id")
    return {
        "name": name,
        "label": label,
        "old": display_value(short, old),
        "new": display_value(short, new),
        "changed": old != new,
    }


@roles_required(*READERS)
def audit_change(request: HttpRequest, model_name: str, history_id: int) -> HttpResponse:
    model = MODELS.get(model_name)
    if model is None:
        raise Http404
    history = model.history.model
    row = history.objects.select_related("history_user").filter(history_id=history_id).first()
    if row is None:
        raise Http404
    versions = list(
        history.objects.filter(id=row.id).select_related("history_user").order_by("history_id")
    )
    previous = None
    for version in versions:
        if version.history_id == row.history_id:
            break
        previous = version
    rows = diff_rows(model, row, previous)
    events = [
        {"event": event, "action": action_label(event.action, event.subject)}
        for event in Event.objects.filter(history_id=row.history_id, subject=model_name)
    ]
    for version in versions:
        reason = version.history_change_reason or ""
        version.reason_label = (
            action_label(reason, model_name) if reason in ACTION_NAMES else reason
        )
    return render(
        request,
        "audit/change.html",
        {
            "model_name": model_name,
            "model_label": model._meta.verbose_name,
            "row": row,
            "previous": previous,
            "rows": rows,
            "changed": sum(1 for r in rows if r["changed"]),
            "versions": versions,
            "history_types": HISTORY_TYPES,
            "events": events,
            "object_label": str(row.instance) if row.history_type != "-" else "",
        },
    )


# --- as of a date -------------------------------------------------------------------------------


@roles_required(*READERS)
def audit_as_of(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "case")
    if kind not in ("case", "union"):
        kind = "case"
    raw_id = request.GET.get("id", "").strip()
    day = _day(request.GET.get("date", "")) or timezone.localdate()
    at = _start_of(day + timedelta(days=1)) - timedelta(microseconds=1)
    context: dict[str, Any] = {"kind": kind, "id": raw_id, "date": day.isoformat(), "at": at}
    if raw_id.isdigit():
        model = Case if kind == "case" else Union
        obj = model.objects.filter(pk=int(raw_id)).first()
        if obj is None:
            context["error"] = _("There is no such record.")
        else:
            try:
                snapshot = obj.history.as_of(at)
            except ObjectDoesNotExist:
                snapshot = None
                context["error"] = _("It did not exist yet on that date.")
            context["object"] = obj
            if snapshot is not None:
                context["fields"] = [
                    {
                        "label": str(f.verbose_name),
                        "value": _shown(f, _value(snapshot, f)),
                        "now": _shown(f, _value(obj, f)),
                    }
                    for f in _fields(model)
                ]
                if kind == "case":
                    context["survey"] = _survey_as_of(obj, at)
                    context["union_id"] = obj.union_id
                record = (
                    obj.history.filter(history_date__lte=at)
                    .order_by("-history_date", "-history_id")
                    .first()
                )
                context["record"] = record
    return render(request, "audit/as_of.html", context)


def _value(instance: Any, field: Any) -> Any:
    if field.is_relation:
        related_id = getattr(instance, field.attname)
        if related_id is None:
            return None
        try:
            return str(getattr(instance, field.name))
        except ObjectDoesNotExist:
            return related_id
    return getattr(instance, field.attname)


def _survey_as_of(case: Case, at: datetime) -> list[dict[str, Any]] | None:
    survey = Survey.objects.filter(case=case).first()
    if survey is None:
        return None
    try:
        snapshot = survey.history.as_of(at)
    except ObjectDoesNotExist:
        return None
    flat = _flat(snapshot.data or {})
    return [
        {"label": field_label(path), "value": display_value(path, value)}
        for path, value in flat.items()
    ]
