"""Writes the field-data examples of docs/fielddata.md (run from the repository root):

    DEBUG=1 .venv/bin/python examples/make_examples.py

- members-template-filled.xlsx: Batea's members template (in Spanish) filled in for the
  fictional Asociación de Mineros Artesanales Sol de Oro;
- lots-template-filled.xlsx: Batea's lots template (in Spanish) with five productions of
  Sol de Oro, one of them implausible (15 g of gold per miner-day);
- kobo-submissions-sol-de-oro.csv: a KoboToolbox export ("XML values and headers", ";")
  of the Fairmined-style member inspection of four Sol de Oro members;
- site-survey-2024.csv, site-survey-2025.geojson and site-survey-mapping.yaml: a fictional
  French-language site survey of artisanal mines near Sol de Oro and its column mapping
  (written by hand; not generated here).

Every person, organisation and site in them is fictional.
"""

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

MEMBERS = [
    # member_number, given, family, gender, birth_year, role, join_date, status, id, site
    (
        "SO-0201",
        "Rosa",
        "Mamani Quispe",
        "Mujer",
        1986,
        "Seleccionador/a (escoge el mineral a mano)",
        "2019-04-02",
        "Aprobado",
        "40123456",
        "SO-01",
    ),
    (
        "SO-0202",
        "Percy",
        "Condori Apaza",
        "Hombre",
        1979,
        "Trabajador/a de mina",
        "2018-11-20",
        "Aprobado",
        "29876543",
        "SO-01",
    ),
    (
        "SO-0203",
        "Hilda",
        "Choque Huanca",
        "Mujer",
        1992,
        "Procesador/a de mineral",
        "2021-06-14",
        "Condicional",
        "",
        "SO-P1",
    ),
    (
        "SO-0204",
        "Wilber",
        "Quispe Mamani",
        "Hombre",
        2001,
        "Trabajador/a de mina",
        "2024-02-01",
        "Solicitante",
        "71234567",
        "SO-02",
    ),
    (
        "SO-0205",
        "Juana",
        "Apaza Choque",
        "Mujer",
        1975,
        "Dueño/a o titular de la concesión",
        "2017-08-30",
        "Aprobado",
        "",
        "SO-02",
    ),
]


LOTS = [
    # lot code, produced on, site, mineral, kind, mass (g), fineness (‰), members: miner-days
    ("SO-L101", (2026, 10, 5), "SO-01", "Oro", "Doré", 118.4, 842,
     "SO-0001:14; SO-0002:12; SO-0003:10; SO-0004:6"),
    ("SO-L102", (2026, 10, 19), "SO-02", "Oro", "Doré", 96.75, 835.5,
     "SO-0005:12; SO-0006:12; SO-0007:9,5"),
    ("SO-L103", (2026, 10, 26), "SO-01", "Oro", "Concentrado", 2450, 18.5,
     "SO-0008:8; SO-0009:8"),
    # 180.6 fine g by three people in 12 miner-days: 15 g per miner-day, a red flag
    ("SO-L104", (2026, 11, 9), "SO-02", "Oro", "Doré", 210, 860,
     "SO-0010:5; SO-0011:4; SO-0012:3"),
    # one member per line in the cell (Alt+Enter in Excel)
    ("SO-L105", (2026, 11, 16), "SO-01", "Oro", "Doré", 130.2, 851,
     "SO-0001:12\nSO-0002:12\nSO-0004:11\nSO-0007:10"),
]  # fmt: skip


def lots_template(org) -> None:
    """The Spanish lots template of Sol de Oro with LOTS typed in (no claim: Sol de Oro
    holds no certificate in the demo)."""
    from datetime import datetime

    from django.utils import translation
    from openpyxl import load_workbook

    from batea.fielddata.records import template_workbook

    with translation.override("es"):
        workbook = load_workbook(io.BytesIO(template_workbook(org, "lots")))
    sheet = workbook.worksheets[0]
    for code, day, site, mineral, kind, mass, fineness, members in LOTS:
        sheet.append([code, datetime(*day), site, mineral, kind, mass, fineness, members])
        sheet.cell(row=sheet.max_row, column=2).number_format = "yyyy-mm-dd"
    workbook.save(HERE / "lots-template-filled.xlsx")


