"""What the page views share: the campaign a page shows, role checks, sorting, paging, export.

Views parse input, call one service, render (STYLE.md 8). Service errors become messages on the
page, with the same meaning as the API's status codes: outside scope is 404, a role that may not
act is 403, a transition not available now is a message with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.errors import Conflict, InvalidInput, NotInScope, RoleForbidden, ServiceError
from lib.text import join_list
from lib.xlsx import CONTENT_TYPE, Column, write_workbook
from unions.models import User

from .models import Campaign

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000


def campaigns() -> list[Campaign]:
    return list(Campaign.objects.order_by("-year"))


def selected_campaign(
    request: HttpRequest, choices: Sequence[Campaign] | None = None
) -> Campaign | None:
    """The campaign named by ``?campaign=ID``, else the newest one."""
    choices = list(choices) if choices is not None else campaigns()
    wanted = request.GET.get("campaign", "")
    for campaign in choices:
        if str(campaign.pk) == wanted:
            return campaign
    return choices[0] if choices else None


def roles_required(*roles: str) -> Callable:
    """Login required, and one of ``roles`` (403 otherwise). Superusers read like auditors."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: User = request.user
            if user.role not in roles and not user.is_superuser:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def raise_for_page(exc: ServiceError) -> None:
    """Turn the errors that mean 404 and 403 into Django's; leave the others to the caller."""
    if isinstance(exc, NotInScope):
        raise Http404 from exc
    if isinstance(exc, RoleForbidden):
        raise PermissionDenied from exc


def error_text(exc: ServiceError) -> str:
    """A service error as one sentence for a message on the page."""
    if isinstance(exc, Conflict):
        return exc.reason
    if isinstance(exc, InvalidInput):
        parts = []
        for messages in exc.errors.values():
            parts.extend(str(message) for message in messages)
        return " ".join(parts) or _("The input is not valid.")
    return _("This action is not available now.")


def sort_queryset(
    qs: QuerySet, request: HttpRequest, allowed: Mapping[str, str | Sequence[str]], default: str
) -> tuple[QuerySet, str]:
    """Order by ``?sort=key`` or ``?sort=-key`` among ``allowed`` (key → field(s)); the primary
    key breaks ties so paging is stable."""
    key = request.GET.get("sort", default)
    descending = key.startswith("-")
    name = key.lstrip("-")
    if name not in allowed:
        key, descending, name = default, default.startswith("-"), default.lstrip("-")
    fields = allowed[name]
    fields = [fields] if isinstance(fields, str) else list(fields)
    order = [f"-{field}" if descending else field for field in fields]
    return qs.order_by(*order, "-pk" if descending else "pk"), key


