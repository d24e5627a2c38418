"""Writing lists to .xlsx (DESIGN.md: officers live in Excel, so every list exports).

One rule matters beyond layout: a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return) would be read by Excel as a formula when the file is opened, so a union
named ``=HYPERLINK("http://…")`` could run in an officer's spreadsheet (CSV/formula injection,
OWASP). ``neutralise`` prefixes such text with an apostrophe and the cell is written as a plain
string; ``restore`` undoes it when a file of ours is imported back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: ``key`` picks the value from a row mapping, ``label`` heads it."""

    key: str
    label: str
    width: int | None = None


def neutralise(value: Any) -> Any:
    """A value safe to put in a cell: text that Excel would take for a formula gets a leading
    apostrophe; numbers, dates and booleans pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """The inverse of ``neutralise`` for text read back from one of our files."""
    if (
        isinstance(value, str)
        and value.startswith(QUOTE)
        and value[1:].startswith(FORMULA_TRIGGERS)
    ):
        return value[1:]
    return value


def cell_value(value: Any) -> Any:
    """A Python value as openpyxl should store it: aware datetimes in local time without their
    offset (Excel has no time zones), Decimals as numbers, lists joined, text neutralised."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, Decimal | date | bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        value = "、".join(str(item) for item in value)
    return neutralise(str(value))


def _cell(sheet, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever openpyxl would guess
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _width(column: Column) -> int:
    if column.width:
        return column.width
    # CJK characters are about twice as wide as Latin ones.
    return min(40, max(8, sum(2 if ord(ch) > 0x2E80 else 1 for ch in column.label) + 2))


def write_workbook(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[Column | tuple[str, str]],
    *,
    title: str = "Sheet1",
) -> bytes:
    """One sheet: a bold header row of the columns' labels, then one row per item of ``rows``
    (a mapping read by column key, or a sequence in column order). Streams through openpyxl's
    write-only mode, so 20,000 rows cost little memory. Returns the .xlsx file's bytes."""
    cols = [c if isinstance(c, Column) else Column(*c) for c in columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, column.label, bold=True) for column in cols])
    for row in rows:
        values = [row.get(c.key) for c in cols] if isinstance(row, Mapping) else list(row)
        sheet.append([_cell(sheet, value) for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
