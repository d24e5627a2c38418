"""The Excel roster: the template county officers fill in, and the conversion of its cells.

One sheet, ``工会及调查``: row 1 heads each column with its Chinese label, row 2 (hidden) holds the
column's dotted key (``union.name``, ``chair.elected_lawfully``…), data starts on row 3. The keys,
not the labels, tell the import what a column is, so a template keeps working when labels are
reworded or columns are moved. Union columns come first, then every survey field in the order of
``survey.FIELDS``. Enumerations and 是/否 answers get drop-down lists, counts and dates get Excel's
own validation, and a second sheet explains how to fill it in.

Labels and choices are the annex's Chinese wording (``rules.FIELD_NAMES_ZH`` and the names of
union types, ownerships and park levels): the template is a Chinese form. The instructions are
translated text.

Cells convert both ways here (``to_cell`` for writing, ``from_cell`` for reading), so a file
written by ``build_template`` imports back to exactly the same values.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lib.text import join_list
from lib.xlsx import neutralise, restore

from . import rules
from .survey import BOOL, DATE, FIELDS, INT, LIST, STR, flatten

SHEET = "工会及调查"
INSTRUCTIONS_SHEET = "填写说明"
LABEL_ROW = 1
KEY_ROW = 2
FIRST_DATA_ROW = 3
BLANK_ROWS = 500  # rows below the data that keep the drop-downs, for new unions

YES, NO = "是", "否"
ENUM = "enum"
MEMBERS = "members"

# The union record's columns: key -> (model field, Chinese label, kind).
UNION_PREFIX = "union."
_UNION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "工会名称", STR),
    ("union_type", rules.FIELD_NAMES_ZH["union_type"], ENUM),
    ("ownership", rules.FIELD_NAMES_ZH["ownership"], ENUM),
    ("park_level", rules.FIELD_NAMES_ZH["park_level"], ENUM),
    ("founded_on", rules.FIELD_NAMES_ZH["founded_on"], DATE),
    ("credit_code", "统一社会信用代码", STR),
    ("address", "地址", STR),
    ("contact_name", "联系人", STR),
    ("contact_phone", "联系电话", STR),
)
_CHOICES: dict[str, Mapping[str, str]] = {
    "union_type": rules.UNION_TYPE_NAMES,
    "ownership": rules.OWNERSHIP_NAMES,
    "park_level": rules.PARK_LEVEL_NAMES,
}
_MEMBER_FLAGS = {
    "is_admin_head": "行政负责人",
    "is_partner": "合伙人",
    "is_relative_of_admin": "近亲属",
}
_UNKNOWN_FLAGS = "待核实"
_MEMBER_SEPARATORS = re.compile(r"[；;\n]+")
_MEMBER = re.compile(r"^(?P<name>[^\[［]+?)\s*(?:[\[［](?P<flags>[^\]］]*)[\]］])?$")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True, slots=True)
class TemplateColumn:
    """One column: ``key`` (``union.<field>`` or a survey path), Chinese ``label``, ``kind`` (a
    survey kind, ``enum`` or ``members``), ``choices`` (code → Chinese name) for enums."""

    key: str
    label: str
    kind: str
    choices: Mapping[str, str] = field(default_factory=dict)

    @property
    def union_field(self) -> str | None:
        return self.key[len(UNION_PREFIX) :] if self.key.startswith(UNION_PREFIX) else None


COLUMNS: tuple[TemplateColumn, ...] = (
    *(
        TemplateColumn(f"{UNION_PREFIX}{name}", label, kind, _CHOICES.get(name, {}))
        for name, label, kind in _UNION_COLUMNS
    ),
    *(
        TemplateColumn(
            spec.path, rules.FIELD_NAMES_ZH[spec.path], MEMBERS if spec.kind == LIST else spec.kind
        )
        for spec in FIELDS
    ),
)
COLUMNS_BY_KEY: dict[str, TemplateColumn] = {column.key: column for column in COLUMNS}
REQUIRED_FOR_NEW_UNION = ("union.name", "union.union_type", "union.founded_on")


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message is for the officer."""


# --- cells ---------------------------------------------------------------------------------------


