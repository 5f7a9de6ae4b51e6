"""Spreadsheet templates of registry records (members, sites, licences) and of produced
lots, and the rules that read them back: one column spec drives the template, its
instructions, its dropdowns and the checks of every uploaded row.

Rows are matched to existing records by the organisation's own ids (member number, site
code, licence type and number, lot code). Values of choice columns may be written as the
code or as its label in any language Batea speaks. A blank optional cell keeps the stored
value; a lot, once recorded, is never changed (custody records are kept as they were).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from batea.domain.custody.lots import FINENESS_PLACES, MASS_PLACES, MAX_MASS_G, NOT_POSITIVE
from batea.domain.fielddata.cells import (
    cell_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_integer,
    shorten,
)
from batea.domain.fielddata.tables import Table
from batea.domain.identifiers import normalise_identifier
from batea.domain.messages import Problem, gettext_noop


@dataclass(frozen=True)
class Column:
    name: str  # stable key, also accepted as a header
    label: str  # English label (translated by the shell), the template's header
    # text, integer, decimal, date, choice, bool, codes, geometry; amount (an exact Decimal
    # above `minimum`, at most `maximum`, with at most `places` decimals); miner_days
    # ("member number:miner-days; …")
    kind: str = "text"
    required: bool = False
    max_length: int | None = None
    vocabulary: str | None = None  # for choice columns
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    example: Any = ""
    places: int | None = None  # decimals of an amount
    not_future: bool = False  # a date that must not be after today


MEMBER_COLUMNS = (
    Column(
        "member_number",
        gettext_noop("Member number"),
        required=True,
        max_length=40,
        help=gettext_noop("The organisation's own id for the member; it matches the rows."),
        example="SO-0101",
    ),
    Column("given_name", gettext_noop("Given name"), required=True, max_length=100, example="Rosa"),
    Column("family_name", gettext_noop("Family name"), max_length=100, example="Mamani Quispe"),
    Column("gender", gettext_noop("Gender"), "choice", True, vocabulary="gender", example="female"),
    Column(
        "birth_year",
        gettext_noop("Birth year"),
        "integer",
        minimum=1900,
        maximum=2100,
        example=1988,
    ),
    Column("role", gettext_noop("Role"), "choice", True, vocabulary="role", example="panner"),
    Column(
        "join_date",
        gettext_noop("Join date"),
        "date",
        True,
        help=gettext_noop("YYYY-MM-DD, not in the future."),
        example="2021-03-15",
        not_future=True,
    ),
    Column("status", gettext_noop("Status"), "choice", vocabulary="status", example="applicant"),
    Column(
        "national_id",
        gettext_noop("National id"),
        max_length=64,
        help=gettext_noop(
            "Only a masked form and a keyed fingerprint are kept; the id itself is never stored."
        ),
        example="",
    ),
    Column(
        "primary_site",
        gettext_noop("Main site (site code)"),
        "choice",
        vocabulary="site",
        example="",
    ),
)

SITE_COLUMNS = (
    Column("site_code", gettext_noop("Site code"), required=True, max_length=40, example="SO-03"),
    Column("name", gettext_noop("Name"), required=True, max_length=200, example="Bocamina Nueva"),
    Column("kind", gettext_noop("Kind"), "choice", vocabulary="site_kind", example="mine"),
    Column(
        "longitude",
        gettext_noop("Longitude"),
        "decimal",
        minimum=-180,
        maximum=180,
        help=gettext_noop("WGS84 decimal degrees, e.g. -69.5312 (west is negative)."),
        example=-69.5301,
    ),
    Column(
        "latitude",
        gettext_noop("Latitude"),
        "decimal",
        minimum=-90,
        maximum=90,
        help=gettext_noop("WGS84 decimal degrees, e.g. -14.6821 (south is negative)."),
        example=-14.6835,
    ),
    Column(
        "geometry",
        gettext_noop("Boundary (GeoJSON)"),
        "geometry",
        max_length=30_000,
        help=gettext_noop("Instead of longitude and latitude: a GeoJSON Polygon in WGS84."),
    ),
    Column(
        "area_ha",
        gettext_noop("Area (ha)"),
        "decimal",
        minimum=0,
        maximum=1_000_000,
        example=1.5,
    ),
    Column(
        "minerals",
        gettext_noop("Minerals (HS codes)"),
        "codes",
        vocabulary="hs_code",
        help=gettext_noop("HS codes separated by “;”, e.g. 7108.12"),
        example="7108.12",
    ),
    Column(
        "mining_method",
        gettext_noop("Mining method"),
        "choice",
        vocabulary="mining_method",
        example="underground",
    ),
    Column(
        "processing_method",
        gettext_noop("Processing method"),
        "choice",
        vocabulary="processing_method",
        example="gravity",
    ),
    Column("uses_mercury", gettext_noop("Uses mercury"), "bool", example="no"),
    Column("uses_cyanide", gettext_noop("Uses cyanide"), "bool", example="no"),
    Column(
        "workforce",
        gettext_noop("Workforce"),
        "integer",
        minimum=0,
        maximum=1_000_000,
        example=25,
    ),
    Column(
        "women_in_workforce",
        gettext_noop("Women in the workforce"),
        "integer",
        minimum=0,
        maximum=1_000_000,
        example=7,
    ),
)

LICENCE_COLUMNS = (
    Column(
        "kind",
        gettext_noop("Type"),
        "choice",
        True,
        vocabulary="licence_kind",
        example="mining_title",
    ),
    Column(
        "number",
        gettext_noop("Number"),
        required=True,
        max_length=80,
        help=gettext_noop("With the type, it matches the rows."),
        example="REINFO-2024-0815",
    ),
    Column("issuer", gettext_noop("Issuer"), required=True, max_length=200, example="DREM Puno"),
    Column(
        "status",
        gettext_noop("Status"),
        "choice",
        vocabulary="licence_status",
        example="granted",
    ),
    Column("valid_from", gettext_noop("Valid from"), "date", example="2024-01-01"),
    Column("valid_until", gettext_noop("Valid until"), "date", example="2026-12-31"),
    Column("site", gettext_noop("Site (site code)"), "choice", vocabulary="site", example=""),
)

MAX_MINER_DAYS = Decimal(1_000_000)  # per member and lot: far above any real production
MINER_DAYS_PLACES = 2
LOT_CODE = re.compile(r"^[\w.-]+$")

LOT_COLUMNS = (
    Column(
        "lot_code",
        gettext_noop("Lot code"),
        required=True,
        max_length=40,
        help=gettext_noop(
            "The organisation's own id for the lot (letters, digits, - _ and . only); it "
            "matches the rows: a lot is recorded once and never edited."
        ),
        example="SO-L101",
    ),
    Column(
        "produced_on",
        gettext_noop("Produced on"),
        "date",
        True,
        help=gettext_noop("YYYY-MM-DD, not in the future."),
        example="2026-11-02",
        not_future=True,
    ),
    Column(
        "site",
        gettext_noop("Site (site code)"),
        "choice",
        True,
        vocabulary="site",
        help=gettext_noop("Where the lot was mined: a site code of the organisation."),
        example="SO-01",
    ),
    Column(
        "mineral", gettext_noop("Mineral"), "choice", True, vocabulary="mineral", example="gold"
    ),
    Column("kind", gettext_noop("Kind"), "choice", True, vocabulary="lot_kind", example="dore"),
    Column(
        "mass_g",
        gettext_noop("Mass (g)"),
        "amount",
        True,
        minimum=0,
        maximum=float(MAX_MASS_G),
        places=MASS_PLACES,
        help=gettext_noop("Grams, to the milligram at most (3 decimals)."),
        example=412.5,
    ),
    Column(
        "fineness",
        gettext_noop("Fineness (‰)"),
        "amount",
        True,
        minimum=0,
        maximum=1000,
        places=FINENESS_PLACES,
        help=gettext_noop("Parts per thousand of fine metal, above 0 and at most 1000."),
        example=850,
    ),
    Column(
        "members",
        gettext_noop("Members and miner-days"),
        "miner_days",
        True,
        max_length=20_000,
        help=gettext_noop(
            "Who produced the lot: member numbers of the organisation, each followed by a "
            "colon and the member's miner-days, separated by semicolons."
        ),
        example="SO-0001:12; SO-0002:8",
    ),
    Column(
        "standard",
        gettext_noop("Certified under (standard id)"),
        "choice",
        vocabulary="standard",
        help=gettext_noop(
            "Only for a certified lot: a standard the organisation holds a certificate for, "
            "valid on the production date. Leave the claim columns blank otherwise."
        ),
        example="",
    ),
    Column(
        "variant",
        gettext_noop("Variant"),
        max_length=64,
        help=gettext_noop("The certificate's variant, if it has one (e.g. ecological)."),
        example="",
    ),
    Column(
        "custody_model",
        gettext_noop("Chain-of-custody model"),
        "choice",
        vocabulary="custody_model",
        help=gettext_noop("Needed for a certified claim: one the standard allows."),
        example="",
    ),
)

TEMPLATES: dict[str, tuple[Column, ...]] = {
    "members": MEMBER_COLUMNS,
    "sites": SITE_COLUMNS,
    "licences": LICENCE_COLUMNS,
    "lots": LOT_COLUMNS,
}
# Columns of Batea's own exports that an import skips, so that an export can be edited and
# imported back (the masked national id is never taken for a new id).
EXPORT_ONLY = frozenset(
    {"id", "national_id_masked", "organisation", "centroid_longitude", "centroid_latitude"}
)
KEYS: dict[str, tuple[str, ...]] = {
    "members": ("member_number",),
    "sites": ("site_code",),
    "licences": ("kind", "number"),
    "lots": ("lot_code",),
}


def fold(text: str) -> str:
    """Case- and space-insensitive form used to match headers and choice labels."""
    return " ".join(str(text).casefold().replace("_", " ").split())


@dataclass
class Vocabulary:
    """Allowed codes of a choice column and the labels (any language) that mean them."""

    codes: list[str]
    labels: dict[str, list[str]] = field(default_factory=dict)  # code → labels
    offered: list[str] | None = None  # codes the template's dropdown lists (default: all)

    def lookup(self) -> dict[str, str]:
        found = {fold(code): code for code in self.codes}
        for code, labels in self.labels.items():
            for label in labels:
                found.setdefault(fold(label), code)
        return found


@dataclass
class Record:
    """One good row: its line and the values of the columns the file has."""

    line: int
    values: dict[str, Any]

    def key(self, template: str) -> tuple:
        return tuple(self.values.get(name) for name in KEYS[template])


def header_map(
    table: Table, columns: tuple[Column, ...], aliases: dict[str, str]
) -> tuple[dict[str, str], list[Problem]]:
    """File header → column name. `aliases` maps folded labels (in every language) to
    names; the names themselves are always accepted. Unknown and missing required columns
    are problems."""
    known = {fold(c.name): c.name for c in columns}
    known.update(aliases)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for header in table.columns:
        if not header or fold(header) in {fold(c) for c in EXPORT_ONLY}:
            continue
        name = known.get(fold(header))
        if name is None:
            problems.append(
                Problem(
                    header,
                    gettext_noop(
                        "Unknown column %(value)s; use the template's columns (see its "
                        "instructions sheet)."
                    ),
                    {"value": shorten(header)},
                    table.name,
                    1,
                )
            )
        elif name in mapping.values():
            problems.append(
                Problem(
                    header,
                    gettext_noop("The column %(value)s is given twice."),
                    {"value": shorten(header)},
                    table.name,
                    1,
                )
            )
        else:
            mapping[header] = name
    present = set(mapping.values())
    for column in columns:
        if column.required and column.name not in present:
            problems.append(
                Problem(
                    column.name,
                    gettext_noop("The required column %(value)s is missing."),
                    {"value": column.name},
                    table.name,
                    1,
                )
            )
    return mapping, problems


def parse_records(
    table: Table,
    template: str,
    vocabularies: dict[str, Vocabulary],
    aliases: dict[str, str] | None = None,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Record], list[Problem]]:
    """Check every row of a members, sites, licences or lots file; returns the good rows
    only when there is no problem at all (an import is all or nothing)."""
    columns = TEMPLATES[template]
    by_name = {c.name: c for c in columns}
    mapping, problems = header_map(table, columns, aliases or {})
    if problems:
        return [], problems
    lookups = {name: vocabulary.lookup() for name, vocabulary in vocabularies.items() if vocabulary}
    records: list[Record] = []
    keys_seen: dict[tuple, int] = {}
    national_ids: dict[str, int] = {}
    total = len(table.rows)
    for index, row in enumerate(table.rows):
        if progress and index % 5_000 == 0:
            progress(index, total)
        values: dict[str, Any] = {}
        row_problems: list[Problem] = []
        for header, name in mapping.items():
            value, found = _parse_cell(
                row.cells.get(header), by_name[name], header, row.line, table.name, lookups, today
            )
            row_problems += found
            if value is not None:
                values[name] = value
        for column in columns:
            header = _header_of(mapping, column.name)
            missing = column.required and column.name in mapping.values()
            missing = missing and column.name not in values
            if missing and not any(p.path == header for p in row_problems):
                row_problems.append(
                    Problem(
                        header,
                        gettext_noop("A value is required in this column."),
                        {"value": ""},
                        table.name,
                        row.line,
                    )
                )
        row_problems += _row_rules(template, values, mapping, row.line, table.name)
        if not row_problems:
            key = tuple(values.get(name) for name in KEYS[template])
            if template == "members":
                key = (fold(key[0]),)
            if key in keys_seen:
                row_problems.append(
                    Problem(
                        _header_of(mapping, KEYS[template][-1]),
                        gettext_noop("%(value)s is also on row %(other)s of this file."),
                        {
                            "value": " ".join(str(values.get(n)) for n in KEYS[template]),
                            "other": keys_seen[key],
                        },
                        table.name,
                        row.line,
                    )
                )
            else:
                keys_seen[key] = row.line
            national = normalise_identifier(values.get("national_id", "") or "")
            if national:
                if national in national_ids:
                    row_problems.append(
                        Problem(
                            _header_of(mapping, "national_id"),
                            gettext_noop("The same national id is on row %(other)s."),
                            {"value": "•••", "other": national_ids[national]},
                            table.name,
                            row.line,
                        )
                    )
                else:
                    national_ids[national] = row.line
        problems += row_problems
        if not row_problems:
            records.append(Record(row.line, values))
    if progress:
        progress(total, total)
    return ([] if problems else records), problems


def _header_of(mapping: dict[str, str], name: str) -> str:
    return next((header for header, n in mapping.items() if n == name), name)


def _parse_cell(raw, column: Column, header, line, source, lookups, today):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, []
    if column.kind == "date":
        value, problems = parse_date(raw, header, line, source)
        if value and today and column.not_future and value > today:
            return None, [
                Problem(
                    header,
                    gettext_noop("The date %(value)s is in the future."),
                    {"value": value.isoformat()},
                    source,
                    line,
                )
            ]
        return value, problems
    if column.kind == "miner_days" and isinstance(raw, datetime | time):
        return None, [
            Problem(
                header,
                gettext_noop(
                    "The spreadsheet turned %(value)s into a time or a date: format the column "
                    "as text and type the members again (e.g. A-001:12; A-002:8)."
                ),
                {"value": str(raw)},
                source,
                line,
            )
        ]
    text, problems = cell_text(raw, header, line, source, column.max_length)
    if problems or not text:
        return None, problems
    if column.kind == "text" or column.kind == "geometry":
        return text, []
    if column.kind == "amount":
        return parse_amount(text, column, header, line, source)
    if column.kind == "miner_days":
        return parse_miner_days(text, header, line, source, lookups.get("member", {}))
    if column.kind == "integer":
        return parse_integer(text, header, line, source, column.minimum, column.maximum)
    if column.kind == "decimal":
        return parse_decimal(text, header, line, source, column.minimum, column.maximum)
    if column.kind == "bool":
        return parse_bool(text, header, line, source)
    lookup = lookups.get(column.vocabulary or "", {})
    if column.kind == "codes":
        codes = []
        for part in (p for p in text.replace(",", ";").split(";") if p.strip()):
            code = lookup.get(fold(part)) or lookup.get(fold(_dotted(part)))
            if code is None:
                return None, [_not_allowed(header, part, line, source)]
            codes.append(code)
        return codes, []
    code = lookup.get(fold(text))
    if code is None:
        return None, [_not_allowed(header, text, line, source)]
    return code, []


# Messages of the custody rules, so that a file says what the production page says.
ABOVE_MAXIMUM = {
    "mass_g": gettext_noop("%(value)s g is more than any lot can weigh (%(max)s g)."),
    "fineness": gettext_noop("Fineness is in parts per thousand, at most 1000; %(value)s is more."),
}
NOT_ABOVE_MINIMUM = {"mass_g": NOT_POSITIVE["mass"], "fineness": NOT_POSITIVE["fineness"]}


def _exact(text: str) -> Decimal | None:
    """A finite Decimal from "412.5", "1 200" or "1e3", without trailing zeros ("850.000"
    is 850); None if the text is not a number."""
    clean = text.strip().replace("\u00a0", "").replace(" ", "")
    try:
        number = Decimal(clean)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    number = number.normalize()
    if number.as_tuple().exponent > 0:  # 1E+3 → 1000
        number = number.quantize(Decimal(1))
    return number


def _decimals(number: Decimal) -> int:
    return max(0, -int(number.as_tuple().exponent))


def parse_amount(
    text: str, column: Column, header: str, line: int | None, source: str = ""
) -> tuple[Decimal | None, list[Problem]]:
    """An exact amount (a Decimal, never a float): above the column's minimum, at most its
    maximum, with at most its number of decimals."""

    def problem(template: str, **params) -> tuple[None, list[Problem]]:
        return None, [Problem(header, template, {"value": shorten(text), **params}, source, line)]

    number = _exact(text)
    if number is None:
        return problem(gettext_noop("%(value)s is not a number."))
    minimum = Decimal(str(column.minimum or 0))
    maximum = Decimal(str(column.maximum)) if column.maximum is not None else None
    if number <= minimum:
        return problem(
            NOT_ABOVE_MINIMUM.get(
                column.name,
                gettext_noop("%(value)s is outside the allowed range %(minimum)s–%(maximum)s."),
            ),
            minimum=minimum,
            maximum="" if maximum is None else f"{maximum:f}",
        )
    if maximum is not None and number > maximum:
        return problem(
            ABOVE_MAXIMUM.get(
                column.name,
                gettext_noop("%(value)s is outside the allowed range %(minimum)s–%(maximum)s."),
            ),
            minimum=minimum,
            maximum=f"{maximum.normalize():f}",
            max=f"{maximum.normalize():f}",
        )
    if column.places is not None and _decimals(number) > column.places:
        return problem(
            gettext_noop("%(value)s has more than %(places)s decimal places."),
            places=column.places,
        )
    return number, []


def parse_miner_days(
    text: str, header: str, line: int | None, source: str, members: dict[str, str]
) -> tuple[tuple[tuple[str, Decimal], ...] | None, list[Problem]]:
    """ "A-001:12; A-002:8" → (("A-001", 12), ("A-002", 8)): member numbers (matched without
    regard to case through `members`, folded number → number) and their miner-days.
    Members are separated by semicolons or line breaks; a day count may use a decimal point
    or comma ("2,5"). Every mistake in the cell is reported."""
    problems: list[Problem] = []
    found: dict[str, Decimal] = {}

    def add(template: str, value: str) -> None:
        problems.append(Problem(header, template, {"value": shorten(value)}, source, line))

    for part in (p.strip() for p in re.split(r"[;\n\r]", text)):
        if not part:
            continue
        if part.count(":") > 1:
            add(
                gettext_noop(
                    "%(value)s names more than one member: separate them with semicolons, as "
                    "in A-001:12; A-002:8."
                ),
                part,
            )
            continue
        number, colon, days_text = part.partition(":")
        number, days_text = number.strip(), days_text.strip()
        if not colon or not number or not days_text:
            add(
                gettext_noop(
                    "%(value)s is not “member number:miner-days”; write the members as "
                    "A-001:12; A-002:8 (semicolons between members)."
                ),
                part,
            )
            continue
        member = members.get(fold(number))
        if member is None:
            add(gettext_noop("No member %(value)s in this organisation."), number)
            continue
        if member in found:
            add(gettext_noop("Member %(value)s is given twice in this cell."), number)
            continue
        days = _exact(days_text.replace(",", "."))
        if days is None:
            add(gettext_noop("%(value)s is not a number."), days_text)
        elif days <= 0:
            add(NOT_POSITIVE["miner_days"], days_text)
        elif days > MAX_MINER_DAYS:
            add(gettext_noop("%(value)s is too large."), days_text)
        elif _decimals(days) > MINER_DAYS_PLACES:
            problems.append(
                Problem(
                    header,
                    gettext_noop("%(value)s has more than %(places)s decimal places."),
                    {"value": shorten(days_text), "places": MINER_DAYS_PLACES},
                    source,
                    line,
                )
            )
        else:
            found[member] = days
    if problems:
        return None, problems
    if not found:
        return None, []
    return tuple(found.items()), []


def format_miner_days(members) -> str:
    """(("A-001", 12), …) or {"A-001": 12, …} as "A-001:12; A-002:8", as the file has them."""
    pairs = members.items() if isinstance(members, dict) else members
    return "; ".join(f"{number}:{Decimal(days).normalize():f}" for number, days in pairs)


def _dotted(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"{digits[:4]}.{digits[4:6]}" if len(digits) == 6 else value


def _not_allowed(header, value, line, source) -> Problem:
    return Problem(
        header,
        gettext_noop("%(value)s is not one of the allowed values (see the dropdown)."),
        {"value": shorten(value)},
        source,
        line,
    )


def _row_rules(template, values, mapping, line, source) -> list[Problem]:
    problems = []

    def add(name, template_, **params):
        problems.append(Problem(_header_of(mapping, name), template_, params, source, line))

    if template == "sites":
        has_point = "longitude" in values or "latitude" in values
        if has_point and ("longitude" not in values or "latitude" not in values):
            add(
                "latitude" if "latitude" not in values else "longitude",
                gettext_noop("Give both longitude and latitude."),
                value="",
            )
        if has_point and "geometry" in values:
            add(
                "geometry",
                gettext_noop("Give either longitude and latitude or a boundary, not both."),
                value="",
            )
        workforce, women = values.get("workforce"), values.get("women_in_workforce")
        if workforce is not None and women is not None and women > workforce:
            add(
                "women_in_workforce",
                gettext_noop("%(value)s women cannot exceed the workforce of %(workforce)s."),
                value=women,
                workforce=workforce,
            )
    if template == "lots":
        code = values.get("lot_code")
        if code and not LOT_CODE.match(code):
            add(
                "lot_code",
                gettext_noop(
                    "%(value)s is not a lot code: use letters, digits, -, _ and . only (no "
                    "spaces or /)."
                ),
                value=shorten(code),
            )
        claim = [name for name in ("variant", "custody_model") if name in values]
        if claim and "standard" not in values:
            add(
                claim[0],
                gettext_noop(
                    "A certified claim needs its standard: give the standard id, or leave the "
                    "claim columns blank."
                ),
                value=shorten(values[claim[0]]),
            )
        if "standard" in values and "custody_model" not in values:
            add("custody_model", gettext_noop("Say how the certified lot is kept."), value="")
    if template == "licences":
        start, end = values.get("valid_from"), values.get("valid_until")
        if start and end and end < start:
            add(
                "valid_until",
                gettext_noop("%(value)s is before “valid from”."),
                value=end.isoformat(),
            )
    return problems


def instructions(template: str) -> list[tuple[str, str, str, str]]:
    """(column, English label, required, help) rows of a template's instructions sheet."""
    return [(c.name, c.label, "yes" if c.required else "", c.help) for c in TEMPLATES[template]]
