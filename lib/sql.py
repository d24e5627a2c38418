"""Statements built once for the few reads and writes that run on every request or transition.

Building and compiling a queryset costs more Python than its round trip to a local PostgreSQL
(``bench/bench_transitions.py``). A read the ORM can express is a ``PreparedQuery``: the ORM's
own SQL, compiled once per database, run with new values and read as the ORM reads it (the
case the transition service locks, the token's user, a case's timeline). The rest, an insert
without the save machinery and the statements built with ``quoted_table``/``quoted_column``, are
built once per database vendor from the models' own metadata: only quoted table and column
names go into the text, every value is a parameter (ruff's S608 and bandit's B608 see an f-string of SQL and
cannot tell, hence their ``noqa``/``nosec`` on exactly those lines; a statement built from
anything else must not carry them). What they read and write is held to the ORM's by tests
(tests/lib/test_prepared_query.py, tests/lib/test_save_fields.py,
tests/workflows/test_event_insert.py, test_audit_light_history.py, test_case_read.py, tests/notifications/test_recipients_sql.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from django.db import DatabaseError, connections, router, transaction
from django.db.models import Model, QuerySet, signals
from django.db.models.query import ModelIterable, ValuesIterable, get_related_populators
from django.db.transaction import TransactionManagementError

_INSERTS: dict[tuple[type[Model], str], tuple[str, list[Any]]] = {}
_UPDATES: dict[tuple[type[Model], frozenset[str], str], tuple[str, list[Any]] | None] = {}


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


def save_fields(obj: Model, update_fields: Sequence[str], using: str | None = None) -> None:
    """``obj.save(update_fields=...)`` for a row already saved, with its ``UPDATE`` compiled
    once per model, fields and database vendor instead of on every save.

    Django builds, compiles and runs an update query for each such save: more Python than the
    round trip, twice per transition (the case, and the survey it submits). This does what
    ``Model.save`` does on that path, in its order: refuse an unsaved related object, send
    ``pre_save``, prepare each field's value (``pre_save``, so ``auto_now`` is refreshed, then
    ``get_db_prep_save``), run the same statement, refuse a save that updated no row, mark the
    instance saved and send ``post_save`` (``created=False``). Anything else goes to
    ``Model.save`` itself: an unsaved instance, unknown or no fields, a model with parents,
    proxies, generated fields or placeholders of its own, and a value that is an expression."""
    model = type(obj)
    using = using or router.db_for_write(model, instance=obj)
    connection = connections[using]
    update_fields = frozenset(update_fields)
    plan = None
    if not obj._state.adding and obj.pk is not None and update_fields:
        plan = _update_statement(model, update_fields, connection)
    if plan is not None and any(
        hasattr(getattr(obj, field.attname), "resolve_expression") for field in plan[1]
    ):
        plan = None  # an expression (``F("count") + 1``) is compiled into the statement
    if plan is None:
        obj.save(using=using, update_fields=update_fields)
        return
    sql, fields = plan
    obj._prepare_related_fields_for_save(operation_name="save")
    signals.pre_save.send(
        sender=model, instance=obj, raw=False, using=using, update_fields=update_fields
    )
    values = [field.pre_save(obj, False) for field in fields]
    params = [
        field.get_db_prep_save(v, connection) for field, v in zip(fields, values, strict=True)
    ]
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    obj._state.db = using
    obj._state.adding = False
    signals.post_save.send(
        sender=model,
        instance=obj,
        created=False,
        update_fields=update_fields,
        raw=False,
        using=using,
    )


def _update_statement(
    model: type[Model], update_fields: frozenset[str], connection: Any
) -> tuple[str, list[Any]] | None:
    key = (model, update_fields, connection.vendor)
    if key in _UPDATES:
        return _UPDATES[key]
    meta = model._meta
    pk = meta.pk
    fields = [
        f
        for f in meta.local_concrete_fields
        if f is not pk and (f.name in update_fields or f.attname in update_fields)
    ]
    named = {f.name for f in fields} | {f.attname for f in fields}
    plain = (
        not meta.proxy
        and not meta.parents
        and len(meta.pk_fields) == 1
        and not meta.select_on_save
        and update_fields <= named
        and not any(f.generated or hasattr(f, "get_placeholder") for f in meta.concrete_fields)
    )
    found = None
    if plain:
        quote = connection.ops.quote_name
        table = quoted_table(connection, model)
        found = (
            f"UPDATE {table} SET "  # noqa: S608  # nosec B608
            f"{', '.join(f'{quote(f.column)} = %s' for f in fields)} "
            f"WHERE {table}.{quote(pk.column)} = %s",
            fields,
        )
    _UPDATES[key] = found
    return found


# An id no row has, for a query prepared by id: it only has to fit a (big) integer id column.
STAND_IN_ID = -987_654_321


class PreparedQuery:
    """A queryset compiled to SQL once per database, then run with other values in place of
    its stand-ins.

    Django compiles a queryset every time it is evaluated, often more CPU than running it (about
    1 ms for a join of two models' columns, 1.5 ms for a timeline query). A query run on every
    request that differs only in a value or two is built once by ``build(*stand_ins)`` and
    compiled once per database alias and vendor; each stand-in's places among the compiled
    parameters (found by value: a stand-in used twice fills two places) then take the
    value given to ``rows`` in its position. The other parameters are the query's own constants,
    so a stand-in must be a value none of them has, and each must reach the parameters as
    given (``filter(key=stand_in)``, not ``key__contains``, which makes it ``%stand_in%``).

    ``rows(*values)`` returns the list iterating the queryset gives: dicts named as ``values()``
    names them, or model instances made by ``Model.from_db`` with their ``select_related``
    objects and annotations, every column through the converters the ORM applies. Values go to
    the database as given, so give them as the lookup would prepare them (``get_prep_value``).
    A ``select_for_update`` query is refused outside a transaction on every run, as the ORM
    refuses it. What the ORM does after reading rows (``prefetch_related``, a related
    manager's known objects) is not done, so such a queryset is refused, as is any other kind
    of row (``values_list``).
    """

    def __init__(self, build: Callable[..., QuerySet], *, stand_ins: Sequence[Any]) -> None:
        if len(set(stand_ins)) != len(stand_ins):
            raise ValueError(f"Each stand-in must differ from the others: {stand_ins!r}")
        self.build = build
        self._stand_ins = tuple(stand_ins)
        self._queryset: QuerySet | None = None
        self._plans: dict[tuple[str, str], _Plan] = {}

    def rows(self, *values: Any) -> list[Any]:
        if len(values) != len(self._stand_ins):
            raise TypeError(f"{len(self._stand_ins)} values expected, {len(values)} given")
        if self._queryset is None:
            # Built once, when first run (after the apps are ready), for its routing.
            self._queryset = self.build(*self._stand_ins)
        alias = self._queryset.db
        connection = connections[alias]
        key = (alias, connection.vendor)
        plan = self._plans.get(key) or self._plans.setdefault(key, self._plan(alias))
        if plan.locks and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(plan.params)
        for index, which, adapt in plan.places:
            params[index] = values[which] if adapt is None else adapt(values[which])
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if plan.converters:
            rows = _converted(rows, plan.converters, connection)
        return plan.shape(rows)

    def _plan(self, alias: str) -> _Plan:
        queryset = self._queryset
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("A prepared query cannot prefetch or set known related objects.")
        query = queryset.query.chain()  # compiled on its own copy: threads may compile at once
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        if compiler.has_extra_select:
            raise ValueError("A prepared query cannot order a DISTINCT by unselected columns.")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        features = compiler.connection.features
        return _Plan(
            sql=sql,
            params=tuple(params),
            places=self._places(params),
            converters=tuple(sorted(compiler.get_converters(fields).items())),
            shape=_shape(queryset._iterable_class, compiler, alias),
            locks=bool(query.select_for_update)
            and features.has_select_for_update
            and features.supports_transactions,
        )

    def _places(self, params: Sequence[Any]) -> tuple[tuple[int, int, type | None], ...]:
        """(parameter index, stand-in index, adapter) of each parameter that is a stand-in. The
        backend may have adapted it to a subclass of its type (PostgreSQL's integers become
        psycopg's ``Int4``/``Int8``, which tell the server the column's type): the value put in
        its place is adapted alike."""
        places = tuple(
            (index, which, None if type(param) is type(stand_in) else type(param))
            for index, param in enumerate(params)
            for which, stand_in in enumerate(self._stand_ins)
            if isinstance(param, type(stand_in)) and param == stand_in
        )
        missing = set(range(len(self._stand_ins))) - {which for _index, which, _adapt in places}
        if missing:
            names = ", ".join(repr(self._stand_ins[which]) for which in sorted(missing))
            raise ValueError(f"Stand-in {names} not among the query's parameters {params!r}")
        return places


class _Plan(NamedTuple):
    sql: str
    params: tuple[Any, ...]
    places: tuple[tuple[int, int, type | None], ...]
    converters: tuple[tuple[int, tuple[list, Any]], ...]
    shape: Callable[[list], list]
    locks: bool


def _converted(rows: list[tuple], converters: tuple, connection: Any) -> list[list]:
    """``rows`` with each converted column's functions applied, as ``apply_converters`` does."""
    converted = [list(row) for row in rows]
    for row in converted:
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
    return converted


def _shape(iterable: type, compiler: Any, alias: str) -> Callable[[list], list]:
    """What ``iterable`` (the queryset's) makes of the compiled query's rows."""
    if iterable is ValuesIterable:
        return _as_dicts(compiler.query)
    if iterable is ModelIterable:
        return _as_instances(compiler, alias)
    raise ValueError(f"A prepared query gives dicts or model instances, not {iterable.__name__}")


def _as_dicts(query: Any) -> Callable[[list], list[dict[str, Any]]]:
    # The names ``ValuesIterable`` gives the columns.
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    return lambda rows: [dict(zip(names, row, strict=True)) for row in rows]


def _as_instances(compiler: Any, alias: str) -> Callable[[list], list[Model]]:
    """``ModelIterable``'s loading of each row: the model's columns through ``from_db``, each
    ``select_related`` object through its populator, the annotations set as attributes."""
    klass_info, select = compiler.klass_info, compiler.select
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    annotations = list(compiler.annotation_col_map.items())

    def instances(rows: list) -> list[Model]:
        objects = []
        for row in rows:
            obj = model.from_db(alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    return instances
