"""The one place where campaigns and cases change (DESIGN.md invariant 1).

Every function here runs in one transaction, locks what it changes, checks role, scope and
condition, saves with ``history_user`` and the reason, writes the event row, and leaves the
notifications to ``transaction.on_commit`` (through ``notifications.dispatch``).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inspections.rules import track_for
from lib.audit import save_audited as _save
from lib.errors import InvalidInput, NotInScope, RoleForbidden
from lib.sql import STAND_IN_ID, PreparedQuery
from unions.models import Role, Union, User
from unions.scope import federation_in_scope, union_in_scope, visible_unions

from .events import record_case_event
from .flows import CASE_MACHINE, CaseFlow
from .models import Campaign, Case, Stage


def get_case_for_user(user: User, case_id: int, *, lock: bool = False) -> Case:
    """The case, with its union, county and campaign, if the user may see it; else 404.

    The row is read by its primary key and the scope decided on its loaded union
    (``union_in_scope``, which answers as ``visible_cases`` does). With ``lock`` (inside a
    transaction, before changing the case) the case's row is locked and its survey comes in the
    same query: most changes made under the case's lock read it (submitting and accepting it,
    saving it, reassessing). A row outside the user's scope is locked only until the 404 rolls
    the transaction back."""
    try:
        pk = Case._meta.pk.get_prep_value(case_id)
    except (ValueError, TypeError):
        raise NotInScope() from None
    in_range = pk is not None and _BIGINT[0] <= pk <= _BIGINT[1]
    case = _read_case(pk, lock=lock) if in_range else None
    if case is None or not union_in_scope(user, case.union):
        raise NotInScope()
    return case


_BIGINT = (-(2**63), 2**63 - 1)


def _case_queryset(pk: int, *, lock: bool) -> QuerySet:
    """The case with its union, county and campaign; with ``lock``, its row locked and its
    survey joined."""
    queryset = Case.objects.select_related("union__federation", "campaign").filter(pk=pk)
    if lock:
        queryset = queryset.select_related("survey").select_for_update(of=("self",))
    return queryset.order_by()


# The transition service reads a case on every call: building and compiling its queryset was a
# third of its Python time (``bench/bench_transitions.py``).
_CASE_READS = {
    lock: PreparedQuery(partial(_case_queryset, lock=lock), stand_ins=[STAND_IN_ID])
    for lock in (False, True)
}


def _read_case(pk: int, *, lock: bool) -> Case | None:
    """The case ``_case_queryset(pk, lock=lock)`` finds, or None, from the queryset's SQL
    compiled once per database (``tests/workflows/test_case_read.py`` holds it to the ORM)."""
    return next(iter(_CASE_READS[lock].rows(pk)), None)


def available_transitions(case: Case, user: User) -> list[dict[str, Any]]:
    """The transitions leaving the case's stage, each with whether this user may fire it now and,
    when not, why (a reason a person can read)."""
    return CASE_MACHINE.describe(
        CaseFlow(case, user), case.stage, user, may_act=_works_on(user, case)
    )


def _works_on(user: User, case: Case) -> bool:
    """Beyond reading: whether the user acts on this case's union at all."""
    if user.role == Role.UNION_REPORTER:
        return user.union_id == case.union_id
    if user.role in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
        return federation_in_scope(user, case.union.federation_id)
    return False


def do_transition(case_id: int, name: str, *, actor: User, comment: str = "") -> Case:
    """Fire transition ``name`` on the case, or raise (``Machine.run``, as subsidies and county
    summaries do).

    1. Lock the case row (a concurrent caller waits, then sees the new stage and gets 409).
    2. 404 if outside the actor's scope; 403 if the role may not fire this transition or the
       actor does not work on the case's union.
    3. 409 if the transition does not leave the current stage or a condition is unmet.
    4. 400 if a comment is required and missing.
    5. Run the transition (its body does the step's work), save what changed with history, write
       the event linked to that history row; notifications go out after commit.
    """
    return CASE_MACHINE.run(
        name,
        lock=lambda: get_case_for_user(actor, case_id, lock=True),
        actor=actor,
        comment=comment,
        may_act=_works_on,
        record=record_case_event,
    )


def do_create_campaign(*, actor: User, data: dict[str, Any]) -> Campaign:
    if actor.role != Role.FEDERATION_OFFICER:
        raise RoleForbidden()
    campaign = Campaign(**data)
    _full_clean(campaign)
    with transaction.atomic():
        _save(campaign, actor, _("Campaign created"), force_insert=True)
    return campaign


def do_create_case(*, actor: User, campaign: Campaign, union_id: int) -> Case:
    if actor.role not in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
        raise RoleForbidden()
    union = visible_unions(actor).filter(pk=union_id).first()
    if union is None:
        raise InvalidInput({"union": [_("No such union in your scope.")]})
    with transaction.atomic():
        if Case.objects.filter(campaign=campaign, union=union).exists():
            raise InvalidInput({"union": [_("This union already has a case in this campaign.")]})
        case = Case(
            campaign=campaign,
            union=union,
            track=track_for(union.founded_on, campaign.reference_date),
            stage=Stage.SURVEY,
        )
        try:
            with transaction.atomic():
                _save(case, actor, _("Case opened"), force_insert=True)
        except IntegrityError:
            raise InvalidInput(
                {"union": [_("This union already has a case in this campaign.")]}
            ) from None
        record_case_event(
            case,
            actor=actor,
            action="create",
            from_stage="",
            to_stage=case.stage,
        )
        from inspections.services import prefill_survey

        prefill_survey(case, actor=actor)
    return case


def recompute_tracks(union: Union, *, actor: User | None, reason: str) -> list[Case]:
    """Re-derive the track of the union's open cases (NORMS.md: recomputed and audited when the
    founding date or the reference date changes). Call inside the transaction of that change."""
    changed = []
    cases = (
        Case.objects.select_for_update(of=("self",)).filter(union=union).exclude(stage=Stage.CLOSED)
    )
    for case in cases.select_related("campaign"):
        _recompute_case_track(case, union.founded_on, actor=actor, reason=reason)
        changed.append(case)
    return changed


def _recompute_case_track(case: Case, founded_on: date, *, actor: User | None, reason: str) -> None:
    new_track = track_for(founded_on, case.campaign.reference_date)
    if new_track == case.track:
        return
    old = case.track
    case.track = new_track
    _save(case, actor, reason, update_fields=["track", "updated_at"])
    record_case_event(
        case,
        actor=actor,
        action="update_track",
        from_stage=case.stage,
        to_stage=case.stage,
        comment=reason,
        data={"track": [old, new_track]},
    )


def do_update_campaign(
    campaign_id: int, *, actor: User, data: dict[str, Any], reason: str = ""
) -> Campaign:
    if actor.role != Role.FEDERATION_OFFICER:
        raise RoleForbidden()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        old_reference = campaign.reference_date
        for field, value in data.items():
            setattr(campaign, field, value)
        _full_clean(campaign)
        _save(campaign, actor, reason or _("Campaign updated"))
        if campaign.reference_date != old_reference:
            for case in (
                Case.objects.select_for_update(of=("self",))
                .filter(campaign=campaign)
                .exclude(stage=Stage.CLOSED)
                .select_related("union", "campaign")
            ):
                _recompute_case_track(
                    case, case.union.founded_on, actor=actor, reason=_("Reference date changed")
                )
    return campaign


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
