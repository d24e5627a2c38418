"""A case's timeline: the events people caused, merged with the field changes simple-history
kept (GET /api/v1/cases/{id}/history/, the case page, the audit explorer).

Whatever the length of the timeline, it costs four queries, each by the case's id on an index:
the case's historical rows, its subsidy's and its survey's (by ``case_id`` on their historical
tables, so neither object is loaded first) and its events, each with the actor's columns joined.
Rows are read as ``values()``: the timeline needs their fields, not model instances. A survey's
``data`` is read as text and compared as text, so only the versions that changed it are decoded
and flattened (most survey rows change ``submitted_at``, not the answers).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db.models import Model, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from unions.models import User

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
# What ``User.name`` is made of, joined to every row that names a person.
ACTOR_FIELDS = ("username", "display_name", "first_name", "last_name")


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


def _fields(model: type[Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in SKIP_FIELDS and f.attname not in HISTORY_META
    ]


def _actor_columns(relation: str) -> list[str]:
    return [f"{relation}__{name}" for name in ACTOR_FIELDS]


def _as_text(field: str) -> Cast:
    return Cast(field, TextField())


def _instant(text: str) -> datetime:
    """A timestamp read as text: PostgreSQL's ``2022-05-20 01:02:03.45+00``, or SQLite's naive
    UTC ``2022-05-20 01:02:03.450000``.

    Timestamps are read as text because Django's loader for ``timestamptz`` on psycopg 3 is
    psycopg's pure-Python one (Django subclasses it to set the zone), several microseconds a
    value; ``fromisoformat`` is C. On the longest timelines that was a sixth of the CPU."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@cache
def _history_model(model: type[Model]) -> type[Model]:
    # ``model.history`` builds a manager class on every access (simple-history's descriptor).
    return model.history.model


class _Actors:
    """API.md's ``{"username", "name"}`` of each person, made once per person from the columns
    joined to a row; ``name`` is ``User.name`` itself, not a copy of its rule."""

    def __init__(self) -> None:
        self._seen: dict[int, dict[str, str]] = {}

    def of(self, row: dict[str, Any], relation: str) -> dict[str, str] | None:
        pk = row[f"{relation}_id"]
        if pk is None:
            return None
        if pk not in self._seen:
            user = User(pk=pk, **{name: row[f"{relation}__{name}"] for name in ACTOR_FIELDS})
            self._seen[pk] = {"username": user.username, "name": user.name}
        return self._seen[pk]


def _history_rows(
    model: type[Model], fields: list[str], *, annotate: dict[str, Any] | None = None, **lookup: Any
) -> list[dict[str, Any]]:
    """The historical rows of ``model`` matching ``lookup``, oldest first, as dicts holding
    ``fields`` (which may name ``annotate``'s expressions), the object's ``id``, the history
    columns (``history_date`` as ``history_date_text``) and the actor's columns."""
    return list(
        _history_model(model)
        .objects.filter(**lookup)
        .annotate(history_date_text=_as_text("history_date"), **(annotate or {}))
        .order_by("history_id")
        .values(
            "id",
            "history_id",
            "history_date_text",
            "history_type",
            "history_change_reason",
            "history_user_id",
            *_actor_columns("history_user"),
            *fields,
        )
    )


def _json_changes(old: str | None, new: str | None) -> dict[str, list]:
    """Dotted path -> [old, new] between two JSON documents given as text."""
    old_flat = _flat(json.loads(old) or {}) if old else {}
    new_flat = _flat(json.loads(new) or {}) if new else {}
    return {
        path: [_plain(old_flat.get(path)), _plain(new_flat.get(path))]
        for path in sorted(set(old_flat) | set(new_flat))
        if old_flat.get(path) != new_flat.get(path)
    }


