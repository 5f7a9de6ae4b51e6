"""Writing workbooks with openpyxl: XLSForms, templates and exports. Every text cell is
written as text (never as a formula) and neutralised against formula injection."""

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from batea.domain.fielddata.cells import neutralise

HEADER_FONT = Font(bold=True)


def safe_value(value: Any) -> Any:
    """A value openpyxl stores as data: neutralised text; UUIDs and other objects as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):
        return value
    return neutralise(str(value))


def text_cell(sheet, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=safe_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    if bold:
        cell.font = HEADER_FONT
    return cell


def write_sheets(sheets: Iterable[tuple[str, list[str], Iterable[Iterable[Any]]]]) -> bytes:
    """A workbook of (title, header, rows) sheets, written in streaming (write-only) mode."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([text_cell(sheet, name, bold=True) for name in header])
        for row in rows:
            sheet.append([text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsform_bytes(form) -> bytes:
    """An XLSForm (`batea.domain.fielddata.xlsform.XLSForm`) as an .xlsx workbook."""
    settings_columns = list(form.settings)
    return write_sheets(
        [
            (
                "survey",
                form.survey_columns,
                ([row.get(c, "") for c in form.survey_columns] for row in form.survey),
            ),
            (
                "choices",
                form.choice_columns,
                ([row.get(c, "") for c in form.choice_columns] for row in form.choices),
            ),
            ("settings", settings_columns, [[form.settings[c] for c in settings_columns]]),
        ]
    )
