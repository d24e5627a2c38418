"""A case's timeline: the events people caused, merged with the field changes simple-history
kept (GET /api/v1/cases/{id}/history/, the case page, the audit explorer)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import Case, Event

SKIP_FIELDS = {"updated_at", "created_at", "id"}
VERBS = {"+": "create", "~": "update", "-": "delete"}
HISTORY_META = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_user_id",
}


def _actor(user) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "name": user.name}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


def _diff_rows(rows: list, fields: list[str], *, json_field: str | None = None) -> dict[int, dict]:
    """history_id -> {field: [old, new]} between consecutive historical rows of one object."""
    diffs: dict[int, dict] = {}
    previous = None
    for row in rows:
        changes: dict[str, list] = {}
        for field in fields:
            old = getattr(previous, field) if previous is not None else None
            new = getattr(row, field)
            if field == json_field:
                old_flat, new_flat = _flat(old or {}), _flat(new or {})
                for path in sorted(set(old_flat) | set(new_flat)):
                    if old_flat.get(path) != new_flat.get(path):
                        changes[path] = [_plain(old_flat.get(path)), _plain(new_flat.get(path))]
            elif old != new and not (previous is None and new in (None, "", [], {})):
                changes[field] = [_plain(old), _plain(new)]
        diffs[row.history_id] = changes
        previous = row
    return diffs


def _fields(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in SKIP_FIELDS and f.attname not in HISTORY_META
    ]


def case_timeline(case: Case) -> list[dict[str, Any]]:
    """Oldest first. Each entry: at, actor, action, from, to, changes, reason."""
    from inspections.models import Survey
    from subsidies.models import SubsidyApplication

    entries: list[tuple[Any, int, dict]] = []
    case_rows = list(case.history.select_related("history_user").order_by("history_id"))
    case_diffs = _diff_rows(case_rows, _fields(Case))
    linked: set[int] = set()

    subsidy_rows: list = []
    subsidy = SubsidyApplication.objects.filter(case=case).first()
    if subsidy is not None:
        subsidy_rows = list(subsidy.history.select_related("history_user").order_by("history_id"))
    subsidy_diffs = _diff_rows(subsidy_rows, _fields(SubsidyApplication))
    linked_subsidy: set[int] = set()

    events = Event.objects.filter(case=case).select_related("actor").order_by("id")
    for event in events:
        if event.subject == Event.Subject.SUBSIDY:
            changes = subsidy_diffs.get(event.history_id, {})
            linked_subsidy.add(event.history_id)
            action = f"subsidy.{event.action}"
        else:
            changes = case_diffs.get(event.history_id, {}) if event.history_id else {}
            if event.history_id:
                linked.add(event.history_id)
            action = event.action
        if not changes and event.data:
            changes = {k: v for k, v in event.data.items() if isinstance(v, list) and len(v) == 2}
        entries.append(
            (
                event.created_at,
                0,
                {
                    "at": timezone.localtime(event.created_at).isoformat(),
                    "actor": _actor(event.actor),
                    "action": action,
                    "from": event.from_stage or None,
                    "to": event.to_stage or None,
                    "changes": changes,
                    "reason": event.comment,
                    "event": event.pk,
                },
            )
        )

    def add_unlinked(rows, diffs, linked_ids, label):
        for row in rows:
            if row.history_id in linked_ids:
                continue
            changes = diffs.get(row.history_id, {})
            if not changes and row.history_type == "~":
                continue
            entries.append(
                (
                    row.history_date,
                    1,
                    {
                        "at": timezone.localtime(row.history_date).isoformat(),
                        "actor": _actor(row.history_user),
                        "action": f"{label}.{VERBS[row.history_type]}",
                        "from": None,
                        "to": None,
                        "changes": changes,
                        "reason": row.history_change_reason or "",
                    },
                )
            )

    add_unlinked(case_rows, case_diffs, linked, "case")
    add_unlinked(subsidy_rows, subsidy_diffs, linked_subsidy, "subsidy")

    survey = Survey.objects.filter(case=case).first()
    if survey is not None:
        survey_rows = list(survey.history.select_related("history_user").order_by("history_id"))
        survey_diffs = _diff_rows(survey_rows, ["data"], json_field="data")
        add_unlinked(survey_rows, survey_diffs, set(), "survey")

    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _at, _order, entry in entries]
