"""``recipients_for`` is one plain SQL statement; it must choose exactly the users the queryset
it replaced chose (kept here as the reference), for every kind, county, case and actor."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from django.db.models import Exists, OuterRef, Q

from notifications.dispatch import (
    COUNTY,
    FEDERATION,
    LINKED_LEADERS,
    RECIPIENTS,
    REPORTERS,
    recipients_for,
)
from tests.conftest import PASSWORD, WUNING, XUNYANG
from unions.models import Federation, Role, User
from unions.services import do_create_user

pytestmark = pytest.mark.django_db


def reference(kind: str, event) -> list[int]:
    """The queryset ``recipients_for`` used to build (ids in order)."""
    who = Q()
    for audience in RECIPIENTS.get(kind, ()):
        if audience == COUNTY:
            if event.federation_id is not None:
                who |= Q(role=Role.COUNTY_OFFICER, federation_id=event.federation_id)
        elif audience == FEDERATION:
            who |= Q(role=Role.FEDERATION_OFFICER)
        elif audience == LINKED_LEADERS:
            links = User.linked_federations.through.objects.filter(
                federation_id=event.federation_id
            )
            linked = Exists(links.filter(user_id=OuterRef("pk")))
            anyone = Exists(links.filter(user__is_active=True, user__role=Role.LEADER).values("pk"))
            who |= Q(role=Role.LEADER) & (Q(linked) | ~Q(anyone))
        elif audience == REPORTERS and event.case_id is not None:
            who |= Q(role=Role.UNION_REPORTER, union_id=event.case.union_id)
    if not who:
        return []
    if event.actor_id is not None:
        who &= ~Q(pk=event.actor_id)
    return list(
        User.objects.filter(who, is_active=True).order_by("pk").values_list("pk", flat=True)
    )


@pytest.fixture
def everyone(
    federation_officer,
    federation_officer_2,
    xunyang_officer,
    xunyang_officer_2,
    wuning_officer,
    leader,
    leader_2,
    auditor,
    reporter,
    wuning_union,
):
    """Every role, an inactive user of each audience, and a leader of 武宁县 who left."""
    gone = [
        do_create_user(
            username="gone-xunyang",
            role=Role.COUNTY_OFFICER,
            password=PASSWORD,
            federation_codes=[XUNYANG],
        ),
        do_create_user(username="gone-fed", role=Role.FEDERATION_OFFICER, password=PASSWORD),
        do_create_user(
            username="gone-reporter",
            role=Role.UNION_REPORTER,
            password=PASSWORD,
            union_id=reporter.union_id,
        ),
        do_create_user(
            username="gone-leader", role=Role.LEADER, password=PASSWORD, federation_codes=[WUNING]
        ),
    ]
    User.objects.filter(pk__in=[u.pk for u in gone]).update(is_active=False)
    do_create_user(
        username="wuning-reporter",
        role=Role.UNION_REPORTER,
        password=PASSWORD,
        union_id=wuning_union.pk,
    )
    return list(User.objects.order_by("pk"))


def test_it_chooses_the_users_the_queryset_chose(everyone, reporter, wuning_union):
    counties = [*Federation.objects.filter(code__in=[XUNYANG, WUNING]).values_list("pk", flat=True)]
    other = Federation.objects.exclude(code__in=[XUNYANG, WUNING]).values_list("pk", flat=True)[0]
    cases = [
        None,
        SimpleNamespace(union_id=reporter.union_id),
        SimpleNamespace(union_id=wuning_union.pk),
    ]
    kinds = [*RECIPIENTS, "create", "remind"]
    User.objects.filter(username="xunyang2").update(language="en")
    languages = dict(User.objects.values_list("pk", "language"))
    nonempty = 0
    for kind, federation, case, actor, lock in itertools.product(
        kinds, [None, *counties, other], cases, [None, *everyone], [False, True]
    ):
        event = SimpleNamespace(
            federation_id=federation,
            case_id=None if case is None else 1,
            case=case,
            actor_id=None if actor is None else actor.pk,
        )
        chosen = recipients_for(kind, event, lock=lock)
        expected = reference(kind, event)
        assert [u.pk for u in chosen] == expected, (kind, federation, case, actor)
        assert [u.language for u in chosen] == [languages[pk] for pk in expected]
        nonempty += bool(expected)
    assert nonempty > 100


def test_it_tells_every_leader_when_no_active_leader_follows_the_county(everyone, leader, leader_2):
    wuning = Federation.objects.get(code=WUNING)
    event = SimpleNamespace(federation_id=wuning.pk, case_id=None, case=None, actor_id=None)

    chosen = {u.username for u in recipients_for("subsidy_submit", event)}

    # 武宁县's only linked leader is inactive: every active leader hears of it.
    assert chosen == {leader.username, leader_2.username}
