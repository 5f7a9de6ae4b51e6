"""Reading a file of records — CSV, XLSX, JSON (Kobo API) or GeoJSON — into rows of cells.

Nothing in a file is executed or trusted: text must be UTF-8, spreadsheet formulas come
back as the formula's text (never a computed value) for the checks to refuse, workbooks
are inspected for their uncompressed size before they are opened, and JSON numbers that
overflow are refused. Every problem names the file and, where it is known, the row.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from batea.domain.messages import Problem, gettext_noop

MAX_FILE_BYTES = 50 * 1024 * 1024
# A workbook is a zip: refuse one that would unpack to more than this (a zip bomb).
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
MAX_ROWS = 500_000
MAX_COLUMNS = 2_000
MAX_CSV_FIELD = 40_000  # characters; above Excel's own cell limit
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


@dataclass
class Row:
    line: int  # spreadsheet row (the header is row 1) or JSON record number (from 1)
    cells: dict[str, Any]


@dataclass
class Table:
    """Rows of a file under its header. `kind` says what the file was read as."""

    name: str
    kind: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    features: list[dict] = field(default_factory=list)  # GeoJSON geometries, by row
    truncated: bool = False

    def problem(self, template: str, params: dict | None = None, line=None, column="") -> None:
        self.problems.append(Problem(column, template, params or {}, self.name, line))

    @property
    def ok(self) -> bool:
        return not self.problems


def sniff_kind(content: bytes, name: str = "") -> str:
    """ "xlsx", "xls", "json" or "csv", from the content (the name only breaks ties)."""
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if content.startswith(OLE_MAGIC):
        return "xls"
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    if name.lower().endswith((".json", ".geojson")) and not head:
        return "json"
    return "csv"


def read_table(content: bytes, name: str = "", sheet: str | None = None) -> Table:
    """Read any supported file into a Table; problems say why it could not be read."""
    table = Table(name)
    if not content or not content.strip():
        table.problem(gettext_noop("The file is empty."))
        return table
    if len(content) > MAX_FILE_BYTES:
        table.problem(
            gettext_noop("The file is larger than %(limit)s MB."),
            {"limit": MAX_FILE_BYTES // 2**20},
        )
        return table
    kind = sniff_kind(content, name)
    table.kind = kind
    if kind == "xls":
        table.problem(
            gettext_noop(
                "This is the old Excel 97–2003 format (.xls); save it as .xlsx or as CSV UTF-8."
            )
        )
        return table
    if kind == "xlsx":
        _read_xlsx(content, table, sheet)
    elif kind == "json":
        _read_json(content, table)
    else:
        _read_csv(content, table)
    if table.ok and not table.rows:
        table.problem(gettext_noop("The file has no rows of data under its header."))
    return table


def decode_utf8(content: bytes, table: Table) -> str | None:
    """UTF-8 text (a byte-order mark is dropped); other encodings are refused with the line
    of the first byte that is not UTF-8."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        table.problem(
            gettext_noop(
                "The file is not UTF-8 text (first bad byte on line %(line)s); save it as "
                "“CSV UTF-8” or export it again as UTF-8."
            ),
            {"line": line},
            line=line,
        )
        return None


def _set_header(table: Table, header: list[Any], line: int = 1) -> list[str] | None:
    columns = [("" if cell is None else str(cell)).strip() for cell in header]
    while columns and not columns[-1]:
        columns.pop()
    if not any(columns):
        table.problem(gettext_noop("The first row must name the columns."), line=line)
        return None
    if len(columns) > MAX_COLUMNS:
        table.problem(
            gettext_noop("The file has %(count)s columns; at most %(limit)s are read."),
            {"count": len(columns), "limit": MAX_COLUMNS},
            line=line,
        )
        return None
    seen: dict[str, int] = {}
    for index, column in enumerate(columns):
        if column and column in seen:
            table.problem(
                gettext_noop("The column %(column)s appears twice in the header."),
                {"column": column, "value": column},
                line=line,
                column=column,
            )
        seen.setdefault(column, index)
    table.columns = columns
    return columns


def _add_row(table: Table, columns: list[str], values: list[Any], line: int) -> None:
    if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
        return  # blank rows are skipped
    extra = [v for v in values[len(columns) :] if v not in (None, "")]
    if extra:
        table.problem(
            gettext_noop("The row has %(count)s values but the header names %(columns)s columns."),
            {"count": len(columns) + len(extra), "columns": len(columns)},
            line=line,
        )
        return
    cells = {}
    for index, column in enumerate(columns):
        value = values[index] if index < len(values) else None
        if not column:
            if value not in (None, ""):
                table.problem(
                    gettext_noop("A value stands in a column without a name (column %(n)s)."),
                    {"n": index + 1, "value": str(value)[:80]},
                    line=line,
                )
            continue
        cells[column] = value
    if len(table.rows) >= MAX_ROWS:
        if not table.truncated:
            table.truncated = True
            table.problem(
                gettext_noop("The file has more than %(limit)s rows; split it."),
                {"limit": MAX_ROWS},
                line=line,
            )
        return
    table.rows.append(Row(line, cells))


