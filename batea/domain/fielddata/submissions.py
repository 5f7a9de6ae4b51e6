"""Reading KoboToolbox and ODK exports of Batea's forms into plain submission records.

Accepted: Kobo's CSV and XLSX exports ("XML values and headers", groups joined with "/"),
the Kobo API JSON (`{"results": [...]}`) and ODK Central's CSV (groups joined with "-",
`KEY`, `SubmissionDate`). A submission is identified by its instance UUID (`_uuid`,
`meta/instanceID` or `KEY`); an edited submission names the one it replaces
(`meta/deprecatedID`). The hidden fields of the generated forms say which standard
version, scope, kind of assessment and organisation it belongs to.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from batea.domain.fielddata.cells import cell_text, parse_date, shorten
from batea.domain.fielddata.tables import Row, Table
from batea.domain.fielddata.xlsform import (
    KIND_FIELD,
    KINDS,
    LOCATION_FIELD,
    NOT_APPLICABLE,
    ORGANISATION_FIELD,
    SCOPE_FIELD,
    SCOPES,
    STANDARD_FIELD,
    SUBJECT_FIELDS,
    VERSION_FIELD,
    VISIT_NOTES_FIELD,
    FormSpec,
)
from batea.domain.messages import Problem, gettext_noop

UUID_COLUMNS = ("_uuid", "instanceID", "KEY")
REPLACES_COLUMNS = ("deprecatedID",)
SUBMITTED_AT_COLUMNS = ("_submission_time", "SubmissionDate")
DATE_COLUMNS = ("today", "end", "start", "_submission_time", "SubmissionDate")
SUBMITTER_COLUMNS = ("_submitted_by", "SubmitterName", "username")
_GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
_UUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")
MAX_NOTES = 4_000


def short_name(column: str) -> str:
    """The question name of an export column: `ch_LEG/r_PG_LEG_01` (Kobo) and
    `ch_LEG-r_PG_LEG_01` (ODK Central) → `r_PG_LEG_01`; `meta/instanceID` → `instanceID`;
    Central's `visit-location-Latitude` → `location-Latitude`."""
    name = column.rsplit("/", 1)[-1]
    if "-" in name and not name.startswith("_"):
        parts = name.split("-")
        if parts[-1] in _GEO_PARTS and len(parts) >= 2:
            return f"{parts[-2]}-{parts[-1]}"
        return parts[-1]
    return name


def short_cells(row: Row) -> dict[str, tuple[str, Any]]:
    """Cells by question name → (the column as written in the file, value); the first
    non-blank value wins when two columns shorten to the same name."""
    cells: dict[str, tuple[str, Any]] = {}
    for column, value in row.cells.items():
        name = short_name(column)
        if name not in cells or _blank(cells[name][1]):
            cells[name] = (column, value)
    return cells


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _strip_uuid(value: str) -> str:
    return value[5:] if value.lower().startswith("uuid:") else value


@dataclass
class Envelope:
    """Which submission a row is and which form it answers."""

    line: int
    uuid: str
    replaces: str
    standard: str
    version: str
    scope: str
    kind: str
    organisation: str


@dataclass
class AnswerRecord:
    requirement: str
    value: str = ""  # compliant, partly, non_compliant or not_applicable
    score: int | None = None
    notes: str = ""
    photo: str = ""  # the attachment's file name on the collection server
    photo_url: str = ""  # its address there, when the export gives it (Kobo's CSV does)


@dataclass
class SubmissionRecord:
    line: int
    uuid: str
    replaces: str
    standard: str
    version: str
    scope: str
    kind: str
    organisation: str
    subject: str  # member number or site code; "" for the organisation
    subject_column: str
    assessed_on: date | None
    submitted_at: datetime | None
    latitude: float | None
    longitude: float | None
    notes: str
    submitted_by: str
    answers: list[AnswerRecord] = field(default_factory=list)

    def fingerprint(self) -> str:
        """What the submission says (not how the export wrote it): importing the same
        submission from CSV, XLSX or JSON gives the same fingerprint."""
        content = {
            "subject": self.subject,
            "assessed_on": self.assessed_on.isoformat() if self.assessed_on else "",
            "answers": sorted(
                ({**asdict(a), "photo_url": ""} for a in self.answers),
                key=lambda a: a["requirement"],
            ),
            "notes": self.notes,
        }
        return hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()


@dataclass
class Defaults:
    """What the operator says when the export lacks Batea's hidden fields."""

    standard: str = ""
    version: str = ""


