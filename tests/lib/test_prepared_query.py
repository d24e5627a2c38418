"""``lib.sql.PreparedQuery`` runs the ORM's SQL, compiled once, with other values in place of its
stand-ins: it must give what evaluating the queryset built with those values gives, read
through the same converters, and refuse the querysets it cannot run as the ORM would."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from lib.sql import STAND_IN_ID, PreparedQuery
from unions.models import Union
from workflows.models import Campaign, Case
from workflows.services import do_update_campaign

from ..conftest import make_union

pytestmark = pytest.mark.django_db


THRESHOLDS = {"satisfied": 0.8, "basically_satisfied": 0.6}


@pytest.fixture
def graded_campaign(campaign, federation_officer):
    """The campaign with a JSON document in a field: read as text, decoded by its converter."""
    return do_update_campaign(
        campaign.pk, actor=federation_officer, data={"evaluation_thresholds": THRESHOLDS}
    )


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_it_compiles_once_and_gives_each_value_its_own_rows(xunyang_union, wuning_union):
    built = []

    def build(pk):
        built.append(pk)
        return Union.objects.filter(pk=pk).values("id", "name", "founded_on")

    query = PreparedQuery(build, stand_ins=[STAND_IN_ID])
    for union in (xunyang_union, wuning_union, xunyang_union):
        assert query.rows(union.pk) == list(query.build(union.pk))
        assert query.rows(union.pk)[0]["name"] == union.name
    assert query.rows(10**9) == []
    # Built once with the stand-in (the calls above to ``query.build`` are the test's own).
    assert built.count(STAND_IN_ID) == 1


def test_it_applies_the_converters_the_orm_applies(graded_campaign):
    """A JSON field is read as text on both databases and decoded by its converter; a decimal
    and a date are converted on SQLite. The values must be the ORM's, of the ORM's types."""
    campaign = graded_campaign
    query = PreparedQuery(
        lambda pk: Campaign.objects.filter(pk=pk).values(
            "evaluation_thresholds", "subsidy_budget", "reference_date"
        ),
        stand_ins=[STAND_IN_ID],
    )

    (row,) = query.rows(campaign.pk)

    (expected,) = query.build(campaign.pk)
    assert row == expected
    assert {k: type(v) for k, v in row.items()} == {k: type(v) for k, v in expected.items()}
    assert row["evaluation_thresholds"] == THRESHOLDS


def test_it_fills_every_place_of_a_stand_in_used_twice(xunyang_union, wuning_union):
    query = PreparedQuery(
        lambda pk: Union.objects.filter(pk__gte=pk, pk__lte=pk).values("pk"),
        stand_ins=[STAND_IN_ID],
    )

    assert query.rows(wuning_union.pk) == [{"pk": wuning_union.pk}]


def test_it_fills_several_stand_ins_by_position(xunyang_union, wuning_union):
    low, high = sorted([xunyang_union.pk, wuning_union.pk])
    query = PreparedQuery(
        lambda first, last: (
            Union.objects.filter(pk__gte=first, pk__lte=last).order_by("pk").values("pk")
        ),
        stand_ins=[-1, -2],
    )

    assert query.rows(low, high) == [{"pk": low}, {"pk": high}]
    assert query.rows(high, low) == []
    assert query.rows(high, high) == [{"pk": high}]


def test_it_refuses_a_stand_in_the_query_does_not_take_as_given(xunyang_union):
    transformed = PreparedQuery(
        lambda name: Union.objects.filter(name__contains=name).values("pk"), stand_ins=["替身"]
    )
    ignored = PreparedQuery(lambda pk: Union.objects.values("pk"), stand_ins=[STAND_IN_ID])

    with pytest.raises(ValueError, match="'替身' not among"):
        transformed.rows("浔阳")
    with pytest.raises(ValueError, match=f"{STAND_IN_ID} not among"):
        ignored.rows(xunyang_union.pk)


def test_it_loads_instances_with_their_related_objects_and_annotations(
    graded_campaign, case, wuning_case
):
    query = PreparedQuery(
        lambda pk: (
            Case.objects.select_related("campaign")
            .annotate(union_upper=Upper("union__name"))
            .filter(Q(pk=pk))
        ),
        stand_ins=[STAND_IN_ID],
    )

    for each in (case, wuning_case):
        (expected,) = query.build(each.pk)
        with CaptureQueriesContext(connection) as captured:
            (got,) = query.rows(each.pk)
            campaign = got.campaign
        assert len(captured.captured_queries) == 1
        assert fields(got) == fields(expected) and got._state.adding is False
        assert fields(campaign) == fields(expected.campaign)
        assert campaign.evaluation_thresholds == THRESHOLDS
        assert got.union_upper == expected.union_upper == each.union.name.upper()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_refuses_a_locking_query_outside_a_transaction_as_the_orm_does(xunyang_officer):
    union = make_union(xunyang_officer)
    query = PreparedQuery(
        lambda pk: Union.objects.select_for_update().filter(pk=pk), stand_ins=[STAND_IN_ID]
    )
    with transaction.atomic():
        assert query.rows(union.pk) == [union]  # compiled inside a transaction

    try:
        list(query.build(union.pk))
    except TransactionManagementError:
        with pytest.raises(TransactionManagementError):
            query.rows(union.pk)
    else:  # SQLite: the ORM ignores select_for_update
        assert query.rows(union.pk) == [union]


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Union.objects.filter(pk=pk).values_list("pk"),
        lambda pk: Union.objects.filter(pk=pk).prefetch_related("cases"),
    ],
    ids=["values_list", "prefetch_related"],
)
def test_it_refuses_what_it_would_not_give_as_the_orm_does(xunyang_union, build):
    with pytest.raises(ValueError, match="prepared query"):
        PreparedQuery(build, stand_ins=[STAND_IN_ID]).rows(xunyang_union.pk)


def test_it_refuses_stand_ins_it_could_not_tell_apart_and_a_wrong_number_of_values():
    with pytest.raises(ValueError, match="differ"):
        PreparedQuery(lambda a, b: Union.objects.filter(pk__in=[a, b]), stand_ins=[-1, -1])
    query = PreparedQuery(lambda pk: Union.objects.filter(pk=pk), stand_ins=[STAND_IN_ID])
    with pytest.raises(TypeError, match="1 values expected, 2 given"):
        query.rows(1, 2)
