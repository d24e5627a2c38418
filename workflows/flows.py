"""The case's stage machine, declared with ``viewflow.fsm`` (API.md, "The case's stages").

``CaseFlow`` wraps one ``Case`` and the user acting on it. Each transition declares its source,
target, who may fire it (``permission``) and the conditions that must hold; a condition returns
``State.CONDITION(ok, reason)`` so the reason can be shown beside a greyed-out button and in the
409 answer. The transitions' bodies hold the side effects that belong to the step (running the
rules, counting returns); ``workflows.services.do_transition`` wraps them in the lock, the event
row, the history and the notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.fsm import State

from lib.errors import Conflict
from lib.fsm import Machine, not_own_step
from lib.text import join_list
from unions.models import Federation, Role, User

from .models import Case, Event, Stage

CONDITION = State.CONDITION


def _roles(*roles: str) -> Callable[[CaseFlow, User], bool]:
    def permission(flow: CaseFlow, user: User) -> bool:
        return user.is_authenticated and user.role in roles

    permission.roles = roles  # type: ignore[attr-defined]
    return permission


reporter_or_county = _roles(Role.UNION_REPORTER, Role.COUNTY_OFFICER)
county = _roles(Role.COUNTY_OFFICER)
federation = _roles(Role.FEDERATION_OFFICER)


def survey_complete(flow: CaseFlow) -> CONDITION:
    from inspections.services import survey_problems

    problems = survey_problems(flow.case)
    if problems:
        return CONDITION(
            False, _("The survey is not complete: %(fields)s") % {"fields": "；".join(problems)}
        )
    return CONDITION(True)


def nothing_needs_review(flow: CaseFlow) -> CONDITION:
    from inspections.services import rules_needing_review

    pending = rules_needing_review(flow.case)
    if pending:
        return CONDITION(
            False,
            _("Findings still need review: %(rules)s") % {"rules": join_list(pending)},
        )
    return CONDITION(True)


def meets_standard(flow: CaseFlow) -> CONDITION:
    from inspections.services import assessment_summary

    summary = assessment_summary(flow.case)
    if summary is None or not summary.meets_standard:
        unmet = join_list(summary.unmet + summary.needs_review) if summary else ""
        return CONDITION(
            False,
            _("The union does not meet its standard yet (%(rules)s).") % {"rules": unmet}
            if unmet
            else _("The union does not meet its standard yet."),
        )
    return CONDITION(True)


def selected_as_model() -> Exists:
    """Whether a case was selected as a model union (示范工会). ``select_model`` leads only to
    ``subsidy`` and from there only to ``closed``, so its event marks a model union for good."""
    return Exists(
        Event.objects.filter(case=OuterRef("pk"), subject=Event.Subject.CASE, action="select_model")
    )


def within_model_quota(flow: CaseFlow) -> CONDITION:
    """A county puts forward at most ``model_quota_per_county`` model unions per campaign: those
    already selected and those recommended and awaiting the city's decision both count; a
    declined one goes back to guidance and frees its place."""
    case = flow.case
    quota = case.campaign.model_quota_per_county
    taken = (
        Case.objects.filter(
            campaign_id=case.campaign_id, union__federation_id=case.union.federation_id
        )
        .filter(Q(stage=Stage.SELECTION) | Q(selected_as_model()))
        .exclude(pk=case.pk)
        .count()
    )
    if taken >= quota:
        return CONDITION(
            False,
            _("The county's quota of %(quota)d model unions is used up.") % {"quota": quota},
        )
    return CONDITION(True)


def _not_same_person(action: str) -> Callable[[CaseFlow], CONDITION]:
    return not_own_step(Event.Subject.CASE, action, lambda flow: flow.case.pk)


def subsidy_settled(flow: CaseFlow) -> CONDITION:
    if flow.case.stage != Stage.SUBSIDY:
        return CONDITION(True)
    from subsidies.services import subsidy_settled as settled

    if not settled(flow.case):
        return CONDITION(False, _("The subsidy has not been disbursed or rejected yet."))
    return CONDITION(True)


@dataclass
class CaseFlow:
    case: Case
    user: User | None = None

    stage = State(Stage, default=Stage.SURVEY)

    @stage.getter()
    def _get_stage(self) -> str:
        return self.case.stage

    @stage.setter()
    def _set_stage(self, value: str) -> None:
        self.case.stage = value

    @stage.transition(
        source=Stage.SURVEY,
        target=Stage.SURVEY_REVIEW,
        label=gettext_lazy("Submit survey"),
        permission=reporter_or_county,
        conditions=[survey_complete],
    )
    def submit_survey(self) -> None:
        from inspections.services import mark_survey_submitted

        mark_survey_submitted(self.case, actor=self.user)

    @stage.transition(
        source=Stage.SURVEY_REVIEW,
        target=Stage.SURVEY,
        label=gettext_lazy("Return survey"),
        permission=county,
        custom={"requires_comment": True},
    )
    def return_survey(self) -> None:
        self.case.returned_count += 1

    @stage.transition(
        source=Stage.SURVEY_REVIEW,
        target=Stage.ASSESSMENT,
        label=gettext_lazy("Accept survey"),
        permission=county,
    )
    def accept_survey(self) -> None:
        from inspections.services import run_assessment

        run_assessment(self.case, actor=self.user)

    @stage.transition(
        source=Stage.ASSESSMENT,
        target=Stage.ASSESSMENT_REVIEW,
        label=gettext_lazy("Submit assessment"),
        permission=county,
        conditions=[nothing_needs_review],
    )
    def submit_assessment(self) -> None:
        pass

    @stage.transition(
        source=Stage.ASSESSMENT_REVIEW,
        target=Stage.ASSESSMENT,
        label=gettext_lazy("Return assessment"),
        permission=federation,
        custom={"requires_comment": True},
    )
    def return_assessment(self) -> None:
        self.case.returned_count += 1

    @stage.transition(
        source=Stage.ASSESSMENT_REVIEW,
        target=Stage.GUIDANCE,
        label=gettext_lazy("Approve assessment"),
        permission=federation,
        conditions=[_not_same_person("submit_assessment")],
    )
    def approve_assessment(self) -> None:
        from inspections.services import make_guidance_plan

        make_guidance_plan(self.case, actor=self.user)

    @stage.transition(
        source=Stage.GUIDANCE,
        target=Stage.ASSESSMENT,
        label=gettext_lazy("Reassess"),
        permission=county,
    )
    def reassess(self) -> None:
        from inspections.services import run_assessment

        run_assessment(self.case, actor=self.user)

    @stage.transition(
        source=Stage.GUIDANCE,
        target=Stage.SELECTION,
        label=gettext_lazy("Recommend as model union"),
        permission=county,
        conditions=[meets_standard, within_model_quota],
    )
    def recommend_model(self) -> None:
        # The case's own lock does not stop two officers of one county recommending two unions at
        # once, each counting the other's place as free. Counting again under the county's row
        # lock makes the second wait for the first and then see it.
        Federation.objects.select_for_update().only("pk").get(pk=self.case.union.federation_id)
        within_quota = within_model_quota(self)
        if not within_quota:
            raise Conflict(within_quota.message)

    @stage.transition(
        source=Stage.SELECTION,
        target=Stage.GUIDANCE,
        label=gettext_lazy("Decline model union"),
        permission=federation,
        custom={"requires_comment": True},
        conditions=[_not_same_person("recommend_model")],
    )
    def decline_model(self) -> None:
        pass

    @stage.transition(
        source=Stage.SELECTION,
        target=Stage.SUBSIDY,
        label=gettext_lazy("Select model union"),
        permission=federation,
        conditions=[_not_same_person("recommend_model")],
    )
    def select_model(self) -> None:
        pass

    @stage.transition(
        source=[Stage.GUIDANCE, Stage.SUBSIDY],
        target=Stage.CLOSED,
        label=gettext_lazy("Close"),
        permission=federation,
        conditions=[subsidy_settled],
    )
    def close(self) -> None:
        pass


TRANSITION_NAMES: tuple[str, ...] = (
    "submit_survey",
    "return_survey",
    "accept_survey",
    "submit_assessment",
    "return_assessment",
    "approve_assessment",
    "reassess",
    "recommend_model",
    "decline_model",
    "select_model",
    "close",
)

CASE_MACHINE = Machine(
    flow_class=CaseFlow,
    methods={name: name for name in TRANSITION_NAMES},
    state_label=lambda stage: Stage(stage).label,
    unavailable=gettext_lazy("“%(action)s” is not available at stage “%(stage)s”."),
)
