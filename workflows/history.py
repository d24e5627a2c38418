"""A case's timeline: the events people caused, merged with the field changes simple-history
kept (GET /api/v1/cases/{id}/history/, the case page, the audit explorer).

Whatever the length of the timeline, it costs four queries, each by the case's id on an index:
the case's historical rows, its subsidy's and its survey's (by ``case_id`` on their historical
tables, so neither object is loaded first) and its events, each with the actor's columns joined.
Rows are read as ``values()``: the timeline needs their fields, not model instances; timestamps
as text (see ``_instant``). A survey's ``data`` is sent as text only in the rows where it differs
from the row before (compared in SQL), so only the versions that changed it are decoded and
flattened (most survey rows change ``submitted_at``, not the answers).

The four queries are the same for every case but its id, so each is compiled to SQL once per
process and database (``lib.sql.PreparedQuery``): Django compiles a queryset each time it is evaluated,
about 1.5 ms of CPU for each of these, more than reading a 300-entry timeline's rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db.models import Case as SQLCase
from django.db.models import F, Model, Q, TextField, When, Window
from django.db.models.functions import Cast, Lag
from django.utils import timezone

from lib.sql import STAND_IN_ID, PreparedQuery
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


# Values JSON takes as they are, tested first by exact type: nearly every changed field is one.
_AS_IS = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
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


def _history_query(
    model: type[Model], fields: list[str], by: str, *, annotate: dict[str, Any] | None = None
) -> PreparedQuery:
    """The historical rows of ``model`` whose ``by`` is the case's id, oldest first, as dicts
    holding ``fields`` (which may name ``annotate``'s expressions), the object's ``id``, the
    history columns (``history_date`` as ``history_date_text``) and the actor's columns."""
    history = _history_model(model)
    return PreparedQuery(
        lambda case_id: (
            history.objects.filter(**{by: case_id})
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
        ),
        stand_ins=[STAND_IN_ID],
    )


def _previous(field: str) -> Window:
    """``field`` in the same object's historical row before this one (null on its first)."""
    return Window(Lag(field), partition_by=[F("id")], order_by=F("history_id").asc())


def _text_if_changed(field: str) -> SQLCase:
    """``field`` as text where it differs from the row before (annotated ``previous_<field>``),
    else null: a survey's answers change in a few of its rows (most change ``submitted_at``), and
    sending every version of a 2 KB document as text was most of the timeline's database time.
    ``_carry_forward`` fills the gaps back in."""
    previous = f"previous_{field}"
    return SQLCase(
        When(Q(**{f"{previous}__isnull": True}) | ~Q(**{field: F(previous)}), then=_as_text(field)),
        default=None,
        output_field=TextField(),
    )


def _carry_forward(rows: list[dict[str, Any]], field: str) -> None:
    """Fill in ``field`` where ``_text_if_changed`` left it null: the same object's text before."""
    last: dict[int, str] = {}
    for row in rows:
        if row[field] is None:
            row[field] = last.get(row["id"])
        else:
            last[row["id"]] = row[field]


@cache
def _queries() -> dict[str, tuple[PreparedQuery, list[str]]]:
    """The timeline's four queries, each with the fields its rows are compared by."""
    from inspections.models import Survey
    from subsidies.models import SubsidyApplication

    case_fields = _fields(Case)
    subsidy_fields = _fields(SubsidyApplication)
    events = PreparedQuery(
        lambda case_id: (
            Event.objects.filter(case_id=case_id)
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
        ),
        stand_ins=[STAND_IN_ID],
    )
    return {
        "case": (_history_query(Case, case_fields, "id"), case_fields),
        "subsidy": (_history_query(SubsidyApplication, subsidy_fields, "case_id"), subsidy_fields),
        "survey": (
            _history_query(
                Survey,
                ["data_text"],
                "case_id",
                annotate={
                    "previous_data": _previous("data"),
                    "data_text": _text_if_changed("data"),
                },
            ),
            ["data_text"],
        ),
        "events": (events, []),
    }


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
    zone = timezone.get_current_timezone()
    actors = _Actors()

    def local(at: datetime) -> str:
        return at.astimezone(zone).isoformat()

    queries = _queries()
    case_query, case_fields = queries["case"]
    case_rows = case_query.rows(case.pk)
    case_diffs = _diff_rows(case_rows, case_fields)
    subsidy_query, subsidy_fields = queries["subsidy"]
    subsidy_rows = subsidy_query.rows(case.pk)
    subsidy_diffs = _diff_rows(subsidy_rows, subsidy_fields)
    survey_query, survey_fields = queries["survey"]
    survey_rows = survey_query.rows(case.pk)
    _carry_forward(survey_rows, "data_text")
    survey_diffs = _diff_rows(survey_rows, survey_fields, json_text="data_text")

    entries: list[tuple[Any, int, dict]] = []
    linked: set[int] = set()
    linked_subsidy: set[int] = set()
    events = queries["events"][0].rows(case.pk)
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
