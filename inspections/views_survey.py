"""The survey form (/cases/<id>/survey/): the survey of NORMS.md in its sections.

The form is built from ``inspections.survey.FIELDS`` (path, kind, label, section): whole numbers,
dates, text, 是/否/未知 for yes-or-no answers and the committee members as a repeatable group.
Saving goes through ``do_save_survey`` (the validation the API uses, errors shown beside their
fields); "submit" saves, then checks completeness the way the ``submit_survey`` transition does
and fires it. Answers carried over from the last campaign are marked until someone changes them.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lib.errors import Conflict, InvalidInput, ServiceError
from unions.models import Role, User
from workflows.models import Case, Stage
from workflows.services import do_transition
from workflows.views_case import load_case
from workflows.views_common import raise_for_page

from .services import do_save_survey, field_label, survey_of, today
from .survey import (
    BOOL,
    CONDITIONAL_FIELDS,
    DATE,
    FIELDS,
    INT,
    LIST,
    NON_FIELD_ERRORS,
    SECTIONS,
    flatten,
    required_fields,
    unflatten,
    validate_survey,
)

MEMBERS = "committee.members"
MEMBER_FLAGS = ("is_admin_head", "is_partner", "is_relative_of_admin")
MEMBER_KEY = re.compile(
    r"^committee\.members\.(\d+)\.(name|is_admin_head|is_partner|is_relative_of_admin)$"
)
BLANK_MEMBER_ROWS = 1
WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")


def can_edit(user: User, case: Case) -> bool:
    if case.stage != Stage.SURVEY:
        return False
    if user.role == Role.UNION_REPORTER:
        return user.union_id == case.union_id
    if user.role == Role.COUNTY_OFFICER:
        return user.federation_id == case.union.federation_id
    return False


def _bool(raw: str | None) -> bool | None:
    return {"true": True, "false": False}.get(raw or "")


def parse_post(post: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The posted form as the survey's nested JSON, and the member rows as typed (for showing
    them again). Text that is not a whole number or a date is passed on as it is, so the
    validator names it; empty means unknown (null)."""
    flat: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.kind == LIST:
            continue
        raw = (post.get(spec.path) or "").strip()
        if spec.kind == BOOL:
            flat[spec.path] = _bool(raw)
        elif spec.kind == INT:
            flat[spec.path] = int(raw) if WHOLE_NUMBER.match(raw) else (raw or None)
        elif spec.kind == DATE:
            flat[spec.path] = raw or None
        else:
            flat[spec.path] = raw or None
    rows: dict[int, dict[str, str]] = {}
    for key in post:
        match = MEMBER_KEY.match(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = (post.get(key) or "").strip()
    typed = [rows[i] for i in sorted(rows)]
    members = []
    for row in typed:
        if not any(row.values()):
            continue  # a blank row is no member
        members.append(
            {"name": row.get("name", ""), **{flag: _bool(row.get(flag)) for flag in MEMBER_FLAGS}}
        )
    flat[MEMBERS] = members
    return unflatten(flat), [row for row in typed if any(row.values())]


def _member_rows(
    members: list[Any], errors: dict[str, list[str]], blank: int
) -> list[dict[str, Any]]:
    rows = []
    for index, member in enumerate(members):
        member = member if isinstance(member, dict) else {}
        rows.append(
            {
                "index": index,
                "name": member.get("name") or "",
                "flags": [
                    {"key": flag, "value": _as_choice(member.get(flag))} for flag in MEMBER_FLAGS
                ],
                "errors": [
                    message
                    for key, messages_ in errors.items()
                    if key == f"{MEMBERS}.{index}" or key.startswith(f"{MEMBERS}.{index}.")
                    for message in messages_
                ],
            }
        )
    for offset in range(blank):
        index = len(members) + offset
        rows.append(
            {
                "index": index,
                "name": "",
                "flags": [{"key": f, "value": ""} for f in MEMBER_FLAGS],
                "errors": [],
            }
        )
    return rows


def _as_choice(value: Any) -> str:
    if value is True or value == "true":
        return "true"
    if value is False or value == "false":
        return "false"
    return ""


def _value(spec: Any, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind == BOOL:
        return _as_choice(value)
    return str(value)


def build_sections(
    case: Case,
    data: dict[str, Any],
    prefilled: set[str],
    errors: dict[str, list[str]],
    blank_members: int,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The form's sections, each with the questions this union must answer first and the rest
    folded away; and the errors that belong to no single field."""
    flat = flatten(data)
    valid = {path: value for path, value in flat.items() if path not in errors}
    needed = required_fields(case.union.union_type, case.track)
    placed: set[str] = set()
    sections = []
    for key, title in SECTIONS.items():
        main, other = [], []
        for spec in (s for s in FIELDS if s.section == key):
            field_errors = errors.get(spec.path, [])
            placed.add(spec.path)
            condition = CONDITIONAL_FIELDS.get(spec.path)
            required = spec.path in needed and (
                condition is None or _holds(condition, valid) is not False
            )
            question = {
                "path": spec.path,
                "id": "f-" + spec.path.replace(".", "-"),
                "kind": spec.kind,
                "label": field_label(spec.path),
                "value": _value(spec, flat.get(spec.path)),
                "required": required,
                "conditional": condition is not None and spec.path in needed,
                "prefilled": spec.path in prefilled,
                "errors": field_errors,
                "min": spec.minimum,
                "max": spec.maximum,
                "max_length": spec.max_length,
            }
            if spec.kind == LIST:
                question["rows"] = _member_rows(flat.get(MEMBERS) or [], errors, blank_members)
                question["errors"] = list(field_errors)
                placed.update(k for k in errors if k.startswith(f"{MEMBERS}."))
            has_value = flat.get(spec.path) not in (None, "", [])
            (main if spec.path in needed or has_value or field_errors else other).append(question)
        group_errors = []
        for path, messages_ in errors.items():
            if path in placed or path == NON_FIELD_ERRORS:
                continue
            if any(s.path.startswith(f"{path}.") for s in FIELDS if s.section == key):
                group_errors.extend(f"{field_label(path)}：{m}" for m in messages_)
                placed.add(path)
        error_count = sum(len(q["errors"]) for q in main + other) + len(group_errors)
        error_count += sum(
            len(r["errors"]) for q in main + other if q["kind"] == LIST for r in q["rows"]
        )
        sections.append(
            {
                "key": key,
                "title": title,
                "questions": main,
                "other": other,
                "group_errors": group_errors,
                "error_count": error_count,
            }
        )
    loose = [m for path, ms in errors.items() if path not in placed for m in ms]
    return sections, loose


def _holds(condition: Any, flat: dict[str, Any]) -> bool | None:
    """A ``CONDITIONAL_FIELDS`` condition on answers as typed: a value of the wrong type (the
    validator names it) leaves the condition unknown."""
    try:
        return condition(flat)
    except TypeError:
        return None


@login_required
def survey_form(request: HttpRequest, pk: int) -> HttpResponse:
    case = load_case(request, pk)
    user: User = request.user
    editable = can_edit(user, case)
    survey = survey_of(case)
    data = survey.data if survey else {}
    prefilled = set(survey.prefilled if survey else [])
    errors: dict[str, list[str]] = {}
    blank = BLANK_MEMBER_ROWS
    status = 200

    if request.method == "POST":
        action = request.POST.get("action", "save")
        data, typed_members = parse_post(request.POST)
        if action == "add_member":
            blank += 1
        else:
            try:
                survey = do_save_survey(case, data, actor=user)
            except InvalidInput as exc:
                errors = exc.errors
                messages.error(
                    request, _("Nothing was saved: please correct the answers marked below.")
                )
                status = 400
            except Conflict as exc:
                messages.error(request, exc.reason)
                return redirect("case-detail", case.pk)
            except ServiceError as exc:
                raise_for_page(exc)  # outside scope: 404; a role that may not: 403
                raise
            else:
                if action != "submit":
                    messages.success(request, _("Draft saved."))
                    return redirect("case-survey", case.pk)
                return _submit(request, case, survey.data)
        if errors and typed_members:
            # Show the members as typed, so a wrong row can be fixed where it is.
            data = {
                **data,
                "committee": {**(data.get("committee") or {}), "members": typed_members},
            }

    sections, loose = build_sections(case, data, prefilled, errors, blank if editable else 0)
    context = {
        "case": case,
        "union": case.union,
        "survey": survey,
        "sections": sections,
        "loose_errors": loose,
        "editable": editable,
        "error_total": sum(s["error_count"] for s in sections) + len(loose),
        "prefilled_count": len(prefilled),
        "member_flags": MEMBER_FLAGS,
    }
    return render(request, "survey/form.html", context, status=status)


def _submit(request: HttpRequest, case: Case, data: dict[str, Any]) -> HttpResponse:
    """Saved; now check what submission needs and fire ``submit_survey``."""
    _cleaned, errors = validate_survey(
        data, today=today(), complete=True, union_type=case.union.union_type, track=case.track
    )
    if errors:
        survey = survey_of(case)
        messages.warning(
            request,
            _(
                "The draft was saved, but the survey cannot be submitted yet: %(count)s answers are missing or wrong."
            )
            % {"count": sum(len(m) for m in errors.values())},
        )
        sections, loose = build_sections(
            case, data, set(survey.prefilled if survey else []), errors, BLANK_MEMBER_ROWS
        )
        context = {
            "case": case,
            "union": case.union,
            "survey": survey,
            "sections": sections,
            "loose_errors": loose,
            "editable": True,
            "error_total": sum(s["error_count"] for s in sections) + len(loose),
            "prefilled_count": len(survey.prefilled) if survey else 0,
            "member_flags": MEMBER_FLAGS,
        }
        return render(request, "survey/form.html", context, status=400)
    try:
        do_transition(case.pk, "submit_survey", actor=request.user)
    except ServiceError as exc:
        raise_for_page(exc)
        messages.error(
            request, getattr(exc, "reason", "") or _("This action is not available now.")
        )
        return redirect("case-survey", case.pk)
    messages.success(request, _("The survey was submitted for review."))
    if request.user.role == Role.UNION_REPORTER:
        return redirect("home")
    return redirect("case-detail", case.pk)
