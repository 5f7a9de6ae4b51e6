"""Field data: XLSForms from every shipped standard, Kobo/ODK submission imports, spreadsheet
templates and imports of registry records, third-party site data, exports, pages and
permissions. Every import is all or nothing; the corpus of broken files in
tests/fixtures/fielddata/ is refused with the exact problem, database unchanged."""

import csv
import io
import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from batea.assessments.models import Answer, Assessment, NonConformity
from batea.domain.fielddata.xlsform import NOT_APPLICABLE, PASS_FAIL_VALUES
from batea.fielddata import exports
from batea.fielddata.models import ImportedSubmission, ImportRun, SiteObservation
from batea.fielddata.records import import_records, template_workbook
from batea.fielddata.sitedata import import_site_data
from batea.fielddata.submissions import import_submissions
from batea.fielddata.xlsform import generate
from batea.registry.models import Licence, Member, Site
from batea.standards import services as standards
from batea.standards.models import StandardVersion
from tests.conftest import make_member, make_site

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "fielddata"
EXAMPLES = ROOT / "examples"
SCOPES = ("member", "site", "organisation")


# Fabricating exports in Kobo's shape -------------------------------------------------------


def kobo_columns(form) -> list[tuple[str, dict]]:
    """(export column, survey row) of every field, with Kobo's group prefixes."""
    stack, columns = [], []
    for row in form.survey:
        if row["type"] == "begin_group":
            stack.append(row["name"])
        elif row["type"] == "end_group":
            stack.pop()
        else:
            columns.append(("/".join([*stack, row["name"]]), row))
    return columns


def answer_for(row: dict, index: int) -> str:
    if row["type"].endswith("scale_1_5"):
        return [*"12345", NOT_APPLICABLE][index % 6]
    return PASS_FAIL_VALUES[index % 4]


def fabricate(form, subjects: list[str], day: date, seed: int = 0) -> list[dict]:
    """Submissions as KoboToolbox's API returns them (XML names as keys)."""
    records = []
    for n, subject in enumerate(subjects):
        record, questions = {}, 0
        for column, row in kobo_columns(form):
            kind = row["type"]
            if kind in ("start", "end"):
                record[column] = f"{day.isoformat()}T09:1{n % 10}:00.000-05:00"
            elif kind == "today":
                record[column] = day.isoformat()
            elif kind == "calculate":
                record[column] = row["calculation"].strip("'\"")
            elif kind.startswith(("select_one members", "select_one sites", "select_one_from")):
                record[column] = subject
            elif kind.startswith("select_one"):
                record[column] = answer_for(row, n + questions + seed)
                questions += 1
            elif kind == "geopoint":
                record[column] = "5.17 -76.65 40 5"
                record["_location_latitude"] = "5.17"
                record["_location_longitude"] = "-76.65"
            elif kind == "text":
                record[column] = f"note {n}" if row["name"].endswith("_notes") and n % 2 else ""
            elif kind == "image":
                record[column] = f"IMG_{n}.jpg" if n % 3 == 0 else ""
        identifier = str(uuid.UUID(int=(seed + 1) * 10**6 + n))
        record.update(
            {
                "meta/instanceID": f"uuid:{identifier}",
                "_id": 1000 + n,
                "_uuid": identifier,
                "_submission_time": f"{day.isoformat()}T14:30:0{n % 10}",
                "_status": "submitted_via_web",
                "_submitted_by": "inspector",
                "__version__": "vAbCdEf123",
                "_geolocation": [5.17, -76.65],
                "_attachments": [],
            }
        )
        records.append(record)
    return records


def as_kobo_csv(records: list[dict]) -> bytes:
    columns = list(dict.fromkeys(key for record in records for key in record))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for record in records:
        writer.writerow(
            [
                json.dumps(v) if isinstance(v, list) else record.get(c, "")
                for c, v in ((c, record.get(c, "")) for c in columns)
            ]
        )
    return buffer.getvalue().encode()


