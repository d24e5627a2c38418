"""The subsidy application's state machine (API.md: draft → submitted → signed_off → disbursed,
or submitted → rejected)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.fsm import State

from lib.fsm import Machine, not_own_step
from unions.models import Role, User
from workflows.models import Event

from .models import SubsidyApplication

S = SubsidyApplication.State
CONDITION = State.CONDITION


def _role(role: str):
    def permission(flow: SubsidyFlow, user: User) -> bool:
        return user.is_authenticated and user.role == role

    return permission


def committed_amount(campaign_id: int, *, exclude_pk: int | None = None) -> Decimal:
    qs = SubsidyApplication.objects.filter(
        case__campaign_id=campaign_id, state__in=[S.SIGNED_OFF, S.DISBURSED]
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def within_budget(flow: SubsidyFlow) -> CONDITION:
    """Callers hold the campaign's row lock, so concurrent sign-offs are counted one at a time."""
    application = flow.application
    campaign = application.case.campaign
    committed = committed_amount(campaign.pk, exclude_pk=application.pk)
    if committed + application.amount > campaign.subsidy_budget:
        return CONDITION(
            False,
            _(
                "Signing off %(amount)s yuan would exceed the budget: %(committed)s of %(budget)s yuan is committed."
            )
            % {
                "amount": application.amount,
                "committed": committed,
                "budget": campaign.subsidy_budget,
            },
        )
    return CONDITION(True)


not_own_submission = not_own_step(Event.Subject.SUBSIDY, "submit", lambda flow: flow.application.pk)


@dataclass
class SubsidyFlow:
    application: SubsidyApplication
    user: User | None = None

    state = State(S, default=S.DRAFT)

    @state.getter()
    def _get_state(self) -> str:
        return self.application.state

    @state.setter()
    def _set_state(self, value: str) -> None:
        self.application.state = value

    @state.transition(
        source=S.DRAFT,
        target=S.SUBMITTED,
        label=gettext_lazy("Submit"),
        permission=_role(Role.COUNTY_OFFICER),
    )
    def submit(self) -> None:
        pass

    @state.transition(
        source=S.SUBMITTED,
        target=S.SIGNED_OFF,
        label=gettext_lazy("Sign off"),
        permission=_role(Role.LEADER),
        conditions=[not_own_submission, within_budget],
    )
    def sign_off(self) -> None:
        pass

    @state.transition(
        source=S.SUBMITTED,
        target=S.REJECTED,
        label=gettext_lazy("Reject"),
        permission=_role(Role.LEADER),
        conditions=[not_own_submission],
        custom={"requires_comment": True},
    )
    def reject(self) -> None:
        pass

    @state.transition(
        source=S.SIGNED_OFF,
        target=S.DISBURSED,
        label=gettext_lazy("Disburse"),
        permission=_role(Role.FEDERATION_OFFICER),
    )
    def disburse(self) -> None:
        pass


TRANSITION_NAMES = ("submit", "sign_off", "reject", "disburse")

SUBSIDY_MACHINE = Machine(
    flow_class=SubsidyFlow,
    methods={name: name for name in TRANSITION_NAMES},
    state_label=lambda state: S(state).label,
    unavailable=gettext_lazy("“%(action)s” is not available while the subsidy is “%(state)s”."),
)