def format_members(members: Iterable[Mapping[str, Any]]) -> str:
    """Committee members in one cell: ``李强；张伟[行政负责人]；王五[合伙人,待核实]``.

    A bare name means none of the three conflicts applies; listed flags are true; ``待核实``
    marks the unlisted ones as unknown rather than false.
    """
    parts = []
    for member in members:
        name = str(member.get("name") or "").strip()
        flags = [label for key, label in _MEMBER_FLAGS.items() if member.get(key) is True]
        if any(member.get(key) is None for key in _MEMBER_FLAGS):
            flags.append(_UNKNOWN_FLAGS)
        parts.append(f"{name}[{','.join(flags)}]" if flags else name)
    return "；".join(parts)


def parse_members(text: str) -> list[dict[str, Any]]:
    names = {label: key for key, label in _MEMBER_FLAGS.items()}
    members = []
    for part in _MEMBER_SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        match = _MEMBER.match(part)
        if match is None:
            raise CellError(_("Write each member as a name, optionally followed by [flags]."))
        flags = [f.strip() for f in re.split(r"[,，、]", match["flags"] or "") if f.strip()]
        unknown = [f for f in flags if f not in names and f != _UNKNOWN_FLAGS]
        if unknown:
            raise CellError(
                _("Unknown mark %(mark)s; use %(marks)s.")
                % {"mark": unknown[0], "marks": "、".join([*names, _UNKNOWN_FLAGS])}
            )
        default = None if _UNKNOWN_FLAGS in flags else False
        member: dict[str, Any] = {"name": match["name"].strip()}
        for key, label in _MEMBER_FLAGS.items():
            member[key] = True if label in flags else default
        members.append(member)
    return members


def to_cell(column: TemplateColumn, value: Any) -> Any:
    """A stored value as the template shows it (None stays an empty cell)."""
    if value is None or value == "":
        return None
    if column.kind == BOOL:
        return YES if value else NO
    if column.kind == ENUM:
        return column.choices.get(value, value)
    if column.kind == DATE:
        return date.fromisoformat(value) if isinstance(value, str) else value
    if column.kind == MEMBERS:
        return neutralise(format_members(value)) or None
    if column.kind == STR:
        return neutralise(str(value))
    return value


def from_cell(column: TemplateColumn, raw: Any) -> Any:
    """A cell's value as the survey or the union record takes it; ``None`` for an empty cell.
    Raises ``CellError`` when the cell cannot be read as the column's kind."""
    if isinstance(raw, str):
        raw = restore(raw.strip())
        if raw == "":
            return None
    if raw is None:
        return None
    kind = column.kind
    if kind == BOOL:
        return _bool(raw)
    if kind == INT:
        return _int(raw)
    if kind == DATE:
        return _date(raw)
    if kind == ENUM:
        return _enum(column, raw)
    if kind == MEMBERS:
        return parse_members(str(raw))
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a phone number or code typed as a number
    return str(raw)


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in (YES, "true", "y", "yes", "1", "√"):
        return True
    if text in (NO, "false", "n", "no", "0", "×"):
        return False
    raise CellError(_("Enter %(yes)s or %(no)s.") % {"yes": YES, "no": NO})


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError(_("Enter a whole number."))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw.replace(",", "")):
        return int(raw.replace(",", ""))
    raise CellError(_("Enter a whole number."))


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    match = _DATE_TEXT.match(str(raw).strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            pass
    raise CellError(_("Enter a date such as 2022-06-30."))


def _enum(column: TemplateColumn, raw: Any) -> str:
    text = str(raw).strip()
    for code, name in column.choices.items():
        if text in (name, code):
            return code
    raise CellError(
        _("Choose one of: %(choices)s.") % {"choices": "、".join(column.choices.values())}
    )


# --- the template ----------------------------------------------------------------------------------

_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_UNION_FILL = PatternFill("solid", fgColor="FCE4D6")


def _validation(column: TemplateColumn) -> DataValidation | None:
    if column.kind == BOOL:
        return DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    if column.kind == ENUM:
        return DataValidation(
            type="list", formula1='"' + ",".join(column.choices.values()) + '"', allow_blank=True
        )
    if column.kind == INT:
        return DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
    if column.kind == DATE:
        return DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1949,10,1)",
            formula2="DATE(2100,12,31)",
            allow_blank=True,
        )
    return None