def as_kobo_xlsx(records: list[dict]) -> bytes:
    columns = list(dict.fromkeys(key for record in records for key in record))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for record in records:
        sheet.append(
            [
                str(record.get(c, "")) if isinstance(record.get(c), list) else record.get(c, "")
                for c in columns
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_kobo_json(records: list[dict]) -> bytes:
    return json.dumps({"count": len(records), "next": None, "results": records}).encode()


def snapshot():
    """Everything an import could touch."""
    return (
        list(Member.objects.order_by("pk").values()),
        list(Site.objects.order_by("pk").values()),
        list(Licence.objects.order_by("pk").values()),
        list(Assessment.objects.order_by("pk").values()),
        list(Answer.objects.order_by("pk").values()),
        ImportedSubmission.objects.count(),
        SiteObservation.objects.count(),
    )


@pytest.fixture
def shipped(db):
    report = standards.import_files(standards.read_paths(standards.shipped_files()))
    assert report.ok, report.problems
    return [
        v
        for v in StandardVersion.objects.select_related("standard")
        if v.standard.owner_id is None and v.standard.code != "example-mini-standard"
    ]


@pytest.fixture
def field_org(world):
    """Organisation A with three members and two sites to inspect."""
    org = world.org_a
    make_member(org, "A-002", "Beatriz", "Bonilla")
    make_member(org, "A-003", "Carlos", "Córdoba", gender="male", role="worker")
    make_site(
        org, "A-2", "Quebrada Honda", {"type": "Point", "coordinates": [-76.64, 5.18]}, area_ha=1
    )
    return org


# Round trip ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "oecd-annex-ii-risk-screen",
        "craft-style-market-entry",
        "fairmined-style-progressive",
        "fairtrade-style-gold",
    ],
)
def test_round_trip_form_submissions_assessments_idempotent(world, field_org, shipped, code):
    version = StandardVersion.objects.get(standard__code=code)
    day = date.today() - timedelta(days=3)
    for scope in SCOPES:
        generated = generate(version, scope, organisation=field_org, user=world.manager_a)
        # pyxform converts it without errors or warnings (generate checks; check again here)
        warnings = []
        convert(generated.xlsx, warnings=warnings, file_type=".xlsx")
        assert warnings == []
        questions = [
            r
            for r in generated.form.survey
            if r["name"].startswith("r_") and r["type"].startswith("select_one")
        ]
        expected_codes = {r.id for r in version.catalogue().requirements if r.applies_to == scope}
        assert len(questions) == len(expected_codes)
        assert generated.form.settings["form_id"].startswith("batea_")
        assert generated.form.settings["version"].startswith(version.version + "-")
        labels = [c for c in generated.form.survey_columns if c.startswith("label::")]
        assert labels == ["label::English (en)", "label::Español (es)", "label::Français (fr)"]
        for row in questions:
            assert all(row[c] for c in labels), row["name"]

        subjects = {
            "member": ["A-001", "A-002", "A-003"],
            "site": ["A-1", "A-2"],
            "organisation": [""],
        }[scope]
        records = fabricate(generated.form, subjects, day, seed=SCOPES.index(scope))
        before = Assessment.objects.count()
        report = import_submissions(
            world.manager_a, field_org, as_kobo_csv(records), f"{code}-{scope}.csv"
        )
        assert report.ok, [str(p) for p in report.problems]
        assert len(report.created) == len(subjects)
        created = Assessment.objects.filter(
            organisation=field_org, version=version, subject_type=scope
        )
        assert Assessment.objects.count() == before + len(subjects)
        for record in records:
            imported = ImportedSubmission.objects.get(uuid=record["_uuid"])
            assessment = imported.assessment
            assert assessment in created
            assert assessment.status == "submitted"
            assert assessment.assessed_on == day
            assert assessment.kind == ("self" if scope == "organisation" else "ics")
            if scope == "member":
                assert assessment.member.member_number == record["visit/member"]
            if scope == "site":
                assert assessment.site.site_code == record["visit/site"]
            answers = {
                a.requirement.code: a for a in assessment.answers.select_related("requirement")
            }
            assert set(answers) == expected_codes
            for column, row in kobo_columns(generated.form):
                if row["name"].startswith("r_") and row["type"].startswith("select_one"):
                    code_ = next(
                        c
                        for c in expected_codes
                        if row["name"] == "r_" + c.replace("-", "_").replace(".", "_")
                    )
                    given = record[column]
                    answer = answers[code_]
                    if given.isdigit():
                        assert answer.score == int(given)
                    else:
                        assert answer.value == given
            assert answers[next(iter(expected_codes))].latitude == pytest.approx(5.17)

        # Importing again — as CSV, XLSX or JSON — changes nothing.
        state = snapshot()
        findings = NonConformity.objects.count()
        for content, name in (
            (as_kobo_csv(records), "again.csv"),
            (as_kobo_xlsx(records), "again.xlsx"),
            (as_kobo_json(records), "again.json"),
        ):
            again = import_submissions(world.manager_a, field_org, content, name)
            assert again.ok, [str(p) for p in again.problems]
            assert again.created == [] and again.updated == []
            assert len(again.unchanged) == len(subjects)
        assert snapshot() == state
        assert NonConformity.objects.count() == findings


