"""``union_in_scope`` decides on a loaded union what ``visible_unions`` decides in SQL; the
transition service's locked read relies on the two agreeing for every user there can be."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from unions.models import Role, User
from unions.scope import union_in_scope, visible_unions
from workflows.models import Case
from workflows.scope import visible_cases
from workflows.services import get_case_for_user

from ..conftest import make_union

pytestmark = pytest.mark.django_db


def every_kind_of_user(federations, unions):
    """Every role, with and without the scope fields its role uses (and the ones it does not),
    active or not, superuser or not, and the anonymous user."""
    for role, federation, union, superuser, active in itertools.product(
        [*Role.values, ""],
        [None, *federations],
        [None, *unions],
        [False, True],
        [True, False],
    ):
        yield User(
            username=f"{role}-{federation}-{union}-{superuser}-{active}",
            role=role,
            federation_id=federation,
            union_id=union,
            is_superuser=superuser,
            is_active=active,
        )
    yield AnonymousUser()


def test_it_answers_as_visible_unions_for_every_user(
    xunyang_union, wuning_union, xunyang_officer, wuning_officer
):
    other = make_union(xunyang_officer, name="九江浔阳第二工会")
    unions = [xunyang_union, wuning_union, other]
    federations = sorted({u.federation_id for u in unions})

    checked = 0
    for user in every_kind_of_user(federations, [u.pk for u in unions]):
        visible = set(visible_unions(user).values_list("pk", flat=True))
        for union in unions:
            assert union_in_scope(user, union) == (union.pk in visible), (user, union)
            checked += 1
    assert checked > 300


def test_the_locked_read_finds_exactly_the_visible_cases(
    case, wuning_case, xunyang_union, wuning_union
):
    cases = [case, wuning_case]
    federations = sorted({xunyang_union.federation_id, wuning_union.federation_id})
    seen_both = seen_none = False
    for user in every_kind_of_user(federations, [xunyang_union.pk, wuning_union.pk]):
        visible = set(visible_cases(user).values_list("pk", flat=True))
        seen_both |= len(visible) == 2
        seen_none |= not visible
        for each in cases:
            for lock in (False, True):
                try:
                    found = get_case_for_user(user, each.pk, lock=lock)
                except Exception as exc:  # NotInScope is the 404
                    assert type(exc).__name__ == "NotInScope", exc
                    assert each.pk not in visible, (user, each, lock)
                else:
                    assert found.pk == each.pk and each.pk in visible, (user, each, lock)
    assert seen_both and seen_none
    assert Case.objects.count() == 2
