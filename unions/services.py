"""Changes to the registry: unions and officers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lib.audit import save_audited as _save
from lib.errors import InvalidInput, NotInScope, RoleForbidden
from workflows.events import record_event
from workflows.models import Event

from .models import Federation, Role, Union, User
from .scope import federation_in_scope, visible_unions

UNION_FIELDS = (
    "name",
    "federation",
    "union_type",
    "ownership",
    "park_level",
    "founded_on",
    "credit_code",
    "address",
    "contact_name",
    "contact_phone",
)


def _plain(value: Any) -> Any:
    """A field value as the event's JSON keeps it: a federation by its code, a date as ISO."""
    if isinstance(value, Federation):
        return value.code
    if isinstance(value, date):
        return value.isoformat()
    return value


def _union_event(
    union: Union, *, actor: User, action: str, reason: str, data: dict, history_id: int | None
) -> None:
    """The union's own event chain (``union:<id>``): what was done to its record, by whom and
    why, linked to the history row the save just wrote. Call under the union's row lock."""
    record_event(
        subject=Event.Subject.UNION,
        subject_id=union.pk,
        actor=actor,
        action=action,
        federation_id=union.federation_id,
        comment=reason,
        data={"name": union.name, **data},
        history_id=history_id,
    )


def _clean(union: Union) -> None:
    try:
        union.full_clean()
    except ValidationError as exc:
        raise InvalidInput({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None


def _check_federation(actor: User, federation: Federation | None) -> None:
    if federation is None:
        raise InvalidInput({"federation": [_("This field is required.")]})
    if not federation_in_scope(actor, federation.pk):
        raise InvalidInput({"federation": [_("You may only register unions of your own county.")]})


def do_create_union(*, actor: User, data: dict[str, Any], reason: str = "") -> Union:
    if actor.role not in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
        raise RoleForbidden()
    _check_federation(actor, data.get("federation"))
    union = Union(**{k: v for k, v in data.items() if k in UNION_FIELDS})
    _clean(union)
    reason = reason or _("Union registered")
    with transaction.atomic():
        history_id = _save(union, actor, reason, force_insert=True)
        _union_event(
            union, actor=actor, action="create", reason=reason, data={}, history_id=history_id
        )
    return union


def do_update_union(union_id: int, *, actor: User, data: dict[str, Any], reason: str = "") -> Union:
    """Change a union's record: one history row and one ``update`` event carrying each changed
    field as ``[old, new]``. A new founding date re-derives the track of its open cases, audited
    in the same transaction (NORMS.md)."""
    if actor.role not in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
        raise RoleForbidden()
    with transaction.atomic():
        union = visible_unions(actor).select_for_update().filter(pk=union_id).first()
        if union is None:
            raise NotInScope()
        if "federation" in data:
            _check_federation(actor, data["federation"])
        old_founded = union.founded_on
        changes: dict[str, list[Any]] = {}
        for field, value in data.items():
            if field in UNION_FIELDS and getattr(union, field) != value:
                changes[field] = [_plain(getattr(union, field)), _plain(value)]
                setattr(union, field, value)
        if not changes:
            return union
        _clean(union)
        why = reason or _("Union record updated")
        history_id = _save(union, actor, why, update_fields=[*changes])
        _union_event(
            union,
            actor=actor,
            action="update",
            reason=why,
            data={"changes": changes},
            history_id=history_id,
        )
        if union.founded_on != old_founded:
            from workflows.services import recompute_tracks

            recompute_tracks(union, actor=actor, reason=reason or _("Founding date changed"))
    return union


def do_create_user(
    *,
    username: str,
    role: str,
    password: str,
    federation_codes: list[str] | None = None,
    union_id: int | None = None,
    display_name: str = "",
    actor: User | None = None,
    encoded_password: str = "",
) -> User:
    """Create an officer or reporter with the scope their role needs.

    ``encoded_password`` (the output of ``make_password``) stands in for ``password`` when a bulk
    load gives many accounts one password: hashing is slow on purpose, so it is done once.
    """
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Unknown role %(role)s.") % {"role": role}]
    federations = list(Federation.objects.filter(code__in=federation_codes or []))
    missing = set(federation_codes or []) - {f.code for f in federations}
    if missing:
        errors["federation"] = [
            _("Unknown federation code %(code)s.") % {"code": ", ".join(sorted(missing))}
        ]
    union = Union.objects.filter(pk=union_id).first() if union_id else None
    if union_id and union is None:
        errors["union"] = [_("Unknown union %(id)s.") % {"id": union_id}]
    if role == Role.COUNTY_OFFICER and len(federations) != 1:
        errors.setdefault("federation", [_("A county officer needs exactly one --federation.")])
    if role == Role.UNION_REPORTER and union is None:
        errors.setdefault("union", [_("A union reporter needs --union.")])
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("A user with that username already exists.")]
    if not encoded_password:
        try:
            password_validation.validate_password(password)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            display_name=display_name,
            federation=federations[0] if role == Role.COUNTY_OFFICER else None,
            union=union if role == Role.UNION_REPORTER else None,
            is_staff=role in (Role.FEDERATION_OFFICER, Role.AUDITOR),
        )
        if encoded_password:
            user.password = encoded_password
        else:
            user.set_password(password)
        _save(user, actor, _("User created"), force_insert=True)
        if role == Role.LEADER and federations:
            user.linked_federations.set(federations)
    return user


def do_set_language(user: User, language: str) -> None:
    """Remember the language a user chose on the pages, so what is pushed to them (notification
    texts) speaks it too. Audited like any change to the user.

    ``user`` is often ``request.user``, a lazy wrapper loaded before the request's transaction:
    the row is loaded again under its lock and that instance is saved (STYLE.md 4)."""
    if language == user.language:
        return
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if language != locked.language:
            locked.language = language
            _save(locked, locked, _("Language chosen"), update_fields=["language"])
    user.language = language