def members_template() -> None:
    database = Path(tempfile.gettempdir()) / "batea-examples.sqlite3"
    database.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import translation
    from openpyxl import load_workbook

    from batea.fielddata.records import template_workbook
    from batea.registry.models import Organisation, Site

    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(
        slug="sol-de-oro",
        name="Asociación de Mineros Artesanales Sol de Oro",
        kind="asmo",
        country="PE",
    )
    for code, name, lon, lat in (
        ("SO-01", "Bocamina Santa Rosa", -69.5312, -14.6821),
        ("SO-02", "Bocamina Tres Cruces", -69.5187, -14.6913),
        ("SO-P1", "Quimbalete comunal", -69.5256, -14.6779),
    ):
        Site.objects.create(
            organisation=org,
            site_code=code,
            name=name,
            longitude=lon,
            latitude=lat,
            geometry={"type": "Point", "coordinates": [lon, lat]},
        )
    with translation.override("es"):
        workbook = load_workbook(io.BytesIO(template_workbook(org, "members")))
        sheet = workbook.worksheets[0]
        for row in MEMBERS:
            sheet.append(list(row))
        workbook.save(HERE / "members-template-filled.xlsx")
    lots_template(org)
    database.unlink(missing_ok=True)


def kobo_export() -> None:
    from batea.domain.fielddata.xlsform import Subject, build_xlsform
    from batea.domain.standards.catalogue import load_catalogue

    path = HERE.parent / "batea/standards/catalogues/fairmined-style-progressive.yaml"
    catalogue, problems = load_catalogue(path.read_bytes(), path.name)
    assert not problems
    people = ["SO-0001", "SO-0002", "SO-0003", "SO-0004"]
    form = build_xlsform(
        catalogue,
        "member",
        organisation="sol-de-oro",
        subjects=[Subject(code, code) for code in people],
    )
    answers = {
        "SO-0001": ("compliant", "compliant", "compliant"),
        "SO-0002": ("compliant", "partly", "compliant"),
        "SO-0003": ("compliant", "not_applicable", "non_compliant"),
        "SO-0004": ("non_compliant", "not_applicable", "compliant"),
    }
    notes = {
        ("SO-0002", 1): "Acuerdo verbal con dos ayudantes; falta por escrito.",
        ("SO-0003", 2): "No recibió boleta en las dos últimas entregas.",
        ("SO-0004", 0): "Sin firma del reglamento interno.",
    }
    stack, columns = [], []
    for row in form.survey:
        if row["type"] == "begin_group":
            stack.append(row["name"])
        elif row["type"] == "end_group":
            stack.pop()
        else:
            columns.append(("/".join([*stack, row["name"]]), row))
    header = [c for c, _ in columns] + [
        "_location_latitude",
        "_location_longitude",
        "_location_altitude",
        "_location_precision",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
    ]
    lines = []
    points = [
        "-14.6822 -69.5311 3870 4.8",
        "-14.6819 -69.5315 3868 6.1",
        "-14.6780 -69.5257 3902 5.0",
        "-14.6912 -69.5188 3855 7.3",
    ]
    for n, person in enumerate(people):
        record, q = {}, 0
        for column, row in columns:
            kind, name = row["type"], row["name"]
            if kind == "start":
                record[column] = f"2025-05-1{n}T08:{10 + n * 7}:03.120-05:00"
            elif kind == "end":
                record[column] = f"2025-05-1{n}T08:{24 + n * 7}:41.904-05:00"
            elif kind == "today":
                record[column] = f"2025-05-1{n}"
            elif kind == "calculate":
                record[column] = row["calculation"].strip("'")
            elif kind == "select_one members":
                record[column] = person
            elif kind == "geopoint":
                record[column] = points[n]
            elif kind.startswith("select_one"):
                record[column] = answers[person][q]
                record[f"{column}_notes"] = notes.get((person, q), "")
                q += 1
            elif kind == "image":
                record[column] = "1747215000123.jpg" if (person, q - 1) in notes else ""
            elif name == "visit_notes":
                record[column] = "Visita del inspector interno." if n % 2 == 0 else ""
        lat, lon, alt, acc = points[n].split()
        uid = f"7c1f0e2a-5b8d-4f4e-9a61-00000000020{n + 1}"
        record.update(
            {
                "_location_latitude": lat,
                "_location_longitude": lon,
                "_location_altitude": alt,
                "_location_precision": acc,
                "_id": str(318_440_100 + n),
                "_uuid": uid,
                "_submission_time": f"2025-05-1{n} 19:0{n}:12",
                "_validation_status": "",
                "_notes": "",
                "_status": "submitted_via_web",
                "_submitted_by": "inspector.solde",
                "__version__": "vGq7pLh2sX9rJc4Kd8mN2e",
                "_tags": "",
                "_index": str(n + 1),
            }
        )
        lines.append([record.get(column, "") for column in header])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    (HERE / "kobo-submissions-sol-de-oro.csv").write_text(buffer.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    kobo_export()
    members_template()
