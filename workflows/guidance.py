"""Guidance plans (分类推进指导): the steps a union takes toward its standard.

The plan is made when the city approves the assessment (``approve_assessment`` calls
``inspections.services.make_guidance_plan``: one step per rule not met, with the clause, a
suggested step, the union's contact as owner and the summary deadline as due date). While the
case is in guidance the county officer records what was done, step by step; ``reassess`` then
reruns the rules on the updated survey, and the steps whose rule is now met close themselves.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.audit import save_audited as _save
from lib.errors import Conflict, NotInScope, RoleForbidden
from unions.models import Role, User

from .events import record_event
from .models import Case, Event, GuidanceAction, Stage
from .services import get_case_for_user


def guidance_plan(case: Case) -> QuerySet[GuidanceAction]:
    """The case's steps in rule order, with who marked each done."""
    return case.guidance_actions.select_related("done_by").order_by("rule", "id")


def do_mark_guidance_done(
    case_id: int, action_id: int, *, actor: User, note: str = ""
) -> GuidanceAction:
    """A county officer records that the union took a step of its guidance plan.

    1. Lock the case (the event chain of the case has one writer at a time) and the step.
    2. 403 unless a county officer; 404 if the case or the step is outside the officer's scope.
    3. 409 unless the case is in guidance and the step still open.
    4. Save with history (the officer, and what was done as the reason) and write the
       ``guidance_done`` event on the case's chain.
    """
    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    note = (note or "").strip()
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, lock=True)
        action = GuidanceAction.objects.select_for_update().filter(case=case, pk=action_id).first()
        if action is None:
            raise NotInScope()
        if case.stage != Stage.GUIDANCE:
            raise Conflict(
                _("Guidance steps can only be marked done while the case is in guidance.")
            )
        if action.done_at is not None:
            raise Conflict(_("This step is already done."))
        action.done_at = timezone.now()
        action.done_by = actor
        action.done_note = note
        _save(
            action,
            actor,
            note or _("Guidance step done"),
            update_fields=["done_at", "done_by", "done_note"],
        )
        record_event(
            subject=Event.Subject.CASE,
            subject_id=case.pk,
            case=case,
            federation_id=case.union.federation_id,
            actor=actor,
            action="guidance_done",
            from_stage=case.stage,
            to_stage=case.stage,
            comment=note,
            data={"rule": action.rule, "guidance_action": action.pk},
        )
    return action