def test_a_form_without_organisation_reads_subjects_from_a_file(world, field_org):
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    generated = generate(version, "member")
    member = next(r for r in generated.form.survey if r["name"] == "member")
    assert member["type"] == "select_one_from_file members.csv"
    assert "batea_org" not in [r["name"] for r in generated.form.survey]
    listed = generate(version, "member", organisation=field_org, subjects="file")
    assert listed.subjects_csv.decode().splitlines()[:2] == [
        "name,label",
        "A-001,A-001 · Alicia Aguirre",
    ]
    other = generate(version, "member", organisation=field_org)
    assert other.form.version != listed.form.version  # a new subject list is a new version


def test_an_edited_submission_corrects_the_same_assessment(world, field_org):
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    form = generate(version, "member", organisation=field_org).form
    day = date.today() - timedelta(days=1)
    (record,) = fabricate(form, ["A-002"], day)
    record["ch_legal/r_EX_LEG_02"] = "compliant"
    assert import_submissions(world.manager_a, field_org, as_kobo_json([record]), "a.json").ok
    assessment = ImportedSubmission.objects.get(uuid=record["_uuid"]).assessment
    edited = dict(record)
    edited["meta/deprecatedID"] = record["meta/instanceID"]
    edited["_uuid"] = str(uuid.uuid4())
    edited["meta/instanceID"] = f"uuid:{edited['_uuid']}"
    edited["ch_legal/r_EX_LEG_02"] = "non_compliant"
    report = import_submissions(world.manager_a, field_org, as_kobo_json([edited]), "b.json")
    assert report.ok and report.updated and not report.created
    current = assessment.answers.get(current=True)
    assert current.value == "non_compliant"
    assert current.supersedes.value == "compliant"
    assert "replaces" in current.correction_reason
    assert Assessment.objects.filter(member__member_number="A-002").count() == 1


def test_a_retired_version_is_refused_unless_mapped_onto_the_current_one(world, field_org):
    old = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    form = generate(old, "site", organisation=field_org).form
    records = fabricate(form, ["A-1"], date.today() - timedelta(days=1))
    old.retire()
    before = snapshot()
    report = import_submissions(world.manager_a, field_org, as_kobo_csv(records), "old.csv")
    assert not report.ok
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (
            2,
            "batea_version",
            "The form is for example-mini-standard 1.0, which is retired. Collect with a form "
            "of the current version, or import mapping the answers onto it.",
        )
    ]
    assert snapshot() == before
    mapped = import_submissions(
        world.manager_a, field_org, as_kobo_csv(records), "old.csv", remap_retired=True
    )
    assert mapped.ok, [str(p) for p in mapped.problems]
    assessment = ImportedSubmission.objects.get(uuid=records[0]["_uuid"]).assessment
    assert assessment.version.version == "1.1"
    assert {a.requirement.code for a in assessment.answers.all()} == {"EX-ENV-02"}
    assert [n.params["value"] for n in mapped.notes] == ["EX-ENV-01"]


def test_a_role_records_only_its_own_kind_of_assessment(world, field_org):
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    form = generate(version, "member", organisation=field_org).form
    records = fabricate(form, ["A-001"], date.today() - timedelta(days=1))
    before = snapshot()
    report = import_submissions(world.auditor_user, field_org, as_kobo_csv(records), "x.csv")
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (2, "batea_kind", "Your role does not allow recording this kind of assessment here.")
    ]
    assert snapshot() == before


# The corpus of broken files -------------------------------------------------------------------

