"""Importing the Excel roster (``inspections.excel``): unions, their cases and surveys, all or nothing.

An upload becomes an ``ImportJob``; a worker thread of the process that received it runs
``run_import`` while the page polls ``GET /api/v1/imports/{id}/``. The run:

1. reads the workbook and parses every cell (state ``checking``; ``done`` counts rows, committed
   as it goes so the poll can show it). Bad cells are collected, not raised;
2. in one transaction (state ``saving``): locks the unions, cases and surveys the rows name,
   matches each row to a union of the county (by credit code, else by name), checks the union
   record and the merged survey with the same validation as the API (``survey.validate_survey``),
   and only when no row has an error writes everything in bulk, with history rows for every
   created or changed union, case and survey (actor and reason ``Excel 导入: <file>``) and the
   events the services would write one at a time (a union's ``create`` or ``update``, a case's
   ``create``), appended in one batch (``workflows.event_batch``);
3. any error rolls the whole transaction back; ``errors`` names each cell by sheet, row and
   column (``工会及调查!F12``) with its message.

An empty cell changes nothing, and a row whose values equal what is stored writes nothing: the
same file imported twice changes nothing the second time (no history row, no event).
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from inspections.rules import track_for
from lib.errors import InvalidInput, RoleForbidden
from unions.models import Federation, Role, Union, UnionType, User
from unions.scope import federation_in_scope
from workflows.event_batch import record_events
from workflows.models import Campaign, Case, Event, Stage

from . import excel, services
from .models import ImportJob, Survey
from .services import EDITABLE_STAGES, apply_survey_data
from .survey import flatten, prefill_from, unflatten, validate_survey

log = logging.getLogger(__name__)

REASON = "Excel 导入: {file_name}"  # the audit reason the brief fixes, in the audit's language
MAX_ERRORS = 1000
PROGRESS_EVERY = 200
BATCH = 500
UNION_DATE_FIELDS = ("founded_on",)


# --- errors ------------------------------------------------------------------------------------


class ImportFailed(Exception):
    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class Errors:
    """Bad cells, in the shape ``ImportJob.errors`` keeps."""

    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(
        self, row: int | None, column: excel.TemplateColumn | None, index: int | None, message: str
    ) -> None:
        self.count += 1
        if len(self.items) >= MAX_ERRORS:
            return
        letter = get_column_letter(index + 1) if index is not None else ""
        self.items.append(
            {
                "sheet": excel.SHEET,
                "row": row,
                "column": letter,
                "label": column.label if column else "",
                "cell": f"{excel.SHEET}!{letter}{row}" if letter and row else "",
                "message": str(message),
            }
        )

    def result(self) -> list[dict[str, Any]]:
        if self.count > len(self.items):
            more = _("%(count)d more errors are not listed.") % {
                "count": self.count - len(self.items)
            }
            return [
                *self.items,
                {
                    "sheet": excel.SHEET,
                    "row": None,
                    "column": "",
                    "label": "",
                    "cell": "",
                    "message": more,
                },
            ]
        return self.items

    def __bool__(self) -> bool:
        return self.count > 0


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The template's columns as found in the file (index → column) and its non-empty rows."""

    columns: dict[int, excel.TemplateColumn]
    rows: list[tuple[int, tuple[Any, ...]]]

    def index_of(self, key: str) -> int | None:
        return next((i for i, c in self.columns.items() if c.key == key), None)


def read_sheet(content: bytes, errors: Errors) -> Sheet | None:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        errors.add(None, None, None, _("This is not an .xlsx file made from the template."))
        return None
    try:
        if excel.SHEET not in workbook.sheetnames:
            errors.add(
                None, None, None, _("The sheet %(sheet)s is missing.") % {"sheet": excel.SHEET}
            )
            return None
        values = workbook[excel.SHEET].iter_rows(values_only=True)
        next(values, None)  # labels, for people
        keys = next(values, None) or ()
        columns: dict[int, excel.TemplateColumn] = {}
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if key is None or str(key).strip() == "":
                continue
            column = excel.COLUMNS_BY_KEY.get(str(key).strip())
            if column is None or column.key in seen:
                message = (
                    _("Unknown column key %(key)s.")
                    if column is None
                    else _("The column %(key)s appears twice.")
                ) % {"key": key}
                errors.add(excel.KEY_ROW, None, index, message)
                continue
            seen.add(column.key)
            columns[index] = column
        if "union.name" not in seen and "union.credit_code" not in seen:
            errors.add(
                excel.KEY_ROW,
                None,
                None,
                _("The hidden row 2 of field keys is missing: start from the template."),
            )
            return None
        rows = [
            (number, row)
            for number, row in enumerate(values, start=excel.FIRST_DATA_ROW)
            if any(value is not None and str(value).strip() != "" for value in row)
        ]
    finally:
        workbook.close()
    return Sheet(columns=columns, rows=rows)


