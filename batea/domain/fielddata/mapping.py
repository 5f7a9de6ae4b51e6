"""Third-party site data (field surveys of research institutes, partners' registers) read
through a column mapping kept as a YAML file next to the data set.

```yaml
batea_site_mapping: 1
source: {name: "…", id_column: code_site, crs: EPSG:4326, decimal_comma: true,
         date_column: date_visite}
site_code: {prefix: "ENQ-"}
location: {longitude: lon, latitude: lat}        # CSV; GeoJSON features carry geometry
fields:
  nom_site: name
  superficie_m2: {field: area_ha, unit: m2}
  mercure: {field: uses_mercury}
  type: {field: kind, values: {"mine": mine, "site de traitement": processing}}
attributes: {groupes_armes: armed_group_presence}  # renames of kept columns
ignore: [commentaire_interne]
defaults: {kind: mine}
```

Source columns that Batea's site model does not have are kept as attributes of the site
(typed: yes/no words become booleans, numbers numbers), so risk rules can use them.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from batea.domain.fielddata.cells import (
    FALSE_WORDS,
    TRUE_WORDS,
    cell_text,
    is_number_text,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_integer,
    shorten,
)
from batea.domain.fielddata.records import fold
from batea.domain.fielddata.tables import Table, is_wgs84
from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.source import Source, parse_yaml

SITE_FIELDS: dict[str, str] = {
    "name": "text",
    "kind": "choice",
    "area_ha": "decimal",
    "workforce": "integer",
    "women_in_workforce": "integer",
    "uses_mercury": "bool",
    "uses_cyanide": "bool",
    "mining_method": "choice",
    "processing_method": "choice",
    "minerals": "minerals",
}
UNITS = {"ha": 1.0, "m2": 0.0001, "km2": 100.0, "acre": 0.40468564224}
TOP_KEYS = {
    "batea_site_mapping",
    "source",
    "site_code",
    "location",
    "fields",
    "attributes",
    "ignore",
    "defaults",
}
SOURCE_KEYS = {"name", "id_column", "crs", "decimal_comma", "date_column", "url", "licence"}
FIELD_KEYS = {"field", "values", "unit", "multiply"}
MAX_ATTRIBUTE_TEXT = 500
_ATTRIBUTE_NAME = re.compile(r"[^a-z0-9_]+")


@dataclass
class FieldRule:
    column: str
    field: str
    values: dict[str, Any] = field(default_factory=dict)  # folded source value → Batea value
    factor: float = 1.0


@dataclass
class Mapping:
    name: str
    id_column: str
    crs: str = "EPSG:4326"
    decimal_comma: bool = False
    date_column: str = ""
    prefix: str = ""
    longitude: str = ""
    latitude: str = ""
    rules: list[FieldRule] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    ignore: set[str] = field(default_factory=set)
    defaults: dict[str, Any] = field(default_factory=dict)

    def mapped_columns(self, with_location: bool = True) -> set[str]:
        used = {self.id_column, self.date_column}
        if with_location:
            used |= {self.longitude, self.latitude}
        return {c for c in used if c} | {r.column for r in self.rules}


def load_mapping(content: bytes | str, name: str = "") -> tuple[Mapping | None, list[Problem]]:
    """Parse and check a mapping file; every problem names its line."""
    source = parse_yaml(content, name)
    if source.problems:
        return None, source.problems
    data = source.data
    problems: list[Problem] = []
    if not isinstance(data, dict) or data.get("batea_site_mapping") != 1:
        return None, [
            source.problem((), gettext_noop("A site mapping starts with batea_site_mapping: 1."))
        ]
    for key in data:
        if key not in TOP_KEYS:
            problems.append(
                source.problem((key,), gettext_noop("Unknown key %(key)s."), {"key": key})
            )
    meta = data.get("source")
    if not isinstance(meta, dict) or not meta.get("name") or not meta.get("id_column"):
        problems.append(
            source.problem(
                ("source",),
                gettext_noop("source needs a name (the data set) and an id_column."),
            )
        )
        return None, problems
    for key in meta:
        if key not in SOURCE_KEYS:
            problems.append(
                source.problem(("source", key), gettext_noop("Unknown key %(key)s."), {"key": key})
            )
    crs = str(meta.get("crs", "EPSG:4326"))
    if not is_wgs84(crs):
        problems.append(
            source.problem(
                ("source", "crs"),
                gettext_noop(
                    "Only WGS84 longitude/latitude (EPSG:4326) is read; %(crs)s must be "
                    "converted first."
                ),
                {"crs": crs},
            )
        )
    mapping = Mapping(
        name=str(meta["name"])[:200],
        id_column=str(meta["id_column"]),
        crs=crs,
        decimal_comma=bool(meta.get("decimal_comma", False)),
        date_column=str(meta.get("date_column") or ""),
    )
    code = data.get("site_code") or {}
    if not isinstance(code, dict):
        problems.append(source.problem(("site_code",), gettext_noop("site_code is a mapping.")))
    else:
        mapping.prefix = str(code.get("prefix", ""))
    location = data.get("location") or {}
    if isinstance(location, dict):
        mapping.longitude = str(location.get("longitude", ""))
        mapping.latitude = str(location.get("latitude", ""))
        if bool(mapping.longitude) != bool(mapping.latitude):
            problems.append(
                source.problem(
                    ("location",), gettext_noop("location needs both longitude and latitude.")
                )
            )
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        problems.append(
            source.problem(("fields",), gettext_noop("fields maps source columns to fields."))
        )
        fields = {}
    for column, spec in fields.items():
        rule = _field_rule(source, str(column), spec, problems)
        if rule is not None:
            mapping.rules.append(rule)
    targets = [r.field for r in mapping.rules]
    for target in set(targets):
        if targets.count(target) > 1:
            problems.append(
                source.problem(
                    ("fields",),
                    gettext_noop("Two columns map to %(field)s."),
                    {"field": target},
                )
            )
    attributes = data.get("attributes") or {}
    if isinstance(attributes, dict):
        mapping.attributes = {str(k): attribute_name(str(v)) for k, v in attributes.items()}
    mapping.ignore = {str(c) for c in (data.get("ignore") or [])}
    defaults = data.get("defaults") or {}
    if isinstance(defaults, dict):
        for key, value in defaults.items():
            if key not in SITE_FIELDS:
                problems.append(
                    source.problem(
                        ("defaults", key),
                        gettext_noop("%(key)s is not a site field."),
                        {"key": key},
                    )
                )
            else:
                mapping.defaults[key] = value
    return (None if problems else mapping), problems


def _field_rule(source: Source, column: str, spec: Any, problems: list[Problem]):
    path = ("fields", column)
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict) or "field" not in spec:
        problems.append(
            source.problem(path, gettext_noop("Give the site field, or {field: …, values: …}."))
        )
        return None
    for key in spec:
        if key not in FIELD_KEYS:
            problems.append(
                source.problem((*path, key), gettext_noop("Unknown key %(key)s."), {"key": key})
            )
    target = str(spec["field"])
    if target not in SITE_FIELDS:
        problems.append(
            source.problem(
                (*path, "field"),
                gettext_noop("%(key)s is not a site field; known: %(known)s."),
                {"key": target, "known": ", ".join(SITE_FIELDS)},
            )
        )
        return None
    factor = 1.0
    if "unit" in spec:
        if spec["unit"] not in UNITS or target != "area_ha":
            problems.append(
                source.problem(
                    (*path, "unit"),
                    gettext_noop("A unit applies to area_ha: one of %(units)s."),
                    {"units": ", ".join(UNITS)},
                )
            )
            return None
        factor = UNITS[spec["unit"]]
    if "multiply" in spec:
        if not isinstance(spec["multiply"], int | float) or isinstance(spec["multiply"], bool):
            problems.append(
                source.problem((*path, "multiply"), gettext_noop("multiply takes a number."))
            )
            return None
        factor *= float(spec["multiply"])
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        problems.append(
            source.problem((*path, "values"), gettext_noop("values maps source values to ours."))
        )
        return None
    return FieldRule(column, target, {fold(str(k)): v for k, v in values.items()}, factor)


def attribute_name(column: str) -> str:
    """A source column as an attribute key: lower case, digits and underscores."""
    folded = column.strip().casefold()
    for accented, plain in zip("áàâäãéèêëíìîïóòôöõúùûüçñ", "aaaaaeeeeiiiiooooouuuucn", strict=True):
        folded = folded.replace(accented, plain)
    return _ATTRIBUTE_NAME.sub("_", folded).strip("_")[:60] or "column"


@dataclass
class SiteRow:
    """One observation of a site in the data set."""

    line: int
    source_id: str
    site_code: str
    observed_on: date | None
    fields: dict[str, Any]
    attributes: dict[str, Any]
    geometry: dict | None


def map_rows(
    table: Table, mapping: Mapping, vocabularies: dict[str, dict[str, str]]
) -> tuple[list[SiteRow], list[Problem]]:
    """Apply the mapping to every row. `vocabularies` are folded word → code for the choice
    fields (kind, mining_method, processing_method, minerals)."""
    problems: list[Problem] = []
    if mapping.id_column not in table.columns:
        problems.append(
            Problem(
                mapping.id_column,
                gettext_noop("The id column %(value)s named by the mapping is not in the file."),
                {"value": mapping.id_column},
                table.name,
                1,
            )
        )
    # GeoJSON features carry their geometry; the location columns are for CSV.
    columns_locate = bool(mapping.longitude) and not table.features
    wanted = mapping.mapped_columns(with_location=columns_locate)
    # The id and location columns must be there; a release of the data set may lack some
    # mapped fields (see `absent_fields`).
    required = {mapping.date_column} | (
        {mapping.longitude, mapping.latitude} if columns_locate else set()
    )
    for column in sorted((wanted & required) - set(table.columns) - {mapping.id_column, ""}):
        problems.append(
            Problem(
                column,
                gettext_noop("The column %(value)s named by the mapping is not in the file."),
                {"value": column},
                table.name,
                1,
            )
        )
    if problems:
        return [], problems
    rows: list[SiteRow] = []
    seen: dict[tuple[str, date | None], int] = {}
    mapped = mapping.mapped_columns()  # location columns are never kept as attributes
    for index, row in enumerate(table.rows):
        found: list[Problem] = []

        def problem(column, template, value, row=row, found=found, **params):
            found.append(
                Problem(column, template, {"value": shorten(value), **params}, table.name, row.line)
            )

        raw_id = row.cells.get(mapping.id_column)
        source_id, id_problems = cell_text(raw_id, mapping.id_column, row.line, table.name, 80)
        found += id_problems
        if not source_id and not id_problems:
            problem(mapping.id_column, gettext_noop("The site has no id in this column."), "")
        observed_on = None
        if mapping.date_column and row.cells.get(mapping.date_column) not in (None, ""):
            observed_on, date_problems = parse_date(
                row.cells[mapping.date_column], mapping.date_column, row.line, table.name
            )
            found += date_problems
        fields = dict(mapping.defaults)
        for rule in mapping.rules:
            value, rule_problems = _apply_rule(
                rule, row.cells.get(rule.column), row.line, table.name, mapping, vocabularies
            )
            found += rule_problems
            if value is not None:
                fields[rule.field] = value
        geometry = table.features[index] if table.features else None
        if columns_locate:
            lon_raw, lat_raw = row.cells.get(mapping.longitude), row.cells.get(mapping.latitude)
            if lon_raw in (None, "") or lat_raw in (None, ""):
                problem(mapping.longitude, gettext_noop("The site has no coordinates."), "")
            else:
                lon, p1 = parse_decimal(
                    str(lon_raw),
                    mapping.longitude,
                    row.line,
                    table.name,
                    -180,
                    180,
                    mapping.decimal_comma,
                )
                lat, p2 = parse_decimal(
                    str(lat_raw),
                    mapping.latitude,
                    row.line,
                    table.name,
                    -90,
                    90,
                    mapping.decimal_comma,
                )
                found += p1 + p2
                if lon is not None and lat is not None:
                    geometry = {"type": "Point", "coordinates": [lon, lat]}
        elif geometry is None:
            problem("geometry", gettext_noop("The site has no location."), "")
        attributes: dict[str, Any] = {}
        for column, value in row.cells.items():
            if column in mapped or column in mapping.ignore or value in (None, ""):
                continue
            key = mapping.attributes.get(column) or attribute_name(column)
            typed, attribute_problems = _attribute(
                value, column, row.line, table.name, mapping.decimal_comma
            )
            found += attribute_problems
            if typed is not None:
                attributes[key] = typed
        site_code = (mapping.prefix + source_id)[:40] if source_id else ""
        if source_id and len(mapping.prefix + source_id) > 40:
            problem(
                mapping.id_column,
                gettext_noop("The site code %(value)s is longer than 40 characters."),
                mapping.prefix + source_id,
            )
        if source_id and not found:
            visit = (source_id, observed_on)
            if visit in seen:
                problem(
                    mapping.id_column,
                    gettext_noop("The site %(value)s is on row %(other)s too, for the same date."),
                    source_id,
                    other=seen[visit],
                )
            seen[visit] = row.line
        if "name" not in fields and not found:
            problem(mapping.id_column, gettext_noop("The site has no name: map a name column."), "")
        problems += found
        if not found:
            rows.append(
                SiteRow(row.line, source_id, site_code, observed_on, fields, attributes, geometry)
            )
    return ([] if problems else rows), problems


def absent_fields(table: Table, mapping: Mapping) -> list[Problem]:
    """Notes for mapped field columns this file does not have: those fields are left as
    they are."""
    return [
        Problem(
            rule.column,
            gettext_noop("The column %(value)s is not in this file: %(field)s is left as it is."),
            {"value": rule.column, "field": rule.field},
            table.name,
            1,
        )
        for rule in mapping.rules
        if rule.column not in table.columns
    ]


def _apply_rule(rule: FieldRule, raw, line, source, mapping, vocabularies):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, []
    text, problems = cell_text(raw, rule.column, line, source, 500)
    if problems:
        return None, problems
    kind = SITE_FIELDS[rule.field]
    if rule.values:
        mapped = rule.values.get(fold(text))
        if mapped is None:
            return None, [
                Problem(
                    rule.column,
                    gettext_noop("%(value)s is not among the values the mapping translates."),
                    {"value": shorten(text)},
                    source,
                    line,
                )
            ]
        text = str(mapped).lower() if isinstance(mapped, bool) else str(mapped)
    if kind == "text":
        return text[:200], []
    if kind == "bool":
        return parse_bool(text, rule.column, line, source)
    if kind in ("integer", "decimal"):
        number, found = parse_decimal(
            text, rule.column, line, source, 0, None, mapping.decimal_comma
        )
        if number is None:
            return None, found
        number *= rule.factor
        if kind == "integer":
            return parse_integer(str(round(number)), rule.column, line, source, 0, 1_000_000)
        return round(number, 4), []
    lookup = vocabularies.get(rule.field, {})
    if kind == "minerals":
        codes = []
        for part in (p for p in re.split(r"[;,/]", text) if p.strip()):
            code = lookup.get(fold(part))
            if code is None:
                return None, [_unknown(rule.column, part, line, source)]
            codes.append(code)
        return codes, []
    code = lookup.get(fold(text))
    if code is None:
        return None, [_unknown(rule.column, text, line, source)]
    return code, []


def _unknown(column, value, line, source) -> Problem:
    return Problem(
        column,
        gettext_noop("%(value)s is not a value Batea knows here; add it under values."),
        {"value": shorten(value)},
        source,
        line,
    )


def _attribute(value: Any, column: str, line: int, source: str, decimal_comma: bool = False):
    if isinstance(value, bool | int | float):
        return value, []
    if isinstance(value, list | dict):
        return None, [
            Problem(
                column,
                gettext_noop("Nested values are not kept as attributes."),
                {"value": shorten(str(value))},
                source,
                line,
            )
        ]
    text, problems = cell_text(value, column, line, source, MAX_ATTRIBUTE_TEXT)
    if problems or not text:
        return None, problems
    word = text.casefold()
    if word in TRUE_WORDS - {"1", "x", "s", "o", "y"}:
        return True, []
    if word in FALSE_WORDS - {"0", "n"}:
        return False, []
    if decimal_comma and re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(",", ".")
    if is_number_text(text):
        number = float(text)
        return (int(number) if number.is_integer() and abs(number) < 1e15 else number), []
    return text, []