def _read_csv(content: bytes, table: Table) -> None:
    text = decode_utf8(content, table)
    if text is None:
        return
    if "\x00" in text:
        table.problem(gettext_noop("The file contains NUL characters: it is not a text file."))
        return
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CSV_FIELD)
    try:
        columns = None
        for values in reader:
            line = reader.line_num
            if columns is None:
                columns = _set_header(table, values, line)
                if columns is None:
                    return
                continue
            _add_row(table, columns, values, line)
    except csv.Error as error:
        table.problem(
            gettext_noop("The CSV cannot be read: %(error)s."),
            {"error": str(error)},
            line=reader.line_num,
        )
    finally:
        csv.field_size_limit(previous_limit)


def _read_xlsx(content: bytes, table: Table, sheet: str | None) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        table.problem(gettext_noop("The file is not a readable Excel workbook (.xlsx)."))
        return
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        table.problem(
            gettext_noop("The workbook unpacks to more than %(limit)s MB; it is refused."),
            {"limit": MAX_UNCOMPRESSED_BYTES // 2**20},
        )
        return
    from openpyxl import load_workbook  # plain Python; imported here to keep startup light

    try:
        # data_only=False: a formula comes back as its text, never as a cached result.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for damaged files
        table.problem(
            gettext_noop("The file is not a readable Excel workbook (.xlsx): %(error)s"),
            {"error": type(error).__name__},
        )
        return
    try:
        if sheet and sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        columns = None
        for line, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if columns is None:
                if all(v is None for v in values):
                    continue
                columns = _set_header(table, list(values), line)
                if columns is None:
                    return
                continue
            _add_row(table, columns, list(values), line)
            if table.truncated:
                break
    finally:
        workbook.close()


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _read_json(content: bytes, table: Table) -> None:
    text = decode_utf8(content, table)
    if text is None:
        return
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        table.problem(gettext_noop("The JSON is nested too deeply."))
        return
    except ValueError as error:
        line = getattr(error, "lineno", None)
        table.problem(
            gettext_noop("The file is not valid JSON: %(error)s"),
            {"error": getattr(error, "msg", str(error))},
            line=line,
        )
        return
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        table.kind = "geojson"
        _read_features(data, table)
        return
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        records = data["results"]  # the KoboToolbox API: {"count": …, "results": [...]}
    elif isinstance(data, list):
        records = data
    else:
        table.problem(
            gettext_noop(
                'Expected a list of records, or the KoboToolbox API shape {"results": [...]}.'
            )
        )
        return
    columns: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            table.problem(gettext_noop("Record %(n)s is not an object."), {"n": number}, number)
            continue
        for key in record:
            columns.setdefault(str(key), None)
        if len(table.rows) >= MAX_ROWS:
            table.problem(
                gettext_noop("The file has more than %(limit)s rows; split it."),
                {"limit": MAX_ROWS},
            )
            return
        table.rows.append(Row(number, {str(k): v for k, v in record.items()}))
    table.columns = list(columns)


def _read_features(data: dict, table: Table) -> None:
    crs = data.get("crs")
    if crs is not None:
        crs_name = (
            str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
        )
        if not is_wgs84(crs_name):
            table.problem(
                gettext_noop(
                    "The data set declares the coordinate system %(crs)s; only WGS84 "
                    "(EPSG:4326, longitude/latitude) is read. Convert it first."
                ),
                {"crs": crs_name or str(crs)[:60]},
            )
            return
    features = data.get("features")
    if not isinstance(features, list):
        table.problem(gettext_noop("A FeatureCollection needs a list of features."))
        return
    columns: dict[str, None] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            table.problem(
                gettext_noop("Feature %(n)s is not a GeoJSON Feature."), {"n": number}, number
            )
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            table.problem(
                gettext_noop("Feature %(n)s has no properties object."), {"n": number}, number
            )
            continue
        cells = {str(k): v for k, v in properties.items()}
        if "id" in feature and "id" not in cells:
            cells["id"] = feature["id"]
        for key in cells:
            columns.setdefault(key, None)
        table.rows.append(Row(number, cells))
        table.features.append(feature.get("geometry"))
    table.columns = list(columns)


WGS84_NAMES = (
    "epsg:4326",
    "urn:ogc:def:crs:epsg::4326",
    "urn:ogc:def:crs:ogc:1.3:crs84",
    "crs84",
    "wgs84",
    "wgs 84",
    "4326",
)


def is_wgs84(name: str) -> bool:
    """Whether a coordinate system name means WGS84 longitude/latitude."""
    return name.strip().lower() in WGS84_NAMES