def read_envelopes(table: Table, defaults: Defaults | None = None):
    """(row, envelope) for every submission of the table, and the problems: missing or
    repeated ids, unknown scopes or kinds, no standard named."""
    defaults = defaults or Defaults()
    problems: list[Problem] = []
    envelopes: list[tuple[Row, Envelope]] = []
    seen: dict[str, int] = {}
    names = {short_name(column) for column in table.columns}
    if not names & set(UUID_COLUMNS):
        problems.append(
            Problem(
                "",
                gettext_noop(
                    "No submission id column (_uuid, meta/instanceID or KEY): export the "
                    "submissions with their metadata, using XML values and headers."
                ),
                {},
                table.name,
            )
        )
        return [], problems
    for row in table.rows:
        cells = short_cells(row)

        def text(names_: tuple[str, ...] | str, cells=cells, row=row) -> tuple[str, str]:
            for name in (names_,) if isinstance(names_, str) else names_:
                if name in cells and not _blank(cells[name][1]):
                    column, value = cells[name]
                    clean, found = cell_text(value, column, row.line, table.name, 200)
                    problems.extend(found)
                    return column, clean
            return "", ""

        def problem(column: str, template: str, value: Any = "", row=row, **params) -> None:
            problems.append(
                Problem(column, template, {"value": shorten(value), **params}, table.name, row.line)
            )

        uuid_column, uuid = text(UUID_COLUMNS)
        uuid = _strip_uuid(uuid)
        if not uuid:
            problem("_uuid", gettext_noop("The submission has no id (_uuid or meta/instanceID)."))
            continue
        if not _UUID.match(uuid):
            problem(uuid_column, gettext_noop("%(value)s is not a submission id."), uuid)
            continue
        if uuid in seen:
            problem(
                uuid_column,
                gettext_noop(
                    "The submission %(value)s appears twice in the file (also row %(other)s)."
                ),
                uuid,
                other=seen[uuid],
            )
            continue
        seen[uuid] = row.line
        _, replaces = text(REPLACES_COLUMNS)
        standard_column, standard = text(STANDARD_FIELD)
        _, version = text(VERSION_FIELD)
        scope_column, scope = text(SCOPE_FIELD)
        kind_column, kind = text(KIND_FIELD)
        _, organisation = text(ORGANISATION_FIELD)
        if not standard:
            standard, version = defaults.standard, version or defaults.version
        if not standard:
            problem(
                STANDARD_FIELD,
                gettext_noop(
                    "The submission does not say which standard it answers (no batea_standard "
                    "column): name the standard for the import."
                ),
            )
            continue
        if not scope:
            scope = next((s for s, f in SUBJECT_FIELDS.items() if f in cells), "organisation")
        if scope not in SCOPES:
            problem(scope_column, gettext_noop("Unknown scope %(value)s."), scope)
            continue
        kind = kind or ("self" if scope == "organisation" else "ics")
        if kind not in KINDS:
            problem(kind_column, gettext_noop("Unknown kind of assessment %(value)s."), kind)
            continue
        envelopes.append(
            (
                row,
                Envelope(
                    row.line,
                    uuid,
                    _strip_uuid(replaces),
                    standard,
                    version or defaults.version,
                    scope,
                    kind,
                    organisation,
                ),
            )
        )
    return envelopes, problems