def paginate(request: HttpRequest, qs: QuerySet | list, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(qs, per_page)
    return paginator.get_page(request.GET.get("page"))


def page_links(page: Page) -> list[int | None]:
    """Page numbers to show: the first, the last and two around the current; None is a gap."""
    total = page.paginator.num_pages
    wanted = {1, total, *range(page.number - 2, page.number + 3)}
    numbers = sorted(n for n in wanted if 1 <= n <= total)
    out: list[int | None] = []
    previous = 0
    for number in numbers:
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


def xlsx_response(
    filename: str,
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[Column | tuple[str, str]],
    *,
    title: str,
) -> HttpResponse:
    """An .xlsx download; text that Excel would run as a formula is neutralised by lib.xlsx."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(write_workbook(rows, columns, title=title), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


# What an event's action means, in words (the timeline, the audit explorer, exports). Transition
# names take their flow's label; these are the other verbs and the subsidy's steps.
ACTION_LABELS: dict[str, Any] = {
    "create": gettext_lazy("Case opened"),
    "override": gettext_lazy("Finding overridden"),
    "carry_over_overrides": gettext_lazy("Overrides of the previous run reviewed"),
    "update_track": gettext_lazy("Track recomputed"),
    "guidance_done": gettext_lazy("Guidance step done"),
    "visit": gettext_lazy("Inspection visit recorded"),
    "remind": gettext_lazy("Reminder sent"),
    "case.create": gettext_lazy("Case opened"),
    "case.update": gettext_lazy("Case changed"),
    "survey.create": gettext_lazy("Survey opened"),
    "survey.update": gettext_lazy("Survey changed"),
    "subsidy.create": gettext_lazy("Subsidy application created"),
    "subsidy.update": gettext_lazy("Subsidy application changed"),
    "subsidy.submit": gettext_lazy("Subsidy submitted"),
    "subsidy.sign_off": gettext_lazy("Subsidy signed off"),
    "subsidy.reject": gettext_lazy("Subsidy rejected"),
    "subsidy.disburse": gettext_lazy("Subsidy disbursed"),
    "submit": gettext_lazy("Submitted"),
    "sign_off": gettext_lazy("Signed off"),
    "reject": gettext_lazy("Rejected"),
    "disburse": gettext_lazy("Disbursed"),
    "accept": gettext_lazy("Accepted"),
    "return": gettext_lazy("Returned"),
    "summary.create": gettext_lazy("Summary started"),
    "summary.update": gettext_lazy("Summary edited"),
    "summary.submit": gettext_lazy("Summary submitted"),
    "summary.accept": gettext_lazy("Summary accepted"),
    "summary.return": gettext_lazy("Summary returned"),
    "union.create": gettext_lazy("Union registered"),
    "union.update": gettext_lazy("Union record changed"),
    "update": gettext_lazy("Changed"),
}


def action_label(action: str, subject: str = "case") -> str:
    """The words for an event's action: a case transition's label, else ``ACTION_LABELS``."""
    from .flows import TRANSITION_NAMES

    if subject == "case" and action in TRANSITION_NAMES:
        return _transition_label(action)
    label = ACTION_LABELS.get(f"{subject}.{action}") or ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    if action in TRANSITION_NAMES:
        return _transition_label(action)
    return action


def _transition_label(name: str) -> str:
    from .flows import CaseFlow

    transitions = list(getattr(CaseFlow, name).get_transitions())
    return str(transitions[0].label) if transitions else name


def field_label(name: str, model: Any = None) -> str:
    """The words for a changed field: a survey path's label, else the model field's name."""
    from inspections.survey import FIELDS_BY_PATH

    spec = FIELDS_BY_PATH.get(name)
    if spec is not None:
        return str(spec.label)
    base = name.removesuffix("_id")
    for candidate in (model,) if model is not None else _TIMELINE_MODELS():
        try:
            field = candidate._meta.get_field(base)
        except Exception:  # noqa: S112 - not a field of this model: try the next one
            continue
        if field.is_relation and field.verbose_name == base.replace("_", " "):
            # A relation left with Django's default (untranslated) name reads as its model.
            return str(field.related_model._meta.verbose_name)
        return str(field.verbose_name)
    return name


def _TIMELINE_MODELS() -> tuple[Any, ...]:  # noqa: N802 - a constant computed late
    from subsidies.models import SubsidyApplication

    from .models import Case

    return (Case, SubsidyApplication)


def display_value(name: str, value: Any) -> str:
    """A changed value as a person reads it: stage and track names, 是/否, — for nothing."""
    from .models import Stage, Track

    if value is None or value == "":
        return "—"
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if name == "stage" and value in Stage.values:
        return str(Stage(value).label)
    if name == "track" and value in Track.values:
        return str(Track(value).label)
    if name == "state":
        from inspections.models import CountySummary
        from subsidies.models import SubsidyApplication

        for states in (SubsidyApplication.State, CountySummary.State):
            if value in states.values:
                return str(states(value).label)
    if isinstance(value, list):
        return join_list(
            item.get("name", item) if isinstance(item, dict) else item for item in value
        )
    return str(value)


def change_rows(changes: Mapping[str, Any], model: Any = None) -> list[dict[str, str]]:
    """``{field: [old, new]}`` as rows to show."""
    rows = []
    for name, pair in changes.items():
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        rows.append(
            {
                "field": name,
                "label": field_label(name, model),
                "old": display_value(name, old),
                "new": display_value(name, new),
            }
        )
    return rows
