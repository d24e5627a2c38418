"""How services fire ``viewflow.fsm`` transitions: one set of checks for cases, subsidies and
county summaries, so the three answer alike (API.md: 403 role, 409 stage or condition, 400 a
missing comment), describe their buttons alike, and lock, save and record alike
(``Machine.run``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.fsm import State, TransitionNotAllowed

from .audit import save_audited
from .errors import Conflict, InvalidInput, NotInScope, RoleForbidden


def unmet_reason(result: Any) -> str:
    return getattr(result, "message", "") or _("A condition is not met.")


@dataclass(frozen=True)
class Machine:
    """The transitions of one flow class as services and pages see them.

    - ``methods``: public transition name (API.md) → the flow's method name.
    - ``state_label``: a state value → its label, for the "not available" reason.
    - ``unavailable``: that reason, with ``%(action)s`` and ``%(state)s``.
    """

    flow_class: type
    methods: Mapping[str, str]
    state_label: Callable[[str], str]
    unavailable: str

    def spec(self, name: str):
        if name not in self.methods:
            raise NotInScope()
        return getattr(self.flow_class, self.methods[name])

    def describe(self, flow: Any, state: str, user: Any, *, may_act: bool = True) -> list[dict]:
        """The transitions leaving ``state``, each with whether ``user`` may fire it now and,
        when not, why: what a page greys out and the API lists as ``available_transitions``."""
        result = []
        for name in self.methods:
            transition = self.spec(name)._descriptor.get_transition(state)
            if transition is None:
                continue
            allowed, reason = True, ""
            if not may_act or not transition.has_perm(flow, user):
                allowed, reason = False, _("Your role may not do this.")
            else:
                unmet = transition.get_unmet_condition(flow)
                if unmet is not None:
                    allowed, reason = False, unmet_reason(unmet[1])
            result.append(
                {"name": name, "label": str(transition.label), "allowed": allowed, "reason": reason}
            )
        return result

    def fire(
        self, flow: Any, name: str, *, state: str, actor: Any, comment: str, may_act: bool = True
    ) -> None:
        """Check, then run transition ``name`` on ``flow`` (whose row the caller has locked).

        1. 403 if the actor's role may fire none of this name's transitions, or ``may_act`` is
           false (the actor does not work on this object).
        2. 409 if no transition of that name leaves ``state``.
        3. 409 if a condition is unmet, else 400 if the transition needs a comment and there is
           none (the conflict is the answer that tells the person what to do first).
        4. Run it. ``viewflow`` checks the conditions right before the body; that check is
           step 3's whenever a comment is given, so each condition runs once per call (a
           condition may read the database or validate a whole survey).
        """
        spec = self.spec(name)
        transitions = list(spec.get_transitions())
        if not may_act or not any(t.has_perm(flow, actor) for t in transitions):
            raise RoleForbidden()
        transition = spec._descriptor.get_transition(state)
        if transition is None:
            label = self.state_label(state)
            raise Conflict(
                str(self.unavailable)
                % {"action": transitions[0].label, "state": label, "stage": label}
            )
        if transition.custom.get("requires_comment") and not comment:
            unmet = transition.get_unmet_condition(flow)
            if unmet is not None:
                raise Conflict(unmet_reason(unmet[1]))
            raise InvalidInput(
                {
                    "comment": [
                        _("A comment is required to %(action)s.") % {"action": transition.label}
                    ]
                }
            )
        try:
            getattr(flow, self.methods[name])()
        except TransitionNotAllowed as exc:
            raise Conflict(
                getattr(exc, "unmet_message", "") or _("A condition is not met.")
            ) from None

    def run(
        self,
        name: str,
        *,
        lock: Callable[[], Any],
        actor: Any,
        comment: str = "",
        record: Callable[..., Any],
        may_act: Callable[[Any, Any], bool] | None = None,
    ) -> Any:
        """Fire transition ``name`` on the object ``lock()`` loads, save it and record the event:
        the one way a service changes a state, so that cases, subsidies and county summaries
        cannot drift apart in how they lock, check, audit and record (DESIGN.md invariant 1).

        What stays the service's own is passed in: ``lock`` reads and locks the row (and answers
        404 outside the actor's scope), ``may_act(actor, obj)`` whether the actor works on this
        object at all, ``record`` the event on the object's chain with its own data.

        1. 404 for an unknown ``name``, before anything is locked.
        2. In one transaction: ``lock()``, then ``fire`` (403, 409, 400; its body does the
           step's work).
        3. Save the fields the transition changed, with the ``auto_now`` timestamps a whole-row
           save would refresh, and a history row naming the actor and, as the reason, the
           comment or else the transition's name.
        4. ``record(obj, actor=, action=, from_stage=, to_stage=, comment=, history_id=)`` (the
           event's own field names), linked to that history row without reading it back.

        A refusal raises before anything is written; a failure after the save rolls it back.
        """
        comment = (comment or "").strip()
        state = self.spec(name)._state  # the flow's ``State``: its getter reads the object
        with transaction.atomic():
            obj = lock()
            flow = self.flow_class(obj, actor)
            from_state = state.get(flow)
            before = _field_values(obj)
            self.fire(
                flow,
                name,
                state=from_state,
                actor=actor,
                comment=comment,
                may_act=may_act is None or may_act(actor, obj),
            )
            history_id = save_audited(
                obj, actor, comment or name, update_fields=_fields_to_save(obj, before)
            )
            record(
                obj,
                actor=actor,
                action=name,
                from_stage=from_state,
                to_stage=state.get(flow),
                comment=comment,
                history_id=history_id,
            )
        return obj


@cache
def _columns(model: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's column attributes, and those of them a save sets itself (``auto_now``)."""
    fields = model._meta.concrete_fields
    return (
        tuple(field.attname for field in fields),
        tuple(field.attname for field in fields if getattr(field, "auto_now", False)),
    )


def _field_values(obj: Any) -> list[Any]:
    return [getattr(obj, attname) for attname in _columns(type(obj))[0]]


def _fields_to_save(obj: Any, before: list[Any]) -> list[str]:
    """What changed on ``obj`` since ``before`` (a transition's body may change more than the
    state), and its ``auto_now`` timestamps: the UPDATE writes those columns and no others."""
    attnames, stamps = _columns(type(obj))
    changed = [
        name for name, old in zip(attnames, before, strict=True) if getattr(obj, name) != old
    ]
    return [*changed, *stamps]


def not_own_step(subject: str, action: str, pk_of: Callable[[Any], int]) -> Callable[[Any], Any]:
    """A condition: the acting user did not do ``action`` on this subject themselves (no
    self-approval, whatever their roles are now)."""
    from workflows.events import last_actor_id

    def condition(flow: Any) -> State.CONDITION:
        if flow.user is not None and last_actor_id(subject, pk_of(flow), action) == flow.user.pk:
            return State.CONDITION(False, _("You may not approve a step you submitted yourself."))
        return State.CONDITION(True)

    condition.__name__ = f"not_own_{action}"
    return condition
