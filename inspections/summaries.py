"""County summaries (报送检查总结): each county federation checks its results and reports by the
campaign's summary deadline ("各县（市、区）总工会检查活动成果、总结工作经验，并于2022年12月15日前，
报送活动总结").

Nothing is typed twice: the figures are computed from the county's records (``county_figures``)
and frozen into the summary when it is submitted. The officer writes the text and may state
figures of their own (``stated_figures``, e.g. from a county report); every stated figure that
disagrees with the records is flagged (``discrepancies``), never silently preferred.

The summary's states, declared with ``viewflow.fsm`` in ``SummaryFlow``: ``draft`` →
``submitted`` (the county officer; ``late`` when the Asia/Shanghai date of submission is after the
deadline) → ``accepted`` or ``returned`` (a federation officer, not the one who submitted);
``returned`` → ``submitted`` again. Every change goes through a ``do_*`` function here: lock,
check role (403), scope (404), state and conditions (409), save with history, one event on the
summary's chain; notifications (``summary_submit``/``accept``/``return``) derive from the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.fsm import State

from lib.audit import save_audited as _save
from lib.errors import Conflict, InvalidInput, NotInScope, RoleForbidden
from lib.fsm import Machine, not_own_step
from unions.models import Federation, Role, User
from workflows.events import record_event
from workflows.figures import figures_by_federation
from workflows.models import Campaign, Event

from .models import CountySummary

SummaryState = CountySummary.State
CONDITION = State.CONDITION
COUNT, MONEY = "count", "money"

# The figures of a summary: key -> (kind, label). The keys are part of the API.
SUMMARY_FIGURES: dict[str, tuple[str, Any]] = {
    "cases": (COUNT, gettext_lazy("Unions in the campaign")),
    "surveyed": (COUNT, gettext_lazy("Unions surveyed")),
    "surveyed_six_haves": (COUNT, gettext_lazy("Surveyed, six haves")),
    "surveyed_six_norms": (COUNT, gettext_lazy("Surveyed, six norms")),
    "meeting_standard": (COUNT, gettext_lazy("Meeting their standard")),
    "grade_satisfied": (COUNT, gettext_lazy("Member evaluation: satisfied")),
    "grade_basically_satisfied": (COUNT, gettext_lazy("Member evaluation: basically satisfied")),
    "grade_unsatisfied": (COUNT, gettext_lazy("Member evaluation: unsatisfied")),
    "grade_none": (COUNT, gettext_lazy("Member evaluation: no grade")),
    "model_unions": (COUNT, gettext_lazy("Model unions selected")),
    "subsidies_requested": (COUNT, gettext_lazy("Subsidies requested")),
    "subsidies_requested_amount": (MONEY, gettext_lazy("Subsidies requested (yuan)")),
    "subsidies_signed_amount": (MONEY, gettext_lazy("Subsidies signed off (yuan)")),
    "subsidies_disbursed_amount": (MONEY, gettext_lazy("Subsidies disbursed (yuan)")),
}
TRANSITION_NAMES = ("submit", "accept", "return")
CENT = Decimal("0.01")


# --- Figures ----------------------------------------------------------------------------------


def county_figures(campaign: Campaign, federation: Federation) -> dict[str, Any]:
    """The county's figures for the campaign, from its records, as ``SUMMARY_FIGURES`` keys
    (counts as ints, money as decimal strings). Three queries (``workflows.figures``)."""
    f = figures_by_federation(campaign, [federation.pk])[federation.pk]
    subsidies = f["subsidies"]
    return {
        "cases": f["cases"],
        "surveyed": f["surveyed"],
        "surveyed_six_haves": f["surveyed_by_track"]["six_haves"],
        "surveyed_six_norms": f["surveyed_by_track"]["six_norms"],
        "meeting_standard": f["meeting_standard"],
        "grade_satisfied": f["grades"]["satisfied"],
        "grade_basically_satisfied": f["grades"]["basically_satisfied"],
        "grade_unsatisfied": f["grades"]["unsatisfied"],
        "grade_none": f["grades"]["none"],
        "model_unions": f["model_unions"],
        "subsidies_requested": subsidies["requested"]["count"],
        "subsidies_requested_amount": str(subsidies["requested"]["amount"]),
        "subsidies_signed_amount": str(subsidies["signed"]["amount"]),
        "subsidies_disbursed_amount": str(subsidies["disbursed"]["amount"]),
    }


def clean_stated_figures(data: Any) -> dict[str, Any]:
    """Validate what an officer typed: known keys only, counts whole numbers ≥ 0, money decimal
    amounts ≥ 0 in yuan (kept as strings with two places). 400 naming each bad key."""
    if data in (None, ""):
        return {}
    if not isinstance(data, dict):
        raise InvalidInput({"stated_figures": [_("Expected an object of figures.")]})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        field = f"stated_figures.{key}"
        if key not in SUMMARY_FIGURES:
            errors[field] = [_("Unknown figure.")]
            continue
        kind = SUMMARY_FIGURES[key][0]
        if kind == COUNT:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors[field] = [_("Enter a whole number of at least 0.")]
            else:
                cleaned[key] = value
        else:
            try:
                amount = (
                    Decimal(str(value))
                    if isinstance(value, int | str) and not isinstance(value, bool)
                    else None
                )
            except InvalidOperation:
                amount = None
            if (
                amount is None
                or not amount.is_finite()
                or amount < 0
                or amount != amount.quantize(CENT)
            ):
                errors[field] = [
                    _("Enter an amount in yuan of at least 0, with at most two decimal places.")
                ]
            else:
                cleaned[key] = str(amount.quantize(CENT))
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _same(kind: str, stated: Any, recorded: Any) -> bool:
    if kind == MONEY:
        return Decimal(str(stated)) == Decimal(str(recorded))
    return stated == recorded


def discrepancies(stated: dict[str, Any], figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each stated figure that disagrees with the records: ``{key: {"stated", "records"}}``."""
    return {
        key: {"stated": value, "records": figures.get(key)}
        for key, value in stated.items()
        if key in SUMMARY_FIGURES and not _same(SUMMARY_FIGURES[key][0], value, figures.get(key))
    }


