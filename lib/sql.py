"""Plain statements for the few reads and writes that run in every transition.

Building and compiling a queryset costs more Python than its round trip to a local PostgreSQL
(``bench/bench_transitions.py``), so the transition service, its event and its history row use
statements built once per database vendor from the models' own metadata: only quoted table and
column names go into the text, every value is a parameter (ruff's S608 and bandit's B608 see
an f-string of SQL and cannot tell, hence their ``noqa``/``nosec`` on exactly those lines; a
statement built from anything else must not carry them). What they read and write is held to
the ORM's by tests (tests/workflows/test_event_insert.py, test_audit_light_history.py,
test_case_read.py, tests/notifications/test_recipients_sql.py).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model

_INSERTS: dict[tuple[type[Model], str], tuple[str, list[Any]]] = {}


def quoted_column(connection: Any, model: type[Model], name: str) -> str:
    """The quoted column of ``model``'s field ``name`` (a foreign key's ``…_id`` column)."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def quoted_table(connection: Any, model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert(obj: Model, using: str) -> None:
    """``obj.save(force_insert=True)`` without the save machinery: one ``INSERT`` of every
    concrete field but the auto primary key, each prepared as ``save`` prepares it
    (``pre_save``, ``get_db_prep_save``), setting the new id on ``obj``. No ``pre_save`` or
    ``post_save`` signal is sent: only for models whose callers need none."""
    connection = connections[using]
    sql, fields = _insert_statement(type(obj), connection)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    meta = obj._meta
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if connection.features.can_return_columns_from_insert:
            (obj.pk,) = cursor.fetchone()
        else:  # pragma: no cover - PostgreSQL and SQLite >= 3.35 both return it
            obj.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    obj._state.adding = False
    obj._state.db = using


def _insert_statement(model: type[Model], connection: Any) -> tuple[str, list[Any]]:
    key = (model, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        quote = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        returning = (
            f" RETURNING {quote(model._meta.pk.column)}"
            if connection.features.can_return_columns_from_insert
            else ""
        )
        found = _INSERTS[key] = (
            f"INSERT INTO {quoted_table(connection, model)} "  # noqa: S608  # nosec B608
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}){returning}",
            fields,
        )
    return found
