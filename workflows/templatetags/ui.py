"""Small presentation helpers shared by every page: status pills, money, percentages, sortable
column headers, the five-stage progress bar and the role-aware navigation."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inspections import rules
from unions.models import Role
from workflows.models import Stage, Track

register = template.Library()

# The five steps of the plan a person sees, each covering the stages of the state machine that
# belong to it (a review stage is part of its step).
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Stage.SURVEY, (Stage.SURVEY, Stage.SURVEY_REVIEW)),
    (Stage.ASSESSMENT, (Stage.ASSESSMENT, Stage.ASSESSMENT_REVIEW)),
    (Stage.GUIDANCE, (Stage.GUIDANCE,)),
    (Stage.SELECTION, (Stage.SELECTION,)),
    (Stage.SUBSIDY, (Stage.SUBSIDY,)),
    (Stage.CLOSED, (Stage.CLOSED,)),
)

OUTCOME_CLASSES = {
    rules.MET: "ok",
    rules.UNMET: "bad",
    rules.NEEDS_REVIEW: "warn",
    rules.NOT_APPLICABLE: "muted",
    rules.ADVISORY: "info",
}


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "—"


@register.simple_tag
def stage_pill(stage: str) -> str:
    return format_html('<span class="pill stage-{}">{}</span>', stage, _label(Stage, stage))


@register.simple_tag
def track_pill(track: str) -> str:
    return format_html('<span class="pill track-{}">{}</span>', track, _label(Track, track))


@register.simple_tag
def outcome_pill(outcome: str) -> str:
    label = rules.OUTCOME_LABELS.get(outcome, outcome)
    return format_html(
        '<span class="pill outcome-{}">{}</span>', OUTCOME_CLASSES.get(outcome, "muted"), label
    )


@register.filter
def outcome_label(outcome: str) -> str:
    return str(rules.OUTCOME_LABELS.get(outcome, outcome))


@register.simple_tag
def state_pill(obj: Any, field: str = "state") -> str:
    """A pill for a model's state field with choices (subsidy application, county summary)."""
    value = getattr(obj, field)
    display = getattr(obj, f"get_{field}_display")()
    return format_html('<span class="pill state-{}">{}</span>', value, display)


@register.filter
def yuan(value: Any) -> str:
    """Money as officers write it: ¥12,345.00 (Decimal, two places, never a float)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"¥{amount:,.2f}"


@register.filter
def percent(value: Any, places: int = 0) -> str:
    """A share (0..1) as a percentage; — when unknown."""
    if value is None or value == "":
        return "—"
    try:
        share = Decimal(str(value)) * 100
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    quantum = Decimal(1).scaleb(-int(places))
    return f"{share.quantize(quantum, rounding=ROUND_HALF_UP)}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str) -> str:
    """A column header that sorts by ``field``; a second click reverses the order."""
    request = context["request"]
    current = request.GET.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == field:
        params["sort"] = f"-{field}"
        state, arrow = "ascending", "▲"
    elif current == f"-{field}":
        params["sort"] = field
        state, arrow = "descending", "▼"
    else:
        params["sort"] = field
        state, arrow = "none", ""
    return format_html(
        '<th scope="col" aria-sort="{}"><a class="sort" href="?{}">{}<span class="arrow" aria-hidden="true">{}</span></a></th>',
        state,
        params.urlencode(),
        label,
        arrow,
    )


@register.inclusion_tag("ui/stage_progress.html")
def stage_progress(stage: str, skipped: tuple[str, ...] = ()) -> dict[str, Any]:
    """The five steps (and closed) with each marked done, current, skipped or to do."""
    current_index = next(i for i, (_key, stages) in enumerate(STEPS) if stage in stages)
    steps = []
    for index, (key, _stages) in enumerate(STEPS):
        if index < current_index:
            status = "skipped" if key in skipped else "done"
        elif index == current_index:
            status = "done" if stage == Stage.CLOSED else "current"
        else:
            status = "todo"
        detail = ""
        if status == "current" and stage != key:
            detail = _label(Stage, stage)
        steps.append({"key": key, "label": _label(Stage, key), "status": status, "detail": detail})
    return {"steps": steps}


NAV: dict[str, tuple[tuple[str, Any], ...]] = {
    Role.UNION_REPORTER: (("home", gettext_lazy("My survey")),),
    Role.COUNTY_OFFICER: (
        ("home", gettext_lazy("To do")),
        ("case-list", gettext_lazy("Cases")),
        ("union-list", gettext_lazy("Unions")),
        ("subsidy-list", gettext_lazy("Subsidies")),
        ("summary-list", gettext_lazy("Summaries")),
        ("dashboard", gettext_lazy("Dashboard")),
    ),
    Role.FEDERATION_OFFICER: (
        ("home", gettext_lazy("Approvals")),
        ("case-list", gettext_lazy("Cases")),
        ("union-list", gettext_lazy("Unions")),
        ("subsidy-list", gettext_lazy("Subsidies")),
        ("summary-list", gettext_lazy("Summaries")),
        ("dashboard", gettext_lazy("Dashboard")),
        ("audit", gettext_lazy("Audit")),
    ),
    Role.LEADER: (
        ("home", gettext_lazy("Sign-offs")),
        ("dashboard", gettext_lazy("Dashboard")),
        ("subsidy-list", gettext_lazy("Subsidies")),
        ("case-list", gettext_lazy("Cases")),
        ("union-list", gettext_lazy("Unions")),
        ("summary-list", gettext_lazy("Summaries")),
        ("audit", gettext_lazy("Audit")),
    ),
    Role.AUDITOR: (
        ("audit", gettext_lazy("Audit")),
        ("case-list", gettext_lazy("Cases")),
        ("union-list", gettext_lazy("Unions")),
        ("subsidy-list", gettext_lazy("Subsidies")),
        ("summary-list", gettext_lazy("Summaries")),
        ("dashboard", gettext_lazy("Dashboard")),
    ),
}


@register.simple_tag(takes_context=True)
def nav_items(context: template.Context) -> list[dict[str, Any]]:
    """The navigation of the user's role, the current section marked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    entries = NAV.get(user.role, NAV[Role.AUDITOR] if user.is_superuser else ())
    path = request.path
    items = []
    for name, label in entries:
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return items


@register.simple_tag
def static_if_present(path: str) -> str:
    """The URL of a static file, or "" when the manifest of a production build lacks it (a page
    should lose one optional script rather than fail)."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    try:
        return staticfiles_storage.url(path)
    except ValueError:
        return ""


@register.simple_tag
def role_label(user: Any) -> str:
    if not getattr(user, "role", ""):
        return _("Administrator") if getattr(user, "is_superuser", False) else ""
    return str(Role(user.role).label)