def figures_of(summary: CountySummary) -> dict[str, Any]:
    """The figures frozen at submission; for a draft, the records as they are now."""
    if summary.state != SummaryState.DRAFT and summary.figures:
        return summary.figures
    return county_figures(summary.campaign, summary.federation)


# --- State machine ----------------------------------------------------------------------------


def _is_late(submitted_at, deadline: date) -> bool:
    return timezone.localdate(submitted_at) > deadline


def _county_officer_of(flow: SummaryFlow, user: User) -> bool:
    return user.role == Role.COUNTY_OFFICER and user.federation_id == flow.summary.federation_id


def _federation_officer(flow: SummaryFlow, user: User) -> bool:
    return user.role == Role.FEDERATION_OFFICER


def has_text(flow: SummaryFlow) -> CONDITION:
    if not flow.summary.text.strip():
        return CONDITION(False, _("Write the summary before submitting it."))
    return CONDITION(True)


# Nobody accepts or returns a summary they submitted, whatever their role is now.
not_own_submission = not_own_step(Event.Subject.SUMMARY, "submit", lambda flow: flow.summary.pk)


@dataclass
class SummaryFlow:
    summary: CountySummary
    user: User | None = None

    state = State(SummaryState, default=SummaryState.DRAFT)

    @state.getter()
    def _get_state(self) -> str:
        return self.summary.state

    @state.setter()
    def _set_state(self, value: str) -> None:
        self.summary.state = value

    @state.transition(
        source=[SummaryState.DRAFT, SummaryState.RETURNED],
        target=SummaryState.SUBMITTED,
        label=gettext_lazy("Submit summary"),
        permission=_county_officer_of,
        conditions=[has_text],
    )
    def submit(self) -> None:
        summary = self.summary
        summary.figures = county_figures(summary.campaign, summary.federation)
        summary.submitted_at = timezone.now()
        summary.late = _is_late(summary.submitted_at, summary.campaign.summary_deadline)

    @state.transition(
        source=SummaryState.SUBMITTED,
        target=SummaryState.ACCEPTED,
        label=gettext_lazy("Accept summary"),
        permission=_federation_officer,
        conditions=[not_own_submission],
    )
    def accept(self) -> None:
        pass

    @state.transition(
        source=SummaryState.SUBMITTED,
        target=SummaryState.RETURNED,
        label=gettext_lazy("Return summary"),
        permission=_federation_officer,
        conditions=[not_own_submission],
        custom={"requires_comment": True},
    )
    def send_back(self) -> None:
        pass


METHODS = {"submit": "submit", "accept": "accept", "return": "send_back"}
SUMMARY_MACHINE = Machine(
    flow_class=SummaryFlow,
    methods=METHODS,
    state_label=lambda state: SummaryState(state).label,
    unavailable=gettext_lazy("“%(action)s” is not available while the summary is “%(state)s”."),
)


# --- Scope and services -----------------------------------------------------------------------


def visible_summaries(user: User) -> QuerySet[CountySummary]:
    """A county officer reads their county's summaries; city-wide roles read all; nobody else."""
    qs = CountySummary.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.role == Role.COUNTY_OFFICER:
        return qs.filter(federation_id=user.federation_id)
    return qs.none()


def _event(
    summary: CountySummary,
    *,
    actor: User,
    action: str,
    from_stage: str,
    to_stage: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    history_id: int | None,
) -> Event:
    """The summary's event, linked to the history row the save before it returned."""
    return record_event(
        subject=Event.Subject.SUMMARY,
        subject_id=summary.pk,
        federation_id=summary.federation_id,
        campaign_id=summary.campaign_id,
        actor=actor,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        comment=comment,
        data=data,
        history_id=history_id,
    )


