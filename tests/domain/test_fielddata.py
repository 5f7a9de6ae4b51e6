"""Field-data rules without Django: cells, files, XLSForms, submissions, templates and
mappings of third-party site data. Property-based where a property says more than
examples."""

import copy
import csv
import functools
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from batea.domain.fielddata.cells import (
    FORMULA_PREFIXES,
    cell_text,
    looks_like_formula,
    neutralise,
    parse_date,
    parse_integer,
)
from batea.domain.fielddata.mapping import load_mapping, map_rows
from batea.domain.fielddata.records import Vocabulary, parse_records
from batea.domain.fielddata.submissions import (
    Defaults,
    parse_submission,
    read_envelopes,
    short_name,
)
from batea.domain.fielddata.tables import read_table
from batea.domain.fielddata.xlsform import (
    SCOPES,
    Subject,
    build_xlsform,
    form_spec,
    question_names,
    requirements_for,
)
from batea.domain.standards.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "batea" / "standards" / "catalogues").glob("*.yaml"))
EXAMPLE = ROOT / "docs" / "examples" / "example-standard.yaml"
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def catalogue_of(path: Path):
    """A fresh catalogue (tests change their copy); parsing is cached."""
    return copy.deepcopy(_parsed(path))


@functools.cache
def _parsed(path: Path):
    catalogue, problems = load_catalogue(path.read_bytes(), path.name)
    assert not problems, problems
    return catalogue


# Cells ---------------------------------------------------------------------------------------


@given(st.text(max_size=40))
def test_a_neutralised_cell_never_starts_a_formula(text):
    value = neutralise(text)
    if value[:1] in FORMULA_PREFIXES:
        float(value)  # only plain numbers keep a sign in front


@given(st.text(max_size=40))
def test_cells_read_as_formulas_are_refused(text):
    clean, problems = cell_text(text, "c", 2)
    if looks_like_formula(text):
        assert clean == "" and problems
    elif not problems:
        assert not looks_like_formula(clean)


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+1", True),
        ("@SUM(A1)", True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("-76.65", False),
        ("+57", False),
        ("-", False),
        ("Rosa", False),
        ("\t=1", True),
    ],
)
def test_formula_examples(text, formula):
    assert looks_like_formula(text) is formula


@given(st.integers())
def test_integers_out_of_bounds_are_refused_never_truncated(number):
    value, problems = parse_integer(str(number), "n", 2, minimum=0, maximum=1_000_000)
    assert (value == number) == (0 <= number <= 1_000_000)
    assert bool(problems) != (value is not None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-31", date(2024, 3, 31)),
        ("31/03/2024", date(2024, 3, 31)),
        ("2024-03-31T10:00:00", date(2024, 3, 31)),
        (date(2020, 1, 2), date(2020, 1, 2)),
        ("03-31-2024", None),
        ("2024-02-30", None),
    ],
)
def test_dates(value, expected):
    assert parse_date(value, "d", 2)[0] == expected


# Files ----------------------------------------------------------------------------------------

safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda t: t.strip() == t and not looks_like_formula(t))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(safe_text, min_size=3, max_size=3), min_size=1, max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_in_any_delimiter_reads_back_the_same_cells(rows, delimiter):
    header = ["a", "b", "c"]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
    table = read_table(buffer.getvalue().encode(), "x.csv")
    assert table.problems == []
    assert [[r.cells[c] for c in header] for r in table.rows] == rows
    assert [r.line for r in table.rows] == list(range(2, len(rows) + 2))