def _width(column: TemplateColumn) -> int:
    if column.kind == MEMBERS or column.key in ("union.name", "union.address"):
        return 30
    return min(24, max(8, len(column.label) * 2))


def build_template(rows: Iterable[Mapping[str, Any]] = ()) -> bytes:
    """The .xlsx template, with ``rows`` (mappings of column key → stored value) filled in.

    Filled rows let an officer change only what changed since (减负): a re-import of an
    unchanged file changes nothing.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        label = sheet.cell(row=LABEL_ROW, column=index, value=column.label)
        label.font = Font(bold=True)
        label.alignment = Alignment(wrap_text=True, vertical="center")
        label.fill = _UNION_FILL if column.union_field else _HEAD_FILL
        key = sheet.cell(row=KEY_ROW, column=index, value=column.key)
        key.data_type = "s"
        sheet.column_dimensions[letter].width = _width(column)
    sheet.row_dimensions[LABEL_ROW].height = 45
    sheet.row_dimensions[KEY_ROW].hidden = True
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=2)

    count = 0
    for count, row in enumerate(rows, start=1):
        number = FIRST_DATA_ROW + count - 1
        for index, column in enumerate(COLUMNS, start=1):
            value = to_cell(column, row.get(column.key))
            if value is None:
                continue
            cell = sheet.cell(row=number, column=index, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif column.kind == DATE:
                cell.number_format = "yyyy-mm-dd"

    last = FIRST_DATA_ROW + count + BLANK_ROWS
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        if column.kind == DATE:
            for number in range(FIRST_DATA_ROW + count, last + 1):
                sheet.cell(row=number, column=index).number_format = "yyyy-mm-dd"
        validation = _validation(column)
        if validation is None:
            continue
        validation.error = _("Choose or enter a valid value.")
        validation.errorTitle = column.label
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")

    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _kind_text(column: TemplateColumn) -> str:
    if column.kind == BOOL:
        return _("%(yes)s or %(no)s") % {"yes": YES, "no": NO}
    if column.kind == ENUM:
        return _("one of: %(choices)s") % {"choices": "、".join(column.choices.values())}
    if column.kind == INT:
        return _("a whole number, 0 or more")
    if column.kind == DATE:
        return _("a date, e.g. 2022-06-30")
    if column.kind == MEMBERS:
        return _(
            "names separated by ；, each followed by [%(flags)s] when it applies, "
            "or [%(unknown)s] when not yet known"
        ) % {"flags": ",".join(_MEMBER_FLAGS.values()), "unknown": _UNKNOWN_FLAGS}
    return _("text")


def _write_instructions(sheet) -> None:
    lines = [
        _("How to fill in this roster"),
        _(
            "One row per grassroots union of your county, from row 3 of the sheet %(sheet)s. "
            "Do not change row 1 or the hidden row 2: the import reads the columns by row 2."
        )
        % {"sheet": SHEET},
        _(
            "A union is recognised by its unified social credit code, or else by its name within "
            "your county; an unknown union is registered. Its case in the chosen campaign is "
            "opened when it has none."
        ),
        _(
            "An empty cell changes nothing. Name, union type and founding date are needed for a "
            "new union."
        ),
        _(
            "The file is imported all or nothing: if one cell is wrong, nothing is saved and "
            "every wrong cell is listed with its sheet, row and column."
        ),
    ]
    for number, line in enumerate(lines, start=1):
        cell = sheet.cell(row=number, column=1, value=line)
        if number == 1:
            cell.font = Font(bold=True, size=13)
    header = len(lines) + 2
    for index, title in enumerate((_("Column"), _("Key"), _("What to enter")), start=1):
        sheet.cell(row=header, column=index, value=title).font = Font(bold=True)
    for number, column in enumerate(COLUMNS, start=header + 1):
        sheet.cell(row=number, column=1, value=column.label)
        sheet.cell(row=number, column=2, value=column.key)
        sheet.cell(row=number, column=3, value=_kind_text(column))
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 70


# --- filled template and exports -------------------------------------------------------------------


def template_rows(unions, campaign) -> list[dict[str, Any]]:
    """Rows for ``build_template``: each union's record and its survey in ``campaign`` (or, when
    it has none yet, what the previous campaign would pre-fill), so only changes are typed."""
    from .models import Survey
    from .survey import prefill_from

    unions = list(unions.select_related(None).order_by("name", "id"))
    ids = [union.pk for union in unions]
    current: dict[int, dict[str, Any]] = {}
    previous: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        surveys = (
            Survey.objects.filter(case__union_id__in=chunk, case__campaign__year__lte=campaign.year)
            .order_by("case__union_id", "-case__campaign__year")
            .values_list("case__union_id", "case__campaign_id", "data")
        )
        for union_id, campaign_id, data in surveys:
            if campaign_id == campaign.pk:
                current[union_id] = data
            else:
                previous.setdefault(union_id, data)
    rows = []
    for union in unions:
        data = current.get(union.pk)
        if data is None:
            data = prefill_from(previous[union.pk]) if union.pk in previous else {}
        row = {
            f"{UNION_PREFIX}{name}": getattr(union, name) for name, _label, _kind in _UNION_COLUMNS
        }
        row.update(flatten(data))
        rows.append(row)
    return rows


def export_unions(unions, campaign) -> bytes:
    """The union list as .xlsx: each union with its case in ``campaign`` (track, stage, score,
    whether it meets its standard, the rules unmet and those still needing review)."""
    from lib.xlsx import Column, write_workbook
    from unions.models import UnionType
    from workflows.models import Case, Stage, Track

    from .models import Assessment, Finding

    unions = unions.select_related("federation").order_by("federation__code", "name", "id")
    cases: dict[int, Any] = {}
    latest: dict[int, Any] = {}
    flagged: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if campaign is not None:
        in_scope = unions.order_by().values("pk")
        for case in Case.objects.filter(campaign=campaign, union__in=in_scope).only(
            "id", "union_id", "track", "stage"
        ):
            cases[case.union_id] = case
        for assessment in (
            Assessment.objects.filter(case__campaign=campaign, case__union__in=in_scope)
            .only("id", "case_id", "run", "score", "meets_standard")
            .order_by("case_id", "run")
        ):
            latest[assessment.case_id] = assessment  # the last run wins
        ids = [a.pk for a in latest.values()]
        order = {rule: index for index, rule in enumerate(rules.RULES)}
        for start in range(0, len(ids), 500):
            for assessment_id, rule, outcome in Finding.objects.filter(
                assessment_id__in=ids[start : start + 500],
                outcome__in=[rules.UNMET, rules.NEEDS_REVIEW],
            ).values_list("assessment_id", "rule", "outcome"):
                flagged[assessment_id][outcome].append(rule)
        for outcomes in flagged.values():
            for found in outcomes.values():
                found.sort(key=lambda rule: order.get(rule, len(order)))

    def rows():
        for union in unions.iterator(chunk_size=2000):
            case = cases.get(union.pk)
            assessment = latest.get(case.pk) if case else None
            found = flagged.get(assessment.pk, {}) if assessment else {}
            yield {
                "name": union.name,
                "federation": union.federation.name,
                "union_type": UnionType(union.union_type).label if union.union_type else "",
                "credit_code": union.credit_code,
                "founded_on": union.founded_on,
                "track": Track(case.track).label if case else "",
                "stage": Stage(case.stage).label if case else "",
                "score": assessment.score if assessment else None,
                "meets_standard": (_("Yes") if assessment.meets_standard else _("No"))
                if assessment
                else "",
                "unmet": join_list(found.get(rules.UNMET, [])),
                "needs_review": join_list(found.get(rules.NEEDS_REVIEW, [])),
            }

    columns = [
        Column("name", _("Union"), 36),
        Column("federation", _("Federation"), 16),
        Column("union_type", _("Union type"), 20),
        Column("credit_code", _("Credit code"), 22),
        Column("founded_on", _("Founded on"), 12),
        Column("track", _("Track"), 20),
        Column("stage", _("Stage"), 14),
        Column("score", _("Score"), 8),
        Column("meets_standard", _("Meets standard"), 10),
        Column("unmet", _("Unmet rules"), 24),
        Column("needs_review", _("Rules needing review"), 24),
    ]
    return write_workbook(rows(), columns, title=_("Unions"))