FORMULA = (
    "Formulas are not accepted: type the value itself (a text starting with =, +, - or @ is "
    "read as a formula by spreadsheets)."
)
BROKEN = [
    ("empty.csv", "members", [(None, "", "The file is empty.")]),
    (
        "members_header_only.csv",
        "members",
        [(None, "", "The file has no rows of data under its header.")],
    ),
    (
        "members_unknown_column.csv",
        "members",
        [
            (
                1,
                "favourite_colour",
                "Unknown column favourite_colour; use the template's columns (see its "
                "instructions sheet).",
            )
        ],
    ),
    (
        "members_missing_column.csv",
        "members",
        [(1, "gender", "The required column gender is missing.")],
    ),
    (
        "members_bad_types.csv",
        "members",
        [
            (2, "gender", "femenino is not one of the allowed values (see the dropdown)."),
            (2, "join_date", "15/13/2021 is not a date; write it as YYYY-MM-DD (e.g. 2024-03-31)."),
            (2, "birth_year", "nineteen is not a whole number."),
        ],
    ),
    (
        "members_duplicates.csv",
        "members",
        [(3, "member_number", "A-100 is also on row 2 of this file.")],
    ),
    ("members_formula.csv", "members", [(2, "given_name", FORMULA)]),
    ("members_formula.xlsx", "members", [(2, "given_name", FORMULA)]),
    (
        "members_huge_number.csv",
        "members",
        [(2, "birth_year", "1000000000000000000000000000000 is too large.")],
    ),
    (
        "members_latin1.csv",
        "members",
        [
            (
                2,
                "",
                "The file is not UTF-8 text (first bad byte on line 2); save it as “CSV UTF-8” "
                "or export it again as UTF-8.",
            )
        ],
    ),
    (
        "members_old_format.xls",
        "members",
        [
            (
                None,
                "",
                "This is the old Excel 97–2003 format (.xls); save it as .xlsx or as CSV UTF-8.",
            )
        ],
    ),
    (
        "sites_swapped_coordinates.csv",
        "sites",
        [
            (
                2,
                "longitude",
                "The location is outside Colombia, but would be inside it with longitude and "
                "latitude swapped. GeoJSON order is [longitude, latitude].",
            )
        ],
    ),
    (
        "submissions_unknown_member.csv",
        "submissions",
        [(2, "visit/member", "No member A-999 in alpha-coop.")],
    ),
    (
        "submissions_other_organisation.csv",
        "submissions",
        [
            (
                2,
                "batea_org",
                "This submission was made with the form of organisation beta-assoc, not "
                "alpha-coop.",
            )
        ],
    ),
    (
        "submissions_duplicate_uuid.csv",
        "submissions",
        [
            (
                3,
                "_uuid",
                "The submission 0e3b6a53-0000-4000-8000-000000000003 appears twice in the file "
                "(also row 2).",
            )
        ],
    ),
    (
        "submissions_bad_answer.csv",
        "submissions",
        [
            (
                2,
                "ch_legal/r_EX_LEG_02",
                "maybe is not an answer: compliant, partly, non_compliant or not_applicable.",
            )
        ],
    ),
    (
        "submissions_future_date.csv",
        "submissions",
        [(2, "today", "The date is in the future.")],
    ),
    (
        "submissions_no_uuid.csv",
        "submissions",
        [
            (
                None,
                "",
                "No submission id column (_uuid, meta/instanceID or KEY): export the "
                "submissions with their metadata, using XML values and headers.",
            )
        ],
    ),
    (
        "submissions_other_form.csv",
        "submissions",
        [
            (
                2,
                "ch_environment/r_EX_ENV_02",
                "ch_environment/r_EX_ENV_02 is not a question of example-mini-standard 1.0 for "
                "the member: the submission comes from another form.",
            )
        ],
    ),
    (
        "submissions_not_json.json",
        "submissions",
        [(1, "", "The file is not valid JSON: Expecting property name enclosed in double quotes")],
    ),
    (
        "submissions_nan.json",
        "submissions",
        [(None, "", "The file is not valid JSON: NaN is not a number")],
    ),
    (
        "submissions_huge_score.json",
        "submissions",
        [
            (
                1,
                "ch_environment/r_EX_ENV_01",
                "10000000000000000000000000000000000000000 is not a score from 1 to 5 (or not "
                "applicable).",
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "kind", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_every_broken_file_is_refused_with_its_reason_and_nothing_changes(
    world, name, kind, expected
):
    content = (CORPUS / name).read_bytes()
    before = snapshot()
    if kind == "submissions":
        report = import_submissions(world.manager_a, world.org_a, content, name)
    else:
        report = import_records(world.manager_a, world.org_a, kind, content, name)
    assert not report.ok
    assert [(p.line, p.path, p.message) for p in report.problems] == expected
    assert all(p.source == name for p in report.problems)
    assert report.created == report.updated == report.unchanged == []
    assert snapshot() == before
    run = ImportRun.objects.get(file_name=name)
    assert (run.ok, run.problems) == (False, len(expected))


def test_one_bad_row_among_good_ones_imports_nothing(world):
    rows = (
        "member_number,given_name,gender,role,join_date\n"
        + "".join(f"A-{200 + n},Name {n},female,panner,2021-01-0{n % 9 + 1}\n" for n in range(20))
        + "A-300,Bad,female,panner,2999-01-01\n"
    )
    before = snapshot()
    report = import_records(world.manager_a, world.org_a, "members", rows.encode(), "m.csv")
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (22, "join_date", "The date 2999-01-01 is in the future.")
    ]
    assert snapshot() == before


# Members, sites and licences -----------------------------------------------------------------


def test_members_import_upserts_by_member_number_and_is_idempotent(world):
    rows = (
        "Número de miembro;Nombres;Apellidos;Género;Rol;Fecha de ingreso;Documento de identidad;"
        "Sitio principal\n"
        "A-001;Alicia;Aguirre Ríos;Femenino;Barequera;2020-01-01;;A-1\n"
        "A-010;Rosa;Mamani;female;panner;15/03/2021;12.345.678-9;\n"
    )
    with translation.override("es"):
        labels = dict(Member.Gender.choices), dict(Member.MemberRole.choices)
    if "Femenino" not in labels[0].values() or "Barequera" not in labels[1].values():
        rows = rows.replace("Femenino", "female").replace("Barequera", "panner")
    report = import_records(world.manager_a, world.org_a, "members", rows.encode(), "m.csv")
    assert report.ok, [str(p) for p in report.problems]
    assert (report.created, report.updated) == (["A-010"], ["A-001"])
    alicia = Member.objects.get(organisation=world.org_a, member_number="A-001")
    assert alicia.family_name == "Aguirre Ríos"
    assert alicia.national_id_masked == "•••••••890"  # a blank id keeps the stored one
    rosa = Member.objects.get(organisation=world.org_a, member_number="A-010")
    assert rosa.join_date == date(2021, 3, 15)
    assert rosa.national_id_masked == "••••••789"
    assert "12345678" not in str(Member.objects.filter(pk=rosa.pk).values().get())
    state = snapshot()
    again = import_records(world.manager_a, world.org_a, "members", rows.encode(), "m.csv")
    assert again.ok and again.created == [] and again.updated == []
    assert snapshot() == state


def test_a_national_id_already_held_by_another_member_is_refused(world):
    rows = "member_number,given_name,gender,role,join_date,national_id\n"
    rows += "A-050,Eva,female,panner,2020-01-01,1234567890\n"
    before = snapshot()
    report = import_records(world.manager_a, world.org_a, "members", rows.encode(), "m.csv")
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (2, "national_id", "Another member of this organisation (A-001) has this national id.")
    ]
    assert snapshot() == before


def test_sites_and_licences_import(world):
    sites = (
        "site_code,name,kind,longitude,latitude,area_ha,minerals,uses_mercury,workforce,"
        "women_in_workforce\n"
        "A-7,Playa Alta,mine,-76.66,5.16,1.5,7108.12,sí,12,5\n"
    )
    report = import_records(world.manager_a, world.org_a, "sites", sites.encode(), "s.csv")
    assert report.ok, [str(p) for p in report.problems]
    site = Site.objects.get(organisation=world.org_a, site_code="A-7")
    assert (site.uses_mercury, site.workforce, site.longitude) == (True, 12, -76.66)
    assert list(site.commodities.values_list("hs_code", flat=True)) == ["7108.12"]
    licences = "kind,number,issuer,valid_from,valid_until,site\n"
    licences += "environmental,ENV-9,Corpochocó,2024-01-01,2026-01-01,A-7\n"
    licences += "mining_title,LIC-ALPHA,Agencia Nacional,,,\n"
    report = import_records(world.manager_a, world.org_a, "licences", licences.encode(), "l.csv")
    assert report.ok, [str(p) for p in report.problems]
    assert report.created == ["environmental ENV-9"]
    assert report.updated == ["mining_title LIC-ALPHA"]
    assert Licence.objects.get(number="ENV-9").site == site


def test_only_roles_that_change_the_records_import_them(world):
    rows = b"member_number,given_name,gender,role,join_date\nA-60,X,male,worker,2020-01-01\n"
    with pytest.raises(PermissionDenied):
        import_records(world.inspector_a, world.org_a, "members", rows, "m.csv")
    with pytest.raises(PermissionDenied):
        import_records(world.support_user, world.org_a, "members", rows, "m.csv")
    with pytest.raises(PermissionDenied):
        import_records(world.manager_b, world.org_a, "members", rows, "m.csv")


def test_templates_in_spanish_have_dropdowns_and_instructions(world):
    with translation.override("es"):
        content = template_workbook(world.org_a, "members")
    workbook = load_workbook(io.BytesIO(content))
    data, instructions, lists = workbook.worksheets
    assert data.title == "Miembros"
    header = [cell.value for cell in data[1]]
    assert header[:3] == ["Número de miembro", "Nombres", "Apellidos"]
    assert lists.sheet_state == "hidden"
    formulas = {str(dv.sqref)[0]: dv.formula1 for dv in data.data_validations.dataValidation}
    gender_list = formulas["D"]  # gender is the 4th column
    column = gender_list.split("$")[1]
    values = [c.value for c in lists[column] if c.value]
    with translation.override("es"):
        assert values == [str(label) for _code, label in Member.Gender.choices]
    assert instructions.max_row > 10
    assert "Número de miembro" in [c.value for c in instructions["A"]]
    # The filled template imports back, with Spanish labels from the dropdowns.
    data.append(["A-070", "Lucía", "Palacios", values[0], None, "panner", "2022-02-02"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_records(world.manager_a, world.org_a, "members", buffer.getvalue(), "t.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert Member.objects.get(member_number="A-070").gender == "female"


def test_the_filled_members_example_imports(world):
    content = (EXAMPLES / "members-template-filled.xlsx").read_bytes()
    from tests.conftest import make_org

    org = make_org("sol-de-oro", country="PE")
    for code, lon, lat in (
        ("SO-01", -69.53, -14.68),
        ("SO-02", -69.52, -14.69),
        ("SO-P1", -69.525, -14.678),
    ):
        make_site(org, code, code, {"type": "Point", "coordinates": [lon, lat]}, area_ha=1)
    report = import_records(world.superuser, org, "members", content, "members.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.created) >= 5


# Third-party site data --------------------------------------------------------------------------


def test_third_party_site_data_keeps_unknown_columns_and_history(world):
    from tests.conftest import make_org

    org = make_org("sol-de-oro", country="PE")
    mapping = (EXAMPLES / "site-survey-mapping.yaml").read_bytes()
    data = (EXAMPLES / "site-survey-2024.csv").read_bytes()
    report = import_site_data(world.superuser, org, data, "survey.csv", mapping)
    assert report.ok, [str(p) for p in report.problems]
    site = Site.objects.get(organisation=org, site_code="ENQ-PU-014")
    assert site.attributes["armed_group_presence"] is False
    assert "child_labour_reported" in site.attributes
    assert site.observations.count() == 2  # two visits in the data set
    assert site.workforce == 31  # the newer visit wins
    state = snapshot()
    again = import_site_data(world.superuser, org, data, "survey.csv", mapping)
    assert again.ok and again.created == [] and again.updated == []
    assert snapshot() == state
    geojson = (EXAMPLES / "site-survey-2025.geojson").read_bytes()
    later = import_site_data(world.superuser, org, geojson, "survey.geojson", mapping)
    assert later.ok, [str(p) for p in later.problems]
    site.refresh_from_db()
    assert site.observations.count() == 3
    assert site.attributes["mercury_seen"] is True


def test_a_mapping_naming_a_missing_column_is_refused(world):
    mapping = b"""batea_site_mapping: 1
source: {name: Test, id_column: code}
location: {longitude: lon, latitude: lat}
fields: {nom: name, effectif: workforce}
"""
    data = b"code,longitude,lat,nom\nX1,-76.65,5.17,Mina\n"
    before = snapshot()
    report = import_site_data(world.manager_a, world.org_a, data, "d.csv", mapping)
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (1, "lon", "The column lon named by the mapping is not in the file.")
    ]
    assert snapshot() == before
    bad_mapping = mapping.replace(b"workforce", b"labourers")
    report = import_site_data(world.manager_a, world.org_a, data, "d.csv", bad_mapping)
    assert [(p.line, p.path) for p in report.problems] == [(4, "fields.effectif.field")]
    assert report.problems[0].source == "mapping.yaml"


# Exports ------------------------------------------------------------------------------------------


def test_exports_are_formula_safe_and_mask_national_ids(world):
    member = Member.objects.get(member_number="A-001")
    member.given_name = '=HYPERLINK("http://evil.test")'
    member.family_name = "@SUM(A1)"
    member.save()
    content = exports.export_csv("members", world.org_a, world.manager_a).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.test")'
    assert rows[1][3] == "'@SUM(A1)"
    assert "1234567890" not in content and rows[1][9] == "•••••••890"
    workbook = load_workbook(
        io.BytesIO(exports.export_xlsx("members", world.org_a, world.manager_a))
    )
    cell = workbook["members"]["C2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert "1234567890" not in str(
        [c.value for row in workbook["members"].iter_rows() for c in row]
    )


def test_exports_hold_only_what_the_user_may_see(world, client_for):
    client = client_for(world.buyer_user)  # a buyer sees A's sites, not its members
    url = reverse("fielddata-export", args=[world.org_a.slug])
    assert client.get(url, {"dataset": "sites", "format": "geojson"}).status_code == 200
    assert client.get(url, {"dataset": "members"}).status_code == 403
    assert client.get(url, {"dataset": "assessments"}).status_code == 403
    client = client_for(world.manager_a)
    for dataset in exports.DATASETS:
        response = client.get(url, {"dataset": dataset, "format": "xlsx"})
        assert response.status_code == 200, dataset
        names = load_workbook(io.BytesIO(response.content)).sheetnames
        assert names == exports.parts_of(dataset)
        for part in exports.parts_of(dataset):
            assert (
                client.get(url, {"dataset": dataset, "format": "csv", "part": part}).status_code
                == 200
            )
    assessments = client.get(url, {"dataset": "assessments", "format": "csv", "part": "answers"})
    assert b"EX-LEG-01" in assessments.content
    geo = json.loads(client.get(url, {"dataset": "sites", "format": "geojson"}).content)
    assert geo["features"][0]["properties"]["site_code"] == "A-1"


# Pages ------------------------------------------------------------------------------------------


def test_the_field_data_page_offers_what_the_role_allows(world, client_for):
    url = reverse("fielddata", args=[world.org_a.slug])
    page = client_for(world.manager_a).get(url).content.decode()
    assert 'value="members"' in page and 'value="submissions"' in page
    page = client_for(world.inspector_a).get(url).content.decode()
    assert 'value="submissions"' in page and 'value="members"' not in page
    assert client_for(world.manager_b).get(url).status_code == 404


def test_uploading_shows_every_bad_row_or_what_was_done(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(world.manager_a)
    url = reverse("fielddata", args=[world.org_a.slug])
    bad = (CORPUS / "members_bad_types.csv").read_bytes()
    response = client.post(url, {"kind": "members", "file": SimpleUploadedFile("m.csv", bad)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "femenino" in body and "nineteen" in body and "15/13/2021" in body
    good = b"member_number,given_name,gender,role,join_date\nA-080,Ines,female,panner,2020-01-01\n"
    response = client.post(url, {"kind": "members", "file": SimpleUploadedFile("m.csv", good)})
    assert response.status_code == 200 and "A-080" in response.content.decode()
    # type check: a JSON file is not a members template
    response = client.post(url, {"kind": "members", "file": SimpleUploadedFile("m.json", b"[]")})
    assert response.status_code == 400
    # an inspector may not import members
    response = client_for(world.inspector_a).post(
        url, {"kind": "members", "file": SimpleUploadedFile("m.csv", good)}
    )
    assert response.status_code == 403


def test_uploading_a_kobo_export_from_the_web(world, field_org, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    client = client_for(world.inspector_a)
    response = client.get(
        reverse("fielddata-xlsform", args=[field_org.slug]),
        {"version": str(version.pk), "scope": "member"},
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    form = generate(version, "member", organisation=field_org, user=world.inspector_a).form
    records = fabricate(form, ["A-001", "A-002"], date.today() - timedelta(days=2))
    upload = SimpleUploadedFile("kobo.xlsx", as_kobo_xlsx(records))
    response = client.post(
        reverse("fielddata", args=[field_org.slug]), {"kind": "submissions", "file": upload}
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Assessment.objects.filter(assessor=world.inspector_a, kind="ics").count() == 2


def test_the_xlsform_page_and_templates_download(world, client_for):
    client = client_for(world.manager_a)
    assert client.get(reverse("fielddata-xlsform", args=[world.org_a.slug])).status_code == 200
    template = client.get(reverse("fielddata-template", args=[world.org_a.slug]), {"kind": "sites"})
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).worksheets[0].title == "Sites"
    subjects = client.get(reverse("fielddata-subjects", args=[world.org_a.slug]), {"scope": "site"})
    assert subjects.content.decode().splitlines() == ["name,label", "A-1,A-1 · Alpha Pit"]


# Command line ------------------------------------------------------------------------------------


def test_cli_xlsform_import_and_export(world, field_org, tmp_path, capsys):
    out = tmp_path / "form.xlsx"
    call_command(
        "xlsform",
        "example-mini-standard",
        "--scope",
        "site",
        "--org",
        "alpha-coop",
        "--out",
        str(out),
    )
    form = load_workbook(out)
    assert form["settings"]["B2"].value.startswith("batea_example_mini_standard_site")
    members = tmp_path / "members.csv"
    members.write_text(
        "member_number,given_name,gender,role,join_date\nA-090,Zoe,female,panner,2020-01-01\n"
    )
    call_command("members", "import", str(members), "--org", "alpha-coop")
    assert Member.objects.filter(member_number="A-090").exists()
    bad = CORPUS / "members_bad_types.csv"
    with pytest.raises(SystemExit) as exit_:
        call_command("members", "import", str(bad), "--org", "alpha-coop")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "members_bad_types.csv:2: gender: femenino is not one of the allowed values" in err
    assert "3 problem(s); nothing imported." in err
    export = tmp_path / "sites.geojson"
    call_command(
        "export", "sites", "--org", "alpha-coop", "--format", "geojson", "--out", str(export)
    )
    assert json.loads(export.read_text())["type"] == "FeatureCollection"
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    records = fabricate(
        generate(version, "site", organisation=field_org).form,
        ["A-1"],
        date.today() - timedelta(days=1),
    )
    file = tmp_path / "kobo.csv"
    file.write_bytes(as_kobo_csv(records))
    call_command("submissions", "import", str(file), "--org", "alpha-coop", "--user", "inspector_a")
    assert "1 created" in capsys.readouterr().out


def test_cli_site_data_import_of_the_example(world, capsys):
    from tests.conftest import make_org

    make_org("sol-de-oro", country="PE")
    call_command(
        "sites",
        "import",
        str(EXAMPLES / "site-survey-2024.csv"),
        "--mapping",
        str(EXAMPLES / "site-survey-mapping.yaml"),
        "--org",
        "sol-de-oro",
    )
    assert "site_data:" in capsys.readouterr().out
    assert Site.objects.filter(organisation__slug="sol-de-oro").count() >= 3


def test_the_kobo_example_imports_into_the_demo_organisation(world, shipped):
    from tests.conftest import make_org

    org = make_org("sol-de-oro", country="PE")
    for number in range(1, 5):
        make_member(org, f"SO-{number:04d}", f"Miembro {number}", "Demo")
    content = (EXAMPLES / "kobo-submissions-sol-de-oro.csv").read_bytes()
    report = import_submissions(world.superuser, org, content, "kobo.csv")
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.created) == 4
    answer = Answer.objects.get(
        assessment__member__member_number="SO-0003", requirement__code="PG-SOC-05"
    )
    assert answer.value == "non_compliant" and "boleta" in answer.notes
    assert NonConformity.objects.filter(organisation=org).count() == 3