def test_an_xlsx_formula_comes_back_as_text_never_computed():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["a", "b"])
    sheet.append(["=2*21", 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "x.xlsx")
    assert table.rows[0].cells == {"a": "=2*21", "b": 7}


def test_files_that_cannot_be_read_are_explained():
    assert [p.message for p in read_table(b"", "e.csv").problems] == ["The file is empty."]
    latin = "a,b\n1,é\n".encode("latin-1")
    assert read_table(latin, "l.csv").problems[0].line == 2
    assert "twice" in read_table(b"a,a\n1,2\n", "d.csv").problems[0].message
    assert "values but the header" in read_table(b"a,b\n1,2,3\n", "w.csv").problems[0].message
    assert "not valid JSON" in read_table(b'{"results": [NaN]}', "n.json").problems[0].message
    zip_not_xlsx = b"PK\x03\x04" + b"\0" * 30
    assert "not a readable Excel" in read_table(zip_not_xlsx, "z.xlsx").problems[0].message
    crs = {
        "type": "FeatureCollection",
        "features": [],
        "crs": {"type": "name", "properties": {"name": "EPSG:32719"}},
    }
    assert "EPSG:32719" in read_table(json.dumps(crs).encode(), "c.geojson").problems[0].message


def test_kobo_api_json_is_a_table_of_its_results():
    content = json.dumps({"count": 1, "results": [{"_uuid": "u1", "g/q": "x"}]}).encode()
    table = read_table(content, "k.json")
    assert table.kind == "json" and table.columns == ["_uuid", "g/q"]
    assert table.rows[0].line == 1


# XLSForms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.stem)
@pytest.mark.parametrize("scope", SCOPES)
def test_a_form_asks_each_requirement_of_its_scope_once_in_every_language(path, scope):
    catalogue = catalogue_of(path)
    form = build_xlsform(catalogue, scope, subjects=[Subject("M-1", "M-1 · Ana")])
    assert form.problems == []
    names = [row["name"] for row in form.survey if row["name"]]
    assert len(names) == len(set(names))
    assert all(XML_NAME.match(name) for name in names)
    asked = [
        r for r in form.survey if r["name"].startswith("r_") and r["type"].startswith("select")
    ]
    assert len(asked) == len(requirements_for(catalogue, scope))
    for language in catalogue.languages:
        column = next(
            c
            for c in form.survey_columns
            if c.startswith("label::") and c.endswith(f"({language})")
        )
        assert all(row.get(column) for row in asked)
        assert all(row.get(column) for row in form.choices)
    constants = {r["name"]: r["calculation"] for r in form.survey if r["type"] == "calculate"}
    assert constants["batea_standard"] == f"'{catalogue.id}'"
    assert constants["batea_version"] == f"'{catalogue.version}'"
    assert form.settings["version"].startswith(catalogue.version)
    photos = [r for r in form.survey if r["type"] == "image"]
    assert len(photos) == len(asked) and all(r["parameters"] for r in photos)


def test_scores_use_the_scale_and_pass_fail_the_compliance_list():
    catalogue = catalogue_of(EXAMPLE)
    form = build_xlsform(catalogue, "site")
    types = {r["name"]: r["type"] for r in form.survey}
    assert types["r_EX_ENV_01"] == "select_one scale_1_5"
    assert types["r_EX_ENV_02"] == "select_one compliance"
    assert types["site"] == "select_one_from_file sites.csv"
    assert form.external_file == "sites.csv"


def test_a_scope_without_requirements_is_explained():
    catalogue = catalogue_of(EXAMPLE)
    catalogue.requirements = [r for r in catalogue.requirements if r.applies_to != "member"]
    form = build_xlsform(catalogue, "member")
    assert [p.message for p in form.problems] == [
        "No requirement of example-mini-standard 1.0 applies to the member."
    ]


@settings(deadline=None)
@given(
    st.lists(
        st.from_regex(r"[A-Z]{1,3}[-._ ]?[0-9]{1,2}", fullmatch=True),
        min_size=1,
        max_size=12,
        unique=True,
    )
)
def test_question_names_are_unique_xml_names_whatever_the_ids(ids):
    catalogue = catalogue_of(EXAMPLE)
    template = catalogue.requirements[1]
    from dataclasses import replace

    catalogue.requirements = [replace(template, id=i, order=n) for n, i in enumerate(ids)]
    names = question_names(catalogue, template.applies_to)
    assert len(set(names.values())) == len(ids)
    assert all(XML_NAME.match(name) for name in names.values())
    assert names == question_names(catalogue, template.applies_to)  # deterministic


# Submissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("ch_legal/r_EX_LEG_02", "r_EX_LEG_02"),
        ("meta/instanceID", "instanceID"),
        ("ch_legal-r_EX_LEG_02", "r_EX_LEG_02"),
        ("visit-location-Latitude", "location-Latitude"),
        ("_location_latitude", "_location_latitude"),
        ("KEY", "KEY"),
    ],
)
def test_group_prefixes_of_kobo_and_odk_central_are_dropped(column, name):
    assert short_name(column) == name


