"""Subsidy applications: the twin of ``workflows.services`` for money (DESIGN.md invariant 1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from lib.audit import save_audited as _save
from lib.errors import InvalidInput, NotInScope, RoleForbidden
from unions.models import Role, User
from workflows.events import record_event
from workflows.models import Campaign, Case, Event, Stage
from workflows.scope import visible_cases

from .flows import SUBSIDY_MACHINE, SubsidyFlow
from .models import SubsidyApplication
from .scope import visible_subsidies

S = SubsidyApplication.State


def subsidy_settled(case: Case) -> bool:
    return SubsidyApplication.objects.filter(
        case=case, state__in=[S.DISBURSED, S.REJECTED]
    ).exists()


def _event(
    application: SubsidyApplication,
    *,
    actor: User,
    action: str,
    from_stage: str,
    to_stage: str,
    comment: str = "",
    history_id: int | None,
) -> Event:
    """The application's event, linked to the history row its save returned."""
    case = application.case
    return record_event(
        subject=Event.Subject.SUBSIDY,
        subject_id=application.pk,
        case=case,
        federation_id=case.union.federation_id,
        actor=actor,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        comment=comment,
        data={"amount": str(application.amount)},
        history_id=history_id,
    )


def do_create_subsidy(
    case_id: int, *, actor: User, amount: Decimal | None = None
) -> SubsidyApplication:
    """An application for a selected model union; the amount defaults to the campaign's amount
    for the case's track."""
    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    with transaction.atomic():
        case = (
            visible_cases(actor)
            .select_for_update(of=("self",))
            .select_related("campaign", "union")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            raise InvalidInput({"case": [_("No such case in your scope.")]})
        if case.stage != Stage.SUBSIDY:
            raise InvalidInput(
                {"case": [_("Only a selected model union can apply for a subsidy.")]}
            )
        if SubsidyApplication.objects.filter(case=case).exists():
            raise InvalidInput({"case": [_("This case already has a subsidy application.")]})
        if amount is None:
            amount = case.campaign.subsidy_amount(case.track)
        if amount <= 0:
            raise InvalidInput({"amount": [_("The amount must be more than zero.")]})
        application = SubsidyApplication(case=case, amount=amount)
        history_id = _save(application, actor, _("Subsidy application created"), force_insert=True)
        _event(
            application,
            actor=actor,
            action="create",
            from_stage="",
            to_stage=application.state,
            history_id=history_id,
        )
    return application


# The transitions a leader fires; the others' buttons keep the plain "role" reason for them.
LEADER_TRANSITIONS = ("sign_off", "reject")


def _linked_leaders(federation_id: Any) -> QuerySet[User]:
    return User.objects.filter(role=Role.LEADER, is_active=True, linked_federations=federation_id)


def leader_signs_for(user: User, federation_id: int) -> bool:
    """Whether leader ``user`` signs off (or rejects) the subsidies of this county.

    Leaders sign off for the counties they are linked to (联系挂点, DESIGN.md; the campaign plan's
    领导干部联系挂点县（市、区）): a county's subsidies are its linked leaders' to decide, and
    another leader, who reads them, does not sign them. A county that no active leader is linked
    to would wait for nobody, so any leader signs its subsidies (the same leaders the submission
    notifies: ``notifications.dispatch``).
    """
    linked = set(_linked_leaders(federation_id).values_list("pk", flat=True))
    return user.pk in linked if linked else True


def signed_by_leader(user: User) -> Q:
    """``leader_signs_for`` as a filter on subsidy applications, for "what waits for me"."""
    return Q(case__union__federation__in=user.linked_federations.all()) | ~Q(
        Exists(_linked_leaders(OuterRef("case__union__federation_id")))
    )


def available_subsidy_transitions(application: SubsidyApplication, user: User) -> list[dict]:
    may_act = _acts_on(user, application)
    described = SUBSIDY_MACHINE.describe(
        SubsidyFlow(application, user), application.state, user, may_act=may_act
    )
    if user.role == Role.LEADER and not may_act:
        reason = _("The leaders linked to %(county)s sign off its subsidies.") % {
            "county": application.case.union.federation.name
        }
        for transition in described:
            if transition["name"] in LEADER_TRANSITIONS:
                transition["reason"] = reason
    return described


def _acts_on(user: User, application: SubsidyApplication) -> bool:
    """Whether ``user`` works on this application (else 403, the role may not act on it)."""
    federation_id = application.case.union.federation_id
    if user.role == Role.COUNTY_OFFICER:
        return user.federation_id == federation_id
    if user.role == Role.LEADER:
        return leader_signs_for(user, federation_id)
    return user.role == Role.FEDERATION_OFFICER


def do_subsidy_transition(
    application_id: int, name: str, *, actor: User, comment: str = ""
) -> SubsidyApplication:
    """Fire transition ``name`` on the application, or raise: lock, role, scope and condition,
    transition, history, event (``Machine.run``, as cases and county summaries do)."""
    return SUBSIDY_MACHINE.run(
        name,
        lock=lambda: _locked(application_id, actor),
        actor=actor,
        comment=comment,
        may_act=_acts_on,
        record=_event,
    )


def _locked(application_id: int, actor: User) -> SubsidyApplication:
    """The application, locked after its campaign's row, so that sign-offs against the
    campaign's budget are counted one at a time; 404 outside the actor's scope."""
    campaign_id = (
        visible_subsidies(actor)
        .filter(pk=application_id)
        .values_list("case__campaign_id", flat=True)
        .first()
    )
    if campaign_id is None:
        raise NotInScope()
    Campaign.objects.select_for_update().get(pk=campaign_id)
    return (
        SubsidyApplication.objects.select_for_update(of=("self",))
        .select_related("case__campaign", "case__union")
        .get(pk=application_id)
    )