def _diff_rows(
    rows: list[dict[str, Any]], fields: list[str], *, json_text: str | None = None
) -> dict[int, dict]:
    """history_id -> {field: [old, new]} between consecutive historical rows of each object.

    ``json_text`` names a field holding a JSON document as text: its changes are given by dotted
    path, and it is only decoded when its text differs from the row before (equal text is equal
    JSON; unequal text that decodes to equal JSON gives no changes, as it should)."""
    diffs: dict[int, dict] = {}
    previous: dict[int, dict[str, Any]] = {}  # object id -> its row before this one
    for row in rows:
        before = previous.get(row["id"])
        changes: dict[str, list] = {}
        for field in fields:
            old = before[field] if before is not None else None
            new = row[field]
            if old == new:
                continue
            if field == json_text:
                changes.update(_json_changes(old, new))
            elif not (before is None and new in (None, "", [], {})):
                changes[field] = [_plain(old), _plain(new)]
        diffs[row["history_id"]] = changes
        previous[row["id"]] = row
    return diffs


def case_timeline(case: Case) -> list[dict[str, Any]]:
    """Oldest first. Each entry: at, actor, action, from, to, changes, reason; an entry that
    shows an event also has ``event``, the event's id."""
    from inspections.models import Survey
    from subsidies.models import SubsidyApplication

    zone = timezone.get_current_timezone()
    actors = _Actors()

    def local(at: datetime) -> str:
        return at.astimezone(zone).isoformat()

    case_fields = _fields(Case)
    case_rows = _history_rows(Case, case_fields, id=case.pk)
    case_diffs = _diff_rows(case_rows, case_fields)
    subsidy_fields = _fields(SubsidyApplication)
    subsidy_rows = _history_rows(SubsidyApplication, subsidy_fields, case_id=case.pk)
    subsidy_diffs = _diff_rows(subsidy_rows, subsidy_fields)
    survey_rows = _history_rows(
        Survey,
        ["data_text"],
        annotate={"data_text": _as_text("data")},
        case_id=case.pk,
    )
    survey_diffs = _diff_rows(survey_rows, ["data_text"], json_text="data_text")

    entries: list[tuple[Any, int, dict]] = []
    linked: set[int] = set()
    linked_subsidy: set[int] = set()
    events = (
        Event.objects.filter(case=case)
        .annotate(data_text=_as_text("data"), created_at_text=_as_text("created_at"))
        .order_by("id")
        .values(
            "id",
            "subject",
            "action",
            "from_stage",
            "to_stage",
            "comment",
            "data_text",
            "history_id",
            "created_at_text",
            "actor_id",
            *_actor_columns("actor"),
        )
    )
    for event in events:
        history_id = event["history_id"]
        if event["subject"] == Event.Subject.SUBSIDY:
            changes = subsidy_diffs.get(history_id, {})
            linked_subsidy.add(history_id)
            action = f"subsidy.{event['action']}"
        else:
            changes = case_diffs.get(history_id, {}) if history_id else {}
            if history_id:
                linked.add(history_id)
            action = event["action"]
        if not changes:
            # The event's own data, decoded only here: most events show their history row.
            data = json.loads(event["data_text"]) if event["data_text"] else None
            if data:
                changes = {k: v for k, v in data.items() if isinstance(v, list) and len(v) == 2}
        at = _instant(event["created_at_text"])
        entries.append(
            (
                at,
                0,
                {
                    "at": local(at),
                    "actor": actors.of(event, "actor"),
                    "action": action,
                    "from": event["from_stage"] or None,
                    "to": event["to_stage"] or None,
                    "changes": changes,
                    "reason": event["comment"],
                    "event": event["id"],
                },
            )
        )

    def add_unlinked(rows, diffs, linked_ids, label):
        for row in rows:
            if row["history_id"] in linked_ids:
                continue
            changes = diffs.get(row["history_id"], {})
            if not changes and row["history_type"] == "~":
                continue
            at = _instant(row["history_date_text"])
            entries.append(
                (
                    at,
                    1,
                    {
                        "at": local(at),
                        "actor": actors.of(row, "history_user"),
                        "action": f"{label}.{VERBS[row['history_type']]}",
                        "from": None,
                        "to": None,
                        "changes": changes,
                        "reason": row["history_change_reason"] or "",
                    },
                )
            )

    add_unlinked(case_rows, case_diffs, linked, "case")
    add_unlinked(subsidy_rows, subsidy_diffs, linked_subsidy, "subsidy")
    add_unlinked(survey_rows, survey_diffs, set(), "survey")

    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _at, _order, entry in entries]