def member_rows(rows: list[dict], delimiter=";") -> bytes:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def read_submissions(content: bytes, name: str = "s.csv"):
    catalogue = catalogue_of(EXAMPLE)
    table = read_table(content, name)
    envelopes, problems = read_envelopes(table, Defaults())
    records = []
    for row, envelope in envelopes:
        record, found = parse_submission(row, envelope, form_spec(catalogue, envelope.scope), name)
        problems += found
        if record:
            records.append(record)
    return records, problems


BASE = {
    "today": "2024-05-02",
    "batea_standard": "example-mini-standard",
    "batea_version": "1.0",
    "batea_scope": "member",
    "visit/member": "A-001",
    "visit/location": "5.17 -76.65 40 5",
}


def test_a_kobo_row_becomes_a_submission_record():
    row = {
        **BASE,
        "ch_legal/r_EX_LEG_02": "No cumple",
        "ch_legal/r_EX_LEG_02_notes": "sin firma",
        "ch_legal/r_EX_LEG_02_photo": "a.jpg",
        "_uuid": "u-1",
        "_submission_time": "2024-05-02T14:30:00",
        "meta/deprecatedID": "uuid:u-0",
    }
    (record,), problems = read_submissions(member_rows([row]))
    assert problems == []
    assert (record.uuid, record.replaces, record.subject, record.kind) == (
        "u-1",
        "u-0",
        "A-001",
        "ics",
    )
    assert (record.latitude, record.longitude, record.assessed_on) == (
        5.17,
        -76.65,
        date(2024, 5, 2),
    )
    (answer,) = record.answers
    assert (answer.requirement, answer.value, answer.notes, answer.photo) == (
        "EX-LEG-02",
        "non_compliant",
        "sin firma",
        "a.jpg",
    )


def test_an_odk_central_row_is_read_too():
    row = {
        "SubmissionDate": "2024-05-02T14:30:00.000Z",
        "today": "2024-05-01",
        "batea_standard": "example-mini-standard",
        "batea_version": "1.0",
        "batea_scope": "site",
        "visit-site": "A-1",
        "visit-location-Latitude": "5.17",
        "visit-location-Longitude": "-76.65",
        "ch_environment-r_EX_ENV_01": "4",
        "ch_environment-r_EX_ENV_02": "not_applicable",
        "meta-instanceID": "uuid:c-1",
        "KEY": "uuid:c-1",
    }
    (record,), problems = read_submissions(member_rows([row], ","))
    assert problems == []
    assert record.subject == "A-1" and record.longitude == -76.65
    assert {(a.requirement, a.value, a.score) for a in record.answers} == {
        ("EX-ENV-01", "", 4),
        ("EX-ENV-02", "not_applicable", None),
    }


@settings(deadline=None)
@given(
    st.sampled_from(["compliant", "partly", "non_compliant", "not_applicable"]),
    st.sampled_from(["csv", "json"]),
)
def test_the_fingerprint_does_not_depend_on_the_export_format(value, fmt):
    row = {**BASE, "ch_legal/r_EX_LEG_02": value, "_uuid": "u-9"}
    content = member_rows([row]) if fmt == "csv" else json.dumps({"results": [row]}).encode()
    (record,), _ = read_submissions(content, f"s.{fmt}")
    (other,), _ = read_submissions(member_rows([row]))
    assert record.fingerprint() == other.fingerprint()


# Templates ----------------------------------------------------------------------------------------

VOCABULARIES = {
    "gender": Vocabulary(["female", "male"], {"female": ["Female", "Mujer", "Femme"]}),
    "role": Vocabulary(["panner", "worker"], {"worker": ["Mine worker", "Trabajador/a de mina"]}),
    "status": Vocabulary(["applicant", "approved"], {}),
    "site": Vocabulary(["S-1"], {}),
}


def members(text: str):
    return parse_records(
        read_table(text.encode(), "m.csv"), "members", VOCABULARIES, today=date(2025, 1, 1)
    )


def test_member_rows_accept_codes_and_labels_in_any_language():
    records, problems = members(
        "member_number,given_name,gender,role,join_date,primary_site\n"
        "M-1,Ana,Mujer,trabajador/a de mina,2020-01-01,S-1\n"
        "M-2,Bo,male,panner,02/03/2021,\n"
    )
    assert problems == []
    assert [(r.values["gender"], r.values["role"]) for r in records] == [
        ("female", "worker"),
        ("male", "panner"),
    ]
    assert "primary_site" not in records[1].values  # blank keeps what is stored