def parse_submission(
    row: Row, envelope: Envelope, spec: FormSpec, source: str = ""
) -> tuple[SubmissionRecord | None, list[Problem]]:
    """Read the answers of one submission with the key of its form version."""
    problems: list[Problem] = []
    cells = short_cells(row)

    def problem(column: str, template: str, value: Any = "", **params) -> None:
        problems.append(
            Problem(column, template, {"value": shorten(value), **params}, source, row.line)
        )

    def text(name: str, limit: int = 200) -> tuple[str, str]:
        if name not in cells or _blank(cells[name][1]):
            return (cells[name][0] if name in cells else name), ""
        column, value = cells[name]
        clean, found = cell_text(value, column, row.line, source, limit)
        problems.extend(found)
        return column, clean

    subject, subject_column = "", ""
    if envelope.scope in SUBJECT_FIELDS:
        subject_column, subject = text(SUBJECT_FIELDS[envelope.scope], 80)
        if not subject and not any(p.line == row.line for p in problems):
            problem(
                subject_column,
                gettext_noop("The submission does not say which %(scope)s was inspected."),
                scope=envelope.scope,
            )
    assessed_on = None
    for name in DATE_COLUMNS:
        if name in cells and not _blank(cells[name][1]):
            assessed_on, found = parse_date(cells[name][1], cells[name][0], row.line, source)
            problems.extend(found)
            break
    submitted_at = _datetime(cells)
    latitude, longitude = _location(cells, problem)
    _, notes = text(VISIT_NOTES_FIELD, MAX_NOTES)
    _, submitted_by = text_first(cells, SUBMITTER_COLUMNS, row, source, problems)

    answers: list[AnswerRecord] = []
    for name, (column, value) in cells.items():
        question = spec.question(name)
        if question is None:
            unknown = name.startswith("r_") and not name.endswith(("_notes", "_photo", "_URL"))
            if unknown and not _blank(value):
                problem(
                    column,
                    gettext_noop(
                        "%(question)s is not a question of %(standard)s %(version)s for the "
                        "%(scope)s: the submission comes from another form."
                    ),
                    value,
                    question=column,
                    standard=spec.standard,
                    version=spec.version,
                    scope=spec.scope,
                )
            continue
        if _blank(value):
            continue
        answer = AnswerRecord(question.requirement)
        word = str(value).strip()
        if question.scoring == "scale_1_5":
            score = _score(value)
            if score is not None:
                answer.score = score
            elif spec.answer_words.get(word.casefold()) == NOT_APPLICABLE:
                answer.value = NOT_APPLICABLE
            else:
                problem(
                    column,
                    gettext_noop("%(value)s is not a score from 1 to 5 (or not applicable)."),
                    word,
                )
                continue
        else:
            found = spec.answer_words.get(word.casefold())
            if found is None:
                problem(
                    column,
                    gettext_noop(
                        "%(value)s is not an answer: compliant, partly, non_compliant or "
                        "not_applicable."
                    ),
                    word,
                )
                continue
            answer.value = found
        _, answer.notes = text(f"{name}_notes", MAX_NOTES)
        _, answer.photo = text(f"{name}_photo")
        _, answer.photo_url = text(f"{name}_photo_URL", 1_000)
        answers.append(answer)
    if not answers and not problems:
        problem("", gettext_noop("The submission has no answers."))
    if problems:
        return None, problems
    return (
        SubmissionRecord(
            line=row.line,
            uuid=envelope.uuid,
            replaces=envelope.replaces,
            standard=envelope.standard,
            version=envelope.version,
            scope=envelope.scope,
            kind=envelope.kind,
            organisation=envelope.organisation,
            subject=subject,
            subject_column=subject_column,
            assessed_on=assessed_on,
            submitted_at=submitted_at,
            latitude=latitude,
            longitude=longitude,
            notes=notes,
            submitted_by=submitted_by,
            answers=answers,
        ),
        [],
    )


def text_first(cells, names, row, source, problems) -> tuple[str, str]:
    for name in names:
        if name in cells and not _blank(cells[name][1]):
            column, value = cells[name]
            clean, found = cell_text(value, column, row.line, source, 200)
            problems.extend(found)
            return column, clean
    return "", ""


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    if number != number or not float(number).is_integer():
        return None
    number = int(number)
    return number if 1 <= number <= 5 else None


def _datetime(cells) -> datetime | None:
    for name in SUBMITTED_AT_COLUMNS:
        if name in cells and not _blank(cells[name][1]):
            value = cells[name][1]
            if isinstance(value, datetime):
                return value
            try:
                return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                return None
    return None


def _location(cells, problem) -> tuple[float | None, float | None]:
    """The visit's GPS point: `location` as "lat lon alt accuracy" (ODK's geopoint), Kobo's
    `_location_latitude` columns, Central's `location-Latitude`, or `_geolocation`."""
    candidates: list[tuple[str, Any, Any]] = []
    if LOCATION_FIELD in cells and not _blank(cells[LOCATION_FIELD][1]):
        column, value = cells[LOCATION_FIELD]
        parts = str(value).split()
        candidates.append((column, *(parts[:2] if len(parts) >= 2 else (value, None))))
    for lat_name, lon_name in (
        (f"_{LOCATION_FIELD}_latitude", f"_{LOCATION_FIELD}_longitude"),
        (f"{LOCATION_FIELD}-Latitude", f"{LOCATION_FIELD}-Longitude"),
    ):
        if lat_name in cells and not _blank(cells[lat_name][1]):
            candidates.append(
                (cells[lat_name][0], cells[lat_name][1], cells.get(lon_name, ("", None))[1])
            )
    if "_geolocation" in cells and isinstance(cells["_geolocation"][1], list):
        point = cells["_geolocation"][1]
        if len(point) == 2 and all(p is not None for p in point):
            candidates.append(("_geolocation", point[0], point[1]))
    if not candidates:
        return None, None
    column, lat, lon = candidates[0]
    try:
        latitude, longitude = float(lat), float(lon)
    except (TypeError, ValueError):
        problem(column, gettext_noop("%(value)s is not a GPS point (latitude longitude)."), lat)
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        problem(
            column,
            gettext_noop("The GPS point %(value)s is outside the range of latitude and longitude."),
            f"{lat} {lon}",
        )
        return None, None
    return latitude, longitude
