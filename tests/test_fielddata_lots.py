"""Field data: the lots template and import. A row is one production, recorded through
`custody.services.produce` (rules, claims, red flags) by the person importing; lots are
matched by their code and never edited; any bad row and nothing is written, every bad row
explained with its row, column and value."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from batea.custody import services
from batea.custody.models import (
    KIND_LABELS,
    CustodyEvent,
    Incident,
    Lot,
    LotOrigin,
    MassBalanceEntry,
)
from batea.domain.custody.lots import KINDS
from batea.domain.fielddata.records import format_miner_days, parse_miner_days
from batea.fielddata.models import ImportRun
from batea.fielddata.records import import_records, template_workbook
from batea.registry.models import Member
from batea.standards.models import StandardVersion
from tests.conftest import make_member, make_org, make_site, make_user

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "fielddata"
EXAMPLES = ROOT / "examples"
TODAY = date.today()
HEADER = [
    "lot_code",
    "produced_on",
    "site",
    "mineral",
    "kind",
    "mass_g",
    "fineness",
    "members",
    "standard",
    "variant",
    "custody_model",
]
FORMULA = (
    "Formulas are not accepted: type the value itself (a text starting with =, +, - or @ is "
    "read as a formula by spreadsheets)."
)
EDITED = (
    "Lot {lot} is already recorded with {recorded}: lots cannot be edited once recorded. "
    "Record a correction in the chain of custody instead, or give a new production its own "
    "lot code."
)


def rows_csv(*rows: list, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def state():
    """Everything a lots import could write."""
    return (
        list(Lot.objects.order_by("pk").values()),
        list(LotOrigin.objects.order_by("pk").values()),
        list(Incident.objects.order_by("pk").values()),
        CustodyEvent.objects.count(),
        MassBalanceEntry.objects.count(),
    )


def found(report) -> list[tuple]:
    return [(p.line, p.path, p.params.get("value"), p.message) for p in report.problems]


@pytest.fixture
def lots_org(world):
    """Organisation A with members A-001…A-003 and sites A-1 and A-2 (gold)."""
    org = world.org_a
    make_member(org, "A-002", "Beatriz", "Bonilla")
    make_member(org, "A-003", "Carlos", "Córdoba", gender="male", role="worker")
    make_site(
        org, "A-2", "Quebrada Honda", {"type": "Point", "coordinates": [-76.64, 5.18]}, area_ha=1
    )
    return org


GOOD = [
    # 102.425 fine g / 35 miner-days: plausible
    ["AL-101", day(20), "A-1", "gold", "dore", "120.5", "850", "A-001:20; A-002:15", "", "", ""],
    # 900 fine g / 100 miner-days = 9 g per miner-day: above the standard's 4 g
    ["AL-102", day(10), "A-2", "Oro", "Doré", "1000", "900", "a-003:100", "", "", ""],
    # certified, identity preserved, under the organisation's valid certificate
    [
        "AL-103",
        day(5),
        "A-1",
        "gold",
        "fine_gold",
        "50.25",
        "995.5",
        "A-001:12\nA-002:2,5",
        "example-mini-standard",
        "",
        "identity_preserved",
    ],
]


# The template -------------------------------------------------------------------------------


def _dropdowns(sheet, lists) -> dict[str, list[str]]:
    """Column header → the values of its dropdown (read from the hidden lists sheet)."""
    header = {cell.column_letter: cell.value for cell in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        letter = str(validation.sqref)[0]
        if validation.type == "list":
            column = validation.formula1.split("$")[1]
            found[header[letter]] = [c.value for c in lists[column] if c.value]
        else:
            found[header[letter]] = [validation.type, validation.formula1, validation.formula2]
    return found


def test_the_lots_template_has_instructions_and_dropdowns(world, lots_org):
    workbook = load_workbook(io.BytesIO(template_workbook(lots_org, "lots")))
    data, instructions, lists = workbook.worksheets
    assert (data.title, instructions.title, lists.sheet_state) == ("Lots", "Instructions", "hidden")
    assert [cell.value for cell in data[1]] == [
        "Lot code",
        "Produced on",
        "Site (site code)",
        "Mineral",
        "Kind",
        "Mass (g)",
        "Fineness (‰)",
        "Members and miner-days",
        "Certified under (standard id)",
        "Variant",
        "Chain-of-custody model",
    ]
    required = [cell.fill.fgColor.rgb[-6:] == "FBECC9" for cell in data[1]]
    assert required == [True] * 8 + [False] * 3
    dropdowns = _dropdowns(data, lists)
    assert dropdowns["Site (site code)"] == ["A-1", "A-2"]
    assert dropdowns["Mineral"][:2] == ["Gold", "Silver"]
    assert dropdowns["Kind"] == ["Ore", "Concentrate", "Doré", "Fine gold", "Other"]
    assert dropdowns["Certified under (standard id)"] == ["example-mini-standard"]
    assert dropdowns["Chain-of-custody model"] == [
        "Identity preserved",
        "Segregated",
        "Mass balance",
    ]
    assert dropdowns["Mass (g)"] == ["decimal", "0.001", "1000000000000"]
    assert dropdowns["Fineness (‰)"] == ["decimal", "0.000001", "1000"]
    # the members and code columns are typed as text: "12:8" never becomes a time
    assert data.column_dimensions["H"].number_format == "@"
    assert data.column_dimensions["A"].number_format == "@"
    text = "\n".join(str(c.value) for row in instructions.iter_rows() for c in row if c.value)
    assert "How to fill in the lots template" in text
    assert "A-001:12; A-002:8" in text  # the members format, explained
    assert "cannot be edited once recorded" in text
    rows = {row[1].value: row for row in instructions.iter_rows() if row[1].value}
    assert rows["members"][3].value == "member number:miner-days; member number:miner-days …"
    assert rows["fineness"][3].value == "more than 0, at most 1000; up to 6 decimals"
    assert rows["kind"][3].value.startswith("ore = Ore; concentrate = Concentrate; dore = Doré")
    assert rows["standard"][3].value == "example-mini-standard"
    assert rows["members"][5].value == "SO-0001:12; SO-0002:8"


def test_the_spanish_template_fills_and_imports_back(world, lots_org):
    with translation.override("es"):
        content = template_workbook(lots_org, "lots")
        kinds = [str(KIND_LABELS[kind]) for kind in KINDS]
        mass = str(Lot._meta.get_field("mass_g").verbose_name).capitalize()
    workbook = load_workbook(io.BytesIO(content))
    data, instructions, lists = workbook.worksheets
    assert data.title == "Lotes"
    header = [cell.value for cell in data[1]]
    assert header[5] == mass != "Mass (g)"
    dropdowns = _dropdowns(data, lists)
    assert dropdowns[header[4]] == kinds
    assert "Oro" in dropdowns[header[3]]
    assert instructions.max_row > 15
    # Filled in Excel: a date cell, numbers, labels from the dropdowns.
    data.append(
        [
            "AL-150",
            datetime(TODAY.year, TODAY.month, TODAY.day) - timedelta(days=3),
            "A-2",
            "Oro",
            kinds[1],
            250.75,
            870,
            "A-002:30; A-003:25.5",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_records(world.manager_a, lots_org, "lots", buffer.getvalue(), "lotes.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    lot = Lot.objects.get(code="AL-150")
    assert (lot.mineral, lot.kind, lot.mass_g, lot.fineness) == (
        "gold",
        "concentrate",
        Decimal("250.75"),
        Decimal(870),
    )
    assert lot.produced_on == TODAY - timedelta(days=3)
    assert {o.member.member_number: o.miner_days for o in lot.origins.all()} == {
        "A-002": Decimal(30),
        "A-003": Decimal("25.5"),
    }


# A good file, and again ----------------------------------------------------------------------


def test_a_good_file_records_lots_with_origins_claims_and_red_flags(world, lots_org):
    report = import_records(world.manager_a, lots_org, "lots", rows_csv(*GOOD), "lots.csv")
    assert report.ok, [str(p) for p in report.problems]
    assert (report.created, report.updated, report.unchanged) == (
        ["AL-101", "AL-102", "AL-103"],
        [],
        [],
    )
    plain, implausible, certified = (Lot.objects.get(code=c) for c in report.created)
    assert (plain.fine_g, plain.site.site_code, plain.produced_on) == (
        Decimal("102.425"),
        "A-1",
        TODAY - timedelta(days=20),
    )
    assert {o.member.member_number: o.miner_days for o in plain.origins.all()} == {
        "A-001": Decimal(20),
        "A-002": Decimal(15),
    }
    assert (plain.organisation, plain.origin_organisation, plain.status) == (
        lots_org,
        lots_org,
        "active",
    )
    assert not plain.certified and not plain.incidents.exists()
    # labels in another language, a member number in another case
    assert (implausible.mineral, implausible.kind) == ("gold", "dore")
    assert implausible.origins.get().member.member_number == "A-003"
    assert list(implausible.incidents.values_list("code", flat=True)) == [
        "productivity_above_threshold"
    ]
    # the claim: the version of the certificate valid on the day
    assert certified.claim_version == world.certificate_a.version
    assert certified.custody_model == "identity_preserved"
    assert {o.member.member_number: o.miner_days for o in certified.origins.all()} == {
        "A-001": Decimal(12),
        "A-002": Decimal("2.5"),
    }
    # recorded by the person importing, as on the production page
    events = CustodyEvent.objects.filter(kind="production", organisation=lots_org)
    assert {e.recorded_by for e in events} == {world.manager_a}
    assert [(n.line, n.path, n.params["flag"]) for n in report.notes] == [
        (3, "lot_code", "productivity_above_threshold")
    ]
    assert report.notes[0].message == (
        "Red flag on lot AL-102, an incident was opened: 9.00 g per miner-day is above the 4 g "
        "per miner-day a small-scale operation can plausibly produce under the standard."
    )
    run = ImportRun.objects.get(kind="lots")
    assert (run.ok, run.created, run.unchanged, run.user) == (True, 3, 0, world.manager_a)

    # Importing the same rows again — CSV or XLSX — changes nothing.
    before = state()
    again = import_records(world.manager_a, lots_org, "lots", rows_csv(*GOOD), "lots.csv")
    assert again.ok, [str(p) for p in again.problems]
    assert (again.created, again.unchanged, again.notes) == ([], ["AL-101", "AL-102", "AL-103"], [])
    assert state() == before


def test_a_recorded_lot_is_never_edited(world, lots_org):
    assert import_records(world.manager_a, lots_org, "lots", rows_csv(*GOOD), "lots.csv").ok
    before = state()
    changed = [list(row) for row in GOOD]
    changed[0][5] = "125"  # mass
    changed[2][7] = "A-001:12"  # members
    changed[2][8:] = ["", "", ""]  # no longer certified
    changed.append(["AL-104", day(1), "A-1", "gold", "dore", "10", "800", "A-001:5", "", "", ""])
    report = import_records(world.manager_a, lots_org, "lots", rows_csv(*changed), "fix.csv")
    assert found(report) == [
        (2, "mass_g", "125", EDITED.format(lot="AL-101", recorded="120.5")),
        (4, "members", "A-001:12", EDITED.format(lot="AL-103", recorded="A-001:12; A-002:2.5")),
        (4, "standard", "—", EDITED.format(lot="AL-103", recorded="example-mini-standard")),
        (4, "custody_model", "—", EDITED.format(lot="AL-103", recorded="identity_preserved")),
    ]
    assert report.created == report.unchanged == []
    assert state() == before  # AL-104, good, is not recorded either


# Bad files -----------------------------------------------------------------------------------

BAD_ROWS = [
    (3, "site", "ZZ-9", "ZZ-9 is not one of the allowed values (see the dropdown)."),
    (4, "members", "A-999", "No member A-999 in this organisation."),
    (5, "mass_g", "0", "A mass must be more than zero grams; 0 is not."),
    (6, "fineness", "1200", "Fineness is in parts per thousand, at most 1000; 1200 is more."),
    (7, "lot_code", "L-200", "L-200 is also on row 2 of this file."),
    (8, "produced_on", "2999-01-01", "The date 2999-01-01 is in the future."),
    (9, "mass_g", "=2*500", FORMULA),
    (
        10,
        "members",
        "A-001 12",
        "A-001 12 is not “member number:miner-days”; write the members as A-001:12; A-002:8 "
        "(semicolons between members).",
    ),
    (11, "members", "0", "Miner-days must be more than zero; 0 is not."),
    (12, "fineness", "850.1234567", "850.1234567 has more than 6 decimal places."),
    (
        13,
        "lot_code",
        "L/210",
        "L/210 is not a lot code: use letters, digits, -, _ and . only (no spaces or /).",
    ),
    (
        14,
        "custody_model",
        "segregated",
        "A certified claim needs its standard: give the standard id, or leave the claim "
        "columns blank.",
    ),
    (15, "custody_model", "", "Say how the certified lot is kept."),
    (16, "members", "a-001", "Member a-001 is given twice in this cell."),
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lots_bad_rows.csv", BAD_ROWS),
        (
            "lots_formula.xlsx",
            [(2, "mass_g", "=2*500", FORMULA), (3, "members", '=CONCAT("A-001",":12")', FORMULA)],
        ),
    ],
)
def test_every_bad_row_is_explained_and_nothing_is_written(world, lots_org, name, expected):
    before = state()
    content = (CORPUS / name).read_bytes()
    report = import_records(world.manager_a, lots_org, "lots", content, name)
    assert found(report) == expected
    assert all(p.source == name for p in report.problems)
    assert report.created == report.unchanged == []
    assert state() == before
    run = ImportRun.objects.get(file_name=name)
    assert (run.kind, run.ok, run.problems) == ("lots", False, len(expected))


def test_what_the_custody_rules_refuse_is_explained_and_nothing_is_written(world, lots_org):
    """Rows that read well but that production refuses: each row runs in a savepoint so
    that every refusal is reported; the good rows are rolled back with the rest."""
    other = services.produce(
        world.manager_b,
        world.org_b,
        site=world.site_b,
        mineral="gold",
        kind="dore",
        mass_g=Decimal(10),
        fineness=Decimal(900),
        members={world.member_b: Decimal(5)},
        on=TODAY - timedelta(days=2),
        code="B-LOT-1",
    )
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    early = TODAY - timedelta(days=60)  # before the certificate
    plain = ["", "", ""]

    def claim(model="identity_preserved"):
        return ["example-mini-standard", "", model]

    rows = [
        ["AL-301", day(9), "A-1", "gold", "dore", "100", "850", "A-001:30", *plain],
        ["AL-302", early.isoformat(), "A-1", "gold", "dore", "10", "800", "A-001:5", *claim()],
        ["AL-303", day(8), "A-1", "gold", "dore", "10", "800", "A-001:5", *claim("segregated")],
        ["B-LOT-1", day(2), "A-1", "gold", "dore", "10", "900", "A-002:5", *plain],
        ["AL-304", day(7), "A-2", "gold", "ore", "5000", "20", "A-003:12", *claim("mass_balance")],
    ]  # fmt: skip
    before = state()
    report = import_records(world.manager_a, lots_org, "lots", rows_csv(*rows), "lots.csv")
    assert found(report) == [
        (
            3,
            "standard",
            "example-mini-standard",
            f"Alpha Gold Cooperative holds no valid certificate for {version} on "
            f"{early.isoformat()}: the lot cannot be claimed certified.",
        ),
        (
            4,
            "custody_model",
            "segregated",
            f"{version} allows these chain-of-custody models: identity_preserved, mass_balance.",
        ),
        (5, "lot_code", "B-LOT-1", "Another lot already has this code."),
    ]
    assert state() == before  # AL-301 and the mass-balance AL-304 (with its credit) are gone
    assert Lot.objects.get(code="B-LOT-1") == other


def test_only_who_records_custody_for_the_organisation_imports_lots(world, lots_org):
    content = rows_csv(GOOD[0])
    for user in (world.manager_b, world.inspector_a, world.buyer_user, world.support_user):
        with pytest.raises(PermissionDenied):
            import_records(user, lots_org, "lots", content, "lots.csv")
    with pytest.raises(PermissionDenied):  # lots are recorded by a person
        import_records(None, lots_org, "lots", content, "lots.csv")
    assert not Lot.objects.filter(organisation=lots_org).exists()
    assert not ImportRun.objects.filter(kind="lots").exists()


# The members cell ------------------------------------------------------------------------------

MEMBERS = {"a-001": "A-001", "a-002": "A-002", "so-0012": "SO-0012"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A-001:12; A-002:8", (("A-001", Decimal(12)), ("A-002", Decimal(8)))),
        ("A-001:12;A-002:8;", (("A-001", Decimal(12)), ("A-002", Decimal(8)))),
        ("a-001 : 2,5\nA-002: 0.75", (("A-001", Decimal("2.5")), ("A-002", Decimal("0.75")))),
        ("SO-0012:10.00", (("SO-0012", Decimal(10)),)),
    ],
)
def test_members_and_miner_days_as_a_field_officer_types_them(text, expected):
    assert parse_miner_days(text, "members", 2, "f.csv", MEMBERS) == (expected, [])
    assert parse_miner_days(format_miner_days(expected), "m", 2, "f", MEMBERS)[0] == expected


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("A-001:12, A-002:8", ["A-001:12, A-002:8 names more than one member: separate "
                               "them with semicolons, as in A-001:12; A-002:8."]),
        ("A-001:12 A-002:8", ["A-001:12 A-002:8 names more than one member: separate "
                              "them with semicolons, as in A-001:12; A-002:8."]),
        ("A-001:doce", ["doce is not a number."]),
        ("A-001", ["A-001 is not “member number:miner-days”; write the members as A-001:12; "
                   "A-002:8 (semicolons between members)."]),
        ("A-001:-3; A-002:1.234", ["Miner-days must be more than zero; -3 is not.",
                                   "1.234 has more than 2 decimal places."]),
        ("A-001:1e9", ["1e9 is too large."]),
        ("B-7:3", ["No member B-7 in this organisation."]),
    ],
)  # fmt: skip
def test_every_mistake_in_a_members_cell_is_explained(text, messages):
    value, problems = parse_miner_days(text, "members", 2, "f.csv", MEMBERS)
    assert value is None
    assert [p.message for p in problems] == messages


def test_a_members_cell_turned_into_a_time_by_the_spreadsheet_is_explained(world, lots_org):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER[:8])
    sheet.append(["AL-160", day(3), "A-1", "gold", "dore", 10, 800, "A-001:5"])
    sheet["H2"] = datetime(1900, 1, 1, 12, 8).time()  # "12:8" as Excel stores it
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_records(world.manager_a, lots_org, "lots", buffer.getvalue(), "t.xlsx")
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (
            2,
            "members",
            "The spreadsheet turned 12:08:00 into a time or a date: format the column as text "
            "and type the members again (e.g. A-001:12; A-002:8).",
        )
    ]


# Page and command line --------------------------------------------------------------------------


def test_the_page_offers_the_lots_template_and_import(world, lots_org, client_for):
    client = client_for(world.manager_a)
    url = reverse("fielddata", args=[lots_org.slug])
    page = client.get(url).content.decode()
    assert 'value="lots"' in page and "?kind=lots" in page
    template = client.get(reverse("fielddata-template", args=[lots_org.slug]), {"kind": "lots"})
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).worksheets[0].title == "Lots"
    response = client.post(
        url, {"kind": "lots", "file": SimpleUploadedFile("lots.csv", rows_csv(*GOOD))}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "AL-101, AL-102, AL-103" in body
    assert "Red flag on lot AL-102, an incident was opened" in body
    bad = (CORPUS / "lots_bad_rows.csv").read_bytes()
    response = client.post(url, {"kind": "lots", "file": SimpleUploadedFile("bad.csv", bad)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "No member A-999 in this organisation." in body and "ZZ-9" in body
    # an inspector sees the page but neither the lots template nor its import
    inspector = client_for(world.inspector_a)
    page = inspector.get(url).content.decode()
    assert 'value="lots"' not in page and "?kind=lots" not in page
    download = reverse("fielddata-template", args=[lots_org.slug])
    assert inspector.get(download, {"kind": "lots"}).status_code == 403
    response = inspector.post(
        url, {"kind": "lots", "file": SimpleUploadedFile("lots.csv", rows_csv(*GOOD))}
    )
    assert response.status_code == 403
    # another organisation's manager does not even find the page
    assert client_for(world.manager_b).get(url).status_code == 404


def test_cli_lots_template_and_import(world, lots_org, tmp_path, capsys):
    out = tmp_path / "lotes.xlsx"
    call_command("lots", "template", "--org", "alpha-coop", "--out", str(out), "--language", "es")
    assert load_workbook(out).worksheets[0].title == "Lotes"
    file = tmp_path / "lots.csv"
    file.write_bytes(rows_csv(*GOOD))
    call_command("lots", "import", str(file), "--org", "alpha-coop", "--user", "manager_a")
    captured = capsys.readouterr()
    assert "lots: 3 created, 0 updated, 0 unchanged" in captured.out
    assert "lots.csv:3: lot_code: Red flag on lot AL-102, an incident was opened" in captured.err
    call_command("lots", "import", str(file), "--org", "alpha-coop", "--user", "manager_a")
    assert "lots: 0 created, 0 updated, 3 unchanged" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "lots",
            "import",
            str(CORPUS / "lots_bad_rows.csv"),
            "--org",
            "alpha-coop",
            "--user",
            "manager_a",
        )
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "lots_bad_rows.csv:4: members: No member A-999 in this organisation." in err
    assert f"{len(BAD_ROWS)} problem(s); nothing imported." in err
    with pytest.raises(CommandError, match="--user"):
        call_command("lots", "import", str(file), "--org", "alpha-coop")
    with pytest.raises(CommandError, match="does not allow"):
        call_command("lots", "import", str(file), "--org", "alpha-coop", "--user", "manager_b")


# The example -----------------------------------------------------------------------------------


def test_the_filled_lots_example_imports_into_the_demo_organisation(world):
    org = make_org("sol-de-oro", country="PE")
    manager = make_user("manager.peru", "asmo_manager", org)
    for code, lon, lat in (("SO-01", -69.5312, -14.6821), ("SO-02", -69.5187, -14.6913)):
        make_site(org, code, code, {"type": "Point", "coordinates": [lon, lat]}, area_ha=1)
    for number in range(1, 13):
        make_member(org, f"SO-{number:04d}", f"Miembro {number}", "Demo")
    content = (EXAMPLES / "lots-template-filled.xlsx").read_bytes()
    report = import_records(manager, org, "lots", content, "lots-template-filled.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert report.created == ["SO-L101", "SO-L102", "SO-L103", "SO-L104", "SO-L105"]
    flagged = Incident.objects.filter(organisation=org).values_list("lot__code", "code")
    assert ("SO-L104", "productivity_above_threshold") in set(flagged)
    assert {code for code, _flag in flagged} == {"SO-L104"}
    assert Member.objects.get(organisation=org, member_number="SO-0007").lot_origins.exists()
    again = import_records(manager, org, "lots", content, "lots-template-filled.xlsx")
    assert again.ok and len(again.unchanged) == 5 and again.created == []


@pytest.mark.parametrize("text", [" =2*500", "\x85=", "\u00a0@SUM(A1)", "\t=1"])
def test_a_formula_behind_spaces_is_refused_too(world, lots_org, text):
    """Trimming must not turn a cell into a formula (found by Hypothesis: "\\x85=")."""
    from batea.domain.fielddata.cells import cell_text

    assert cell_text(text, "c", 2) == ("", cell_text(text, "c", 2)[1])
    assert cell_text(text, "c", 2)[1][0].message == FORMULA
    row = ["AL-170", day(3), "A-1", "gold", "dore", text, "800", "A-001:5", "", "", ""]
    report = import_records(world.manager_a, lots_org, "lots", rows_csv(row), "f.csv")
    assert [(p.line, p.path, p.message) for p in report.problems] == [(2, "mass_g", FORMULA)]
    assert not Lot.objects.filter(code="AL-170").exists()