@settings(deadline=None)
@given(st.lists(st.sampled_from(["M-1", "m-1", "M-2", "M-3"]), min_size=2, max_size=6))
def test_every_duplicate_member_number_is_reported_and_nothing_returned(numbers):
    text = "member_number,given_name,gender,role,join_date\n" + "".join(
        f"{n},X,female,panner,2020-01-01\n" for n in numbers
    )
    records, problems = members(text)
    duplicates = len(numbers) - len({n.upper() for n in numbers})
    assert len(problems) == duplicates
    if duplicates:
        assert records == []
    else:
        assert len(records) == len(numbers)


def test_a_national_id_repeated_in_the_file_is_reported_without_showing_it():
    records, problems = members(
        "member_number,given_name,gender,role,join_date,national_id\n"
        "M-1,Ana,female,panner,2020-01-01,12.345.678\nM-2,Bo,male,panner,2020-01-01,12345678\n"
    )
    assert [(p.line, p.message) for p in problems] == [(3, "The same national id is on row 2.")]
    assert "12345678" not in str(problems)


# Third-party site data ----------------------------------------------------------------------------

MAPPING = """batea_site_mapping: 1
source: {name: Enquête, id_column: id_site, decimal_comma: true, date_column: date}
site_code: {prefix: "E-"}
location: {longitude: lon, latitude: lat}
fields:
  nom: name
  surface: {field: area_ha, unit: m2}
  type: {field: kind, values: {"site de traitement": processing}}
attributes: {groupes_armes: armed_group_presence}
ignore: [enqueteur]
"""


def test_a_mapping_turns_french_columns_into_site_fields_and_attributes():
    mapping, problems = load_mapping(MAPPING, "m.yaml")
    assert problems == []
    data = (
        "id_site;date;nom;lon;lat;surface;type;groupes_armes;profondeur_m;enqueteur\n"
        "7;10/03/2024;Puits 7;-69,54;-14,67;12500;site de traitement;non;12,5;E-1\n"
    )
    rows, problems = map_rows(
        read_table(data.encode(), "d.csv"), mapping, {"kind": {"processing": "processing"}}
    )
    assert problems == []
    (row,) = rows
    assert row.site_code == "E-7" and row.observed_on == date(2024, 3, 10)
    assert row.fields == {"name": "Puits 7", "area_ha": 1.25, "kind": "processing"}
    assert row.geometry == {"type": "Point", "coordinates": [-69.54, -14.67]}
    assert row.attributes == {"armed_group_presence": False, "profondeur_m": 12.5}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("crs: EPSG:4326", ""), None),
        (
            ("decimal_comma: true", "crs: EPSG:32719"),
            "Only WGS84 longitude/latitude (EPSG:4326) is read; EPSG:32719 must be converted "
            "first.",
        ),
        (("unit: m2", "unit: furlong"), "A unit applies to area_ha: one of ha, m2, km2, acre."),
        (("nom: name", "nom: nickname"), None),
        (
            ("batea_site_mapping: 1", "batea_site_mapping: 2"),
            "A site mapping starts with batea_site_mapping: 1.",
        ),
    ],
)
def test_mapping_mistakes_are_explained_with_their_line(change, message):
    text = MAPPING.replace(*change)
    mapping, problems = load_mapping(text, "m.yaml")
    if message is None:
        if change[1] == "nom: nickname":
            assert "nickname is not a site field" in problems[0].message
            assert problems[0].line == 6
        return
    assert mapping is None
    assert problems[0].message == message
    assert problems[0].source == "m.yaml"


def test_a_photo_address_given_by_one_export_only_does_not_change_the_fingerprint():
    row = {
        **BASE,
        "ch_legal/r_EX_LEG_02": "partly",
        "ch_legal/r_EX_LEG_02_photo": "p.jpg",
        "_uuid": "u-7",
    }
    with_url = {**row, "ch_legal/r_EX_LEG_02_photo_URL": "https://kc.example.org/media/p.jpg"}
    (csv_record,), problems = read_submissions(member_rows([with_url]))
    assert problems == [] and csv_record.answers[0].photo_url.endswith("p.jpg")
    (json_record,), _ = read_submissions(json.dumps({"results": [row]}).encode(), "s.json")
    assert csv_record.fingerprint() == json_record.fingerprint()
