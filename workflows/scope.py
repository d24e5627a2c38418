from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import F, Lookup, QuerySet

from unions.models import User
from unions.scope import visible_unions

from .models import Campaign, Case


class _EqualsAny(Lookup):
    """PostgreSQL's ``lhs = ANY(rhs)``, with an array on the right."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def visible_cases(user: User) -> QuerySet[Case]:
    """The cases of the unions the user sees (``unions.scope.visible_unions``).

    On PostgreSQL the unions are read first into an array, ``union_id = ANY(ARRAY(SELECT …))``,
    rather than joined as ``union_id IN (SELECT …)``. The same rows; but for the join the planner
    takes a county's cases to be spread evenly over the whole table, and at a province's size
    (110 counties, 400,000 cases) it counted a county officer's cases with a scan of all of them
    and found a page's 50 by walking the primary key through every county's: both grew with the
    province. An array's length is unknown when planning, so the cases are looked up union by
    union through their ``union_id`` index and the page sorted from them: time in proportion to
    the county (bench/RESULTS.md, bench_lists).
    """
    if not user.is_authenticated:
        return Case.objects.none()
    if user.reads_everything:
        return Case.objects.all()
    unions = visible_unions(user).order_by().values("pk")
    if connection.vendor == "postgresql":
        return Case.objects.filter(_EqualsAny(F("union_id"), ArraySubquery(unions)))
    return Case.objects.filter(union__in=unions)


def visible_campaigns(user: User) -> QuerySet[Campaign]:
    if not user.is_authenticated:
        return Campaign.objects.none()
    return Campaign.objects.all()