def _locked(summary_id: int, actor: User) -> CountySummary:
    summary = (
        visible_summaries(actor)
        .select_for_update(of=("self",))
        .select_related("campaign", "federation")
        .filter(pk=summary_id)
        .first()
    )
    if summary is None:
        raise NotInScope()
    return summary


def do_create_summary(
    *,
    actor: User,
    campaign: Campaign,
    federation: Federation | None = None,
    text: str = "",
    stated_figures: Any = None,
) -> CountySummary:
    """A county officer starts their county's summary of the campaign (one per county)."""
    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    if federation is None:
        federation = actor.federation
    if federation is None or federation.pk != actor.federation_id:
        raise InvalidInput(
            {"federation": [_("You may only write the summary of your own county.")]}
        )
    stated = clean_stated_figures(stated_figures)
    summary = CountySummary(
        campaign=campaign, federation=federation, text=(text or "").strip(), stated_figures=stated
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                history_id = _save(summary, actor, _("Summary started"), force_insert=True)
        except IntegrityError:
            raise InvalidInput(
                {"campaign": [_("Your county already has a summary for this campaign.")]}
            ) from None
        _event(
            summary,
            actor=actor,
            action="create",
            from_stage="",
            to_stage=summary.state,
            history_id=history_id,
        )
    return summary


def do_update_summary(
    summary_id: int, *, actor: User, text: str | None = None, stated_figures: Any = None
) -> CountySummary:
    """Change the text or the stated figures while the summary is a draft or returned."""
    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    stated = clean_stated_figures(stated_figures) if stated_figures is not None else None
    with transaction.atomic():
        summary = _locked(summary_id, actor)
        if summary.state not in (SummaryState.DRAFT, SummaryState.RETURNED):
            raise Conflict(
                _("A submitted summary cannot be changed; it can be returned for changes.")
            )
        changed = []
        if text is not None and text.strip() != summary.text:
            summary.text = text.strip()
            changed.append("text")
        if stated is not None and stated != summary.stated_figures:
            summary.stated_figures = stated
            changed.append("stated_figures")
        if not changed:
            return summary
        history_id = _save(summary, actor, _("Summary edited"), update_fields=changed)
        _event(
            summary,
            actor=actor,
            action="update",
            from_stage=summary.state,
            to_stage=summary.state,
            data={"fields": changed},
            history_id=history_id,
        )
    return summary


def available_summary_transitions(summary: CountySummary, user: User) -> list[dict[str, Any]]:
    return SUMMARY_MACHINE.describe(SummaryFlow(summary, user), summary.state, user)


def do_summary_transition(
    summary_id: int, name: str, *, actor: User, comment: str = ""
) -> CountySummary:
    """Fire ``submit``, ``accept`` or ``return`` (API.md), or raise (``Machine.run``, as cases
    and subsidies do).

    1. Lock the summary (404 outside scope). 2. 403 if the role may not fire it (a county
    officer only for their own county). 3. 409 from the wrong state or with a condition unmet.
    4. 400 without a comment where one is required. 5. Transition, history, one event.
    """
    return SUMMARY_MACHINE.run(
        name,
        lock=lambda: _locked(summary_id, actor),
        actor=actor,
        comment=comment,
        record=_transition_event,
    )


def _transition_event(summary: CountySummary, *, action: str, **event: Any) -> Event:
    """A transition's event; a submission's also says whether it came after the deadline."""
    data = {"late": summary.late} if action == "submit" else None
    return _event(summary, action=action, data=data, **event)


# --- The board --------------------------------------------------------------------------------


def summary_board(
    campaign: Campaign, user: User, today: date | None = None
) -> list[dict[str, Any]]:
    """Every county's summary against the deadline: its state (``missing`` when not started),
    when it was submitted and whether late, or the days left (negative: overdue). A county
    officer sees their own row only. Two queries."""
    today = today or timezone.localdate()
    federations = Federation.objects.filter(level=Federation.Level.COUNTY).order_by("code")
    if not user.reads_everything:
        if user.role != Role.COUNTY_OFFICER:
            raise RoleForbidden()
        federations = federations.filter(pk=user.federation_id)
    summaries = {
        s.federation_id: s
        for s in CountySummary.objects.filter(campaign=campaign, federation__in=federations).only(
            "id", "federation_id", "state", "submitted_at", "late"
        )
    }
    deadline = campaign.summary_deadline
    rows = []
    for federation in federations:
        summary = summaries.get(federation.pk)
        submitted = summary is not None and summary.submitted_at is not None
        rows.append(
            {
                "federation": {"code": federation.code, "name": federation.name},
                "summary": summary.pk if summary else None,
                "state": summary.state if summary else "missing",
                "submitted_at": timezone.localtime(summary.submitted_at).isoformat()
                if submitted
                else None,
                "late": summary.late if submitted else today > deadline,
                "days_left": None if submitted else (deadline - today).days,
            }
        )
    return rows