@dataclass
class Row:
    """One parsed row: the union record's cells and the survey's, present cells only."""

    number: int
    union: dict[str, Any]
    survey: dict[str, Any]


def parse_row(sheet: Sheet, number: int, values: tuple[Any, ...], errors: Errors) -> Row:
    row = Row(number=number, union={}, survey={})
    for index, column in sheet.columns.items():
        raw = values[index] if index < len(values) else None
        try:
            value = excel.from_cell(column, raw)
        except excel.CellError as bad:
            errors.add(number, column, index, str(bad))
            continue
        if value is None:
            continue
        name = column.union_field
        if name is None:
            row.survey[column.key] = value
        elif name in UNION_DATE_FIELDS:
            row.union[name] = date.fromisoformat(value)
        elif name == "credit_code":
            row.union[name] = value.upper().replace(" ", "")
        else:
            row.union[name] = value
    return row


def _row_key(row: Row) -> tuple[str, str] | None:
    code = row.union.get("credit_code")
    if code:
        return ("credit_code", code)
    name = row.union.get("name")
    return ("name", name) if name else None


# --- saving ----------------------------------------------------------------------------------


@dataclass
class Plan:
    changed_unions: dict[int, Union] = field(default_factory=dict)
    changed_union_fields: set[str] = field(default_factory=set)
    # Per changed union, each changed field as [old, new]: its ``update`` event's data.
    union_changes: dict[int, dict[str, list[Any]]] = field(default_factory=dict)
    refounded: list[Union] = field(default_factory=list)
    new_cases: list[Case] = field(default_factory=list)
    new_surveys: list[Survey] = field(default_factory=list)
    changed_surveys: list[Survey] = field(default_factory=list)
    unchanged_rows: int = 0


def _column_for(sheet: Sheet, path: str) -> tuple[excel.TemplateColumn | None, int | None]:
    """The column an error of ``path`` belongs to: the field's own, its list's (``committee.
    members.0.name``) or, for a group (``member_evaluation``), the group's first column."""
    for index, column in sheet.columns.items():
        if column.key == path or path.startswith(f"{column.key}."):
            return column, index
    for index, column in sheet.columns.items():
        if column.key.startswith(f"{path}."):
            return column, index
    spec = excel.COLUMNS_BY_KEY.get(path)
    return spec, None


def _union_errors(
    union: Union, row: Row, sheet: Sheet, errors: Errors, reported: list[str]
) -> None:
    """Check the union record as the model does; ``reported`` fields already have their error."""
    try:
        union.full_clean(
            exclude=["federation", *reported], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column, index = _column_for(sheet, f"{excel.UNION_PREFIX}{name}")
            for message in messages:
                errors.add(row.number, column, index, message)


def _plain(value: Any) -> Any:
    """A field value as a union's event keeps it (``unions.services``): a date as ISO."""
    return value.isoformat() if isinstance(value, date) else value


def _apply_union_fields(union: Union, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the row's values on ``union``; each changed field as ``[old, new]``."""
    changed: dict[str, list[Any]] = {}
    for name, value in values.items():
        if getattr(union, name) != value:
            changed[name] = [_plain(getattr(union, name)), _plain(value)]
            setattr(union, name, value)
    # A union that stops being an enterprise (a park) sheds its ownership (park level) unless
    # the row says otherwise; Union.clean() reports what is still inconsistent.
    if "union_type" in changed:
        if (
            union.union_type != UnionType.ENTERPRISE
            and "ownership" not in values
            and union.ownership
        ):
            changed["ownership"] = [union.ownership, ""]
            union.ownership = ""
        if (
            union.union_type != UnionType.INDUSTRIAL_PARK
            and "park_level" not in values
            and union.park_level
        ):
            changed["park_level"] = [union.park_level, ""]
            union.park_level = ""
    return changed


class _Context:
    """What the rows are matched against, loaded (and locked) once for the whole file."""

    def __init__(self, job: ImportJob, rows: list[Row]):
        codes = {row.union["credit_code"] for row in rows if row.union.get("credit_code")}
        names = {row.union["name"] for row in rows if row.union.get("name")}
        self.by_code: dict[str, Union] = {}
        for start in range(0, len(codes), BATCH):
            chunk = sorted(codes)[start : start + BATCH]
            for union in Union.objects.select_for_update().filter(credit_code__in=chunk):
                self.by_code[union.credit_code] = union
        self.by_name: dict[str, list[Union]] = defaultdict(list)
        for start in range(0, len(names), BATCH):
            chunk = sorted(names)[start : start + BATCH]
            for union in Union.objects.select_for_update().filter(
                federation=job.federation, name__in=chunk
            ):
                self.by_name[union.name].append(union)
        for union in self.by_code.values():  # the same row object whichever way it is found
            if union.federation_id == job.federation_id:
                same = self.by_name.get(union.name, [])
                self.by_name[union.name] = [union if u.pk == union.pk else u for u in same]
        known = {u.pk for u in self.by_code.values()} | {
            u.pk for found in self.by_name.values() for u in found
        }
        self.cases: dict[int, Case] = {}
        self.surveys: dict[int, Survey] = {}
        self.previous: dict[int, dict[str, Any]] = {}
        ids = sorted(known)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            for case in Case.objects.select_for_update().filter(
                campaign=job.campaign, union_id__in=chunk
            ):
                self.cases[case.union_id] = case
            for survey in Survey.objects.select_for_update().filter(
                case__campaign=job.campaign, case__union_id__in=chunk
            ):
                self.surveys[survey.case_id] = survey
            older = (
                Survey.objects.filter(
                    case__union_id__in=chunk, case__campaign__year__lt=job.campaign.year
                )
                .order_by("case__union_id", "-case__campaign__year")
                .values_list("case__union_id", "data")
            )
            for union_id, data in older:
                self.previous.setdefault(union_id, data)


def _match(
    row: Row, context: _Context, job: ImportJob, sheet: Sheet, errors: Errors
) -> tuple[Union | None, bool]:
    """The union a row is about: ``(union, found)``; ``(None, False)`` when a new one is to be
    registered, ``(None, True)`` when the row is in error."""
    code = row.union.get("credit_code")
    name = row.union.get("name")
    if code and code in context.by_code:
        union = context.by_code[code]
        if union.federation_id != job.federation_id:
            column, index = _column_for(sheet, "union.credit_code")
            errors.add(
                row.number,
                column,
                index,
                _("This credit code belongs to a union registered outside your county."),
            )
            return None, True
        return union, True
    if name:
        found = context.by_name.get(name, [])
        if len(found) > 1:
            column, index = _column_for(sheet, "union.name")
            errors.add(
                row.number,
                column,
                index,
                _("Several unions of your county have this name: give the credit code."),
            )
            return None, True
        if found:
            union = found[0]
            if code and union.credit_code and union.credit_code != code:
                column, index = _column_for(sheet, "union.credit_code")
                errors.add(
                    row.number,
                    column,
                    index,
                    _("The union of this name has the credit code %(code)s.")
                    % {"code": union.credit_code},
                )
                return None, True
            return union, True
    return None, False


def _earlier_row(row: Row, key: tuple[str, str], seen: dict[tuple[str, str], int]) -> int | None:
    """The earlier row about the same union: same credit code; or, for rows without a code
    (matched by name), the same name, whether or not the earlier row gave a code."""
    if key in seen:
        return seen[key]
    name = row.union.get("name")
    if key[0] == "credit_code":
        return seen.get(("name", name)) if name else None
    return seen.get(("any name", name))


def plan_rows(job: ImportJob, sheet: Sheet, rows: list[Row], errors: Errors) -> Plan:
    """Match and check every row against the locked database state; build what to write."""
    plan = Plan()
    context = _Context(job, rows)
    seen_rows: dict[tuple[str, str], int] = {}
    seen_unions: dict[int, int] = {}
    reference = job.campaign.reference_date
    on = services.today()
    for row in rows:
        key = _row_key(row)
        if key is None:
            column, index = _column_for(sheet, "union.name")
            errors.add(row.number, column, index, _("Give the union's name or credit code."))
            continue
        earlier = _earlier_row(row, key, seen_rows)
        if earlier is not None:
            column, index = _column_for(sheet, f"union.{key[0]}")
            errors.add(
                row.number,
                column,
                index,
                _("This union is already on row %(row)d.") % {"row": earlier},
            )
            continue
        seen_rows.setdefault(key, row.number)
        if row.union.get("name"):
            seen_rows.setdefault(("any name", row.union["name"]), row.number)
        union, found = _match(row, context, job, sheet, errors)
        if union is None and found:
            continue
        missing: list[str] = []
        if union is None:
            union = Union(federation=job.federation)
            for key in excel.REQUIRED_FOR_NEW_UNION:
                name = key[len(excel.UNION_PREFIX) :]
                if name not in row.union:
                    missing.append(name)
                    column, index = _column_for(sheet, key)
                    errors.add(
                        row.number,
                        column or excel.COLUMNS_BY_KEY[key],
                        index,
                        _("This field is required for a new union."),
                    )
            _apply_union_fields(union, row.union)
            union_changed = True
        else:
            if union.pk in seen_unions:
                column, index = _column_for(sheet, "union.name")
                errors.add(
                    row.number,
                    column,
                    index,
                    _("This union is already on row %(row)d.") % {"row": seen_unions[union.pk]},
                )
                continue
            seen_unions[union.pk] = row.number
            old_founded = union.founded_on
            changes = _apply_union_fields(union, row.union)
            union_changed = bool(changes)
            if changes:
                plan.changed_unions[union.pk] = union
                plan.changed_union_fields.update(changes)
                plan.union_changes[union.pk] = changes
                if union.founded_on != old_founded:
                    plan.refounded.append(union)
        if union_changed:
            _union_errors(union, row, sheet, errors, missing)
        if not union.founded_on or not union.union_type:
            continue

        case = context.cases.get(union.pk) if union.pk else None
        track = track_for(union.founded_on, reference)
        if case is None:
            case = Case(campaign=job.campaign, union=union, track=track, stage=Stage.SURVEY)
            plan.new_cases.append(case)
            base = prefill_from(context.previous[union.pk]) if union.pk in context.previous else {}
            survey = Survey(case=case, data=base, prefilled=sorted(flatten(base)))
            plan.new_surveys.append(survey)
        else:
            survey = context.surveys.get(case.pk)
            if survey is None:
                survey = Survey(case=case)
                plan.new_surveys.append(survey)
        flat = flatten(survey.data)
        flat.update(row.survey)
        cleaned, survey_errors = validate_survey(
            unflatten(flat), today=on, union_type=union.union_type, track=track
        )
        for path, messages in survey_errors.items():
            column, index = _column_for(sheet, path)
            for message in messages:
                errors.add(row.number, column, index, message)
        if survey_errors:
            continue
        changed = apply_survey_data(survey, cleaned)
        if changed and survey.pk is not None:
            if case.stage not in EDITABLE_STAGES:
                column, index = _column_for(sheet, sorted(changed)[0])
                errors.add(
                    row.number,
                    column,
                    index,
                    _("The survey can no longer be changed: the case is at stage “%(stage)s”.")
                    % {"stage": Stage(case.stage).label},
                )
                continue
            plan.changed_surveys.append(survey)
        if not union_changed and not changed and case.pk is not None and survey.pk is not None:
            plan.unchanged_rows += 1
    return plan


def _create_audited(objs: list, model: type, *, actor: User, reason: str) -> dict[int, int]:
    """``bulk_create_with_history``, keeping what it drops: the id of each object's history row
    (``pk → history_id``), which its event links to. The history insert returns its ids."""
    model.objects.bulk_create(objs, batch_size=BATCH)
    rows = model.history.bulk_history_create(
        objs, batch_size=BATCH, default_user=actor, default_change_reason=reason
    )
    return {row.id: row.history_id for row in rows or ()}


def _update_audited(
    objs: list, model: type, fields: list[str], *, actor: User, reason: str
) -> dict[int, int]:
    """``bulk_update_with_history``, returning each object's new history row id likewise."""
    model.objects.bulk_update(objs, fields, batch_size=BATCH)
    rows = model.history.bulk_history_create(
        objs, update=True, batch_size=BATCH, default_user=actor, default_change_reason=reason
    )
    return {row.id: row.history_id for row in rows or ()}


def write_plan(plan: Plan, *, actor: User, reason: str) -> dict[str, int]:
    """Write a checked plan in bulk, history and events included: the events the services write
    one at a time (``unions.services``: a union's ``create`` or ``update``;
    ``workflows.services``: a case's ``create``), appended in one batch. Call inside the
    import's transaction."""
    now = timezone.now()
    history = {"default_user": actor, "default_change_reason": reason, "batch_size": BATCH}
    new_unions = [case.union for case in plan.new_cases if case.union.pk is None]
    union_history = _create_audited(new_unions, Union, actor=actor, reason=reason)
    changed_unions = list(plan.changed_unions.values())
    if changed_unions:
        union_history |= _update_audited(
            changed_unions, Union, sorted(plan.changed_union_fields), actor=actor, reason=reason
        )
    if plan.refounded:
        from workflows.services import recompute_tracks

        for union in plan.refounded:
            recompute_tracks(union, actor=actor, reason=reason)
    # bulk_create takes each case's union key from its union, saved just above.
    case_history = _create_audited(plan.new_cases, Case, actor=actor, reason=reason)

    def union_event(union: Union, action: str, data: dict[str, Any]) -> Event:
        return Event(
            subject=Event.Subject.UNION,
            subject_id=union.pk,
            federation_id=union.federation_id,
            actor=actor,
            action=action,
            comment=reason,
            data={"name": union.name, **data},
            history_id=union_history.get(union.pk),
        )

    record_events(
        [
            *(union_event(union, "create", {}) for union in new_unions),
            *(
                union_event(union, "update", {"changes": plan.union_changes[union.pk]})
                for union in changed_unions
            ),
            *(
                Event(
                    subject=Event.Subject.CASE,
                    subject_id=case.pk,
                    case=case,
                    federation_id=case.union.federation_id,
                    actor=actor,
                    action="create",
                    to_stage=case.stage,
                    comment=reason,
                    history_id=case_history.get(case.pk),
                )
                for case in plan.new_cases
            ),
        ]
    )
    bulk_create_with_history(plan.new_surveys, Survey, **history)
    for survey in plan.changed_surveys:
        survey.updated_at = now
    if plan.changed_surveys:
        bulk_update_with_history(
            plan.changed_surveys, Survey, ["data", "prefilled", "typed", "updated_at"], **history
        )
    return {
        "unions_created": len(new_unions),
        "unions_updated": len(plan.changed_unions),
        "cases_opened": len(plan.new_cases),
        "surveys_created": len(plan.new_surveys),
        "surveys_updated": len(plan.changed_surveys),
        "rows_unchanged": plan.unchanged_rows,
    }


# --- the job -------------------------------------------------------------------------------------


def _progress(job: ImportJob, **values: Any) -> None:
    """Record progress at once (outside any transaction), so the poll sees it."""
    for name, value in values.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**values)  # not audited: an operational record


def run_import(job_id: int, *, progress_every: int = PROGRESS_EVERY) -> ImportJob:
    """Process one job to the end (``done`` or ``failed``). Safe to run again on a job left
    unfinished by a stopped process: nothing of an unfinished run was committed."""
    job = ImportJob.objects.select_related("campaign", "federation", "created_by").get(pk=job_id)
    if job.state in ImportJob.FINISHED:
        return job
    language = job.language or getattr(job.created_by, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        return _run_job(job, progress_every)


def _run_job(job: ImportJob, progress_every: int) -> ImportJob:
    _progress(job, state=ImportJob.State.CHECKING, started_at=timezone.now(), done=0, total=0)
    errors = Errors()
    summary: dict[str, Any] = {}
    try:
        summary = _run(job, errors, progress_every)
    except ImportFailed:
        pass
    except Exception:
        log.exception("import %s failed", job.pk)
        errors.add(None, None, None, _("The import failed unexpectedly; nothing was saved."))
    state = ImportJob.State.FAILED if errors else ImportJob.State.DONE
    _progress(
        job,
        state=state,
        errors=errors.result(),
        summary=summary if not errors else {},
        finished_at=timezone.now(),
    )
    return job


def _run(job: ImportJob, errors: Errors, progress_every: int) -> dict[str, Any]:
    sheet = read_sheet(bytes(job.content), errors)
    if sheet is None:
        raise ImportFailed(errors.items)
    _progress(job, total=len(sheet.rows))
    rows = []
    for count, (number, values) in enumerate(sheet.rows, start=1):
        rows.append(parse_row(sheet, number, values, errors))
        if count % progress_every == 0:
            _progress(job, done=count)
    _progress(job, done=len(rows), state=ImportJob.State.SAVING)
    reason = REASON.format(file_name=job.file_name)
    with transaction.atomic():
        plan = plan_rows(job, sheet, rows, errors)
        if errors:
            raise ImportFailed(errors.items)
        summary = write_plan(plan, actor=job.created_by, reason=reason)
    previous = (
        ImportJob.objects.filter(file_sha256=job.file_sha256, state=ImportJob.State.DONE)
        .exclude(pk=job.pk)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    return {"rows": len(rows), **summary, "same_file_as": previous}


def do_start_import(
    *,
    actor: User,
    campaign: Campaign,
    federation: Federation | None,
    file_name: str,
    content: bytes,
    start: bool = True,
) -> ImportJob:
    """Accept an upload and start its worker once the job is committed.

    County officers import into their own county; federation officers name the county.
    """
    if actor.role not in (Role.COUNTY_OFFICER, Role.FEDERATION_OFFICER):
        raise RoleForbidden()
    if federation is None and actor.role == Role.COUNTY_OFFICER:
        federation = actor.federation
    errors: dict[str, list[str]] = {}
    if federation is None:
        errors["federation"] = [_("Choose the county the roster belongs to.")]
    elif not federation_in_scope(actor, federation.pk):
        errors["federation"] = [_("You may only import unions of your own county.")]
    if not file_name.lower().endswith(".xlsx"):
        errors["file"] = [_("Upload the .xlsx file made from the template.")]
    elif len(content) > settings.UPLOAD_MAX_BYTES:
        errors["file"] = [
            _("The file is larger than %(size)d MB.") % {"size": settings.UPLOAD_MAX_BYTES // 2**20}
        ]
    elif not content:
        errors["file"] = [_("The file is empty.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            federation=federation,
            campaign=campaign,
            file_name=file_name[-200:],
            file_sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            language=translation.get_language() or "",
        )
        if start:
            transaction.on_commit(lambda: start_worker(job.pk))
    return job


# Imports run in threads of the process that took the upload; at most two at a time, so an
# office uploading at once does not starve the web requests of database connections.
_slots = threading.BoundedSemaphore(2)
_workers: dict[int, threading.Thread] = {}


def start_worker(job_id: int) -> threading.Thread:
    thread = threading.Thread(target=_work, args=(job_id,), name=f"import-{job_id}", daemon=True)
    _workers[job_id] = thread
    thread.start()
    return thread


def _work(job_id: int) -> None:
    with _slots:
        try:
            run_import(job_id)
        except Exception:
            log.exception("import worker %s stopped", job_id)
        finally:
            connections.close_all()
            _workers.pop(job_id, None)


def wait_for(job_id: int, timeout: float | None = None) -> bool:
    """Block until the job's worker in this process has finished; False on timeout."""
    thread = _workers.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def job_as_dict(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "file_name": job.file_name,
        "file_sha256": job.file_sha256,
        "campaign": job.campaign_id,
        "federation": job.federation.code,
        "total": job.total,
        "done": job.done,
        "errors": job.errors,
        "summary": job.summary,
        "created_at": timezone.localtime(job.created_at).isoformat(),
        "finished_at": timezone.localtime(job.finished_at).isoformat() if job.finished_at else None,
    }


def visible_import_jobs(user: User):
    qs = ImportJob.objects.select_related("federation").defer("content")
    if not user.is_authenticated:
        return qs.none()
    if user.reads_everything:
        return qs
    if user.role == Role.COUNTY_OFFICER:
        return qs.filter(federation_id=user.federation_id)
    return qs.none()
