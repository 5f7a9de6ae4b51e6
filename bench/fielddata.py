"""Members imported from a spreadsheet: `batea.fielddata.records.import_records` on a CSV
and on an XLSX file of BENCH_FIELDDATA_ROWS members (default: --members / BENCH_MAX_MEMBERS,
i.e. 100,000), into an organisation that has none.

In the same run:

- **csv** and **xlsx**: the whole import — reading the file, checking every cell (types,
  allowed values in any language, formulas, duplicates in the file, national ids), the
  models' own field validation, then bulk writes in one transaction;
- **csv again**: the same file imported a second time (every row found unchanged);
- **lower bound**: `Member.objects.bulk_create` of the same members, built in memory, in one
  transaction, with no reading and no validation at all.

Each import starts from an organisation without members (they are deleted between runs).
Rows per second are in the notes; the ratio is import time / lower bound.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time
import uuid
from datetime import date, timedelta

from bench import Measurement, Options, Report, Timing, setup_django
from bench.member_list import FAMILY, GIVEN_FEMALE, GIVEN_MALE, database_version

NAME = "fielddata"
SLUG = "bench-fielddata"
HEADER = [
    "member_number",
    "given_name",
    "family_name",
    "gender",
    "birth_year",
    "role",
    "join_date",
    "status",
    "national_id",
    "primary_site",
]
SITES = [("BF-01", -76.6712, 5.1634), ("BF-02", -76.6421, 5.1902), ("BF-03", -76.7035, 5.1398)]
ROLES = ["panner", "worker", "owner", "processor", "selector", "trader", "other"]
STATUSES = ["approved", "applicant", "conditional", "suspended"]


def rows(count: int, today: date) -> list[list]:
    """Deterministic members: the same `count` rows in every run."""
    rng = random.Random("batea-bench-fielddata")
    result = []
    for n in range(1, count + 1):
        female = rng.random() < 0.4
        result.append(
            [
                f"BF-{n:07d}",
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
                " ".join(rng.sample(FAMILY, 2)),
                "female" if female else "male",
                rng.randint(today.year - 64, today.year - 18),
                rng.choice(ROLES),
                (today - timedelta(days=rng.randint(1, 12 * 365))).isoformat(),
                rng.choice(STATUSES),
                str(10_000_000_000 + n) if rng.random() < 0.7 else "",
                rng.choice(SITES)[0] if rng.random() < 0.8 else "",
            ]
        )
    return result


def as_csv(data: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue().encode()


def as_xlsx(data: list[list]) -> bytes:
    """A workbook as Excel or KoboToolbox save it: with its <dimension> (openpyxl's
    write-only mode leaves it out, and openpyxl then reads every sheet twice)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "members"
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def prepare():
    from batea.domain.access import OrganisationKind
    from batea.registry.models import Organisation, Site

    Organisation.objects.filter(slug=SLUG).delete()
    organisation = Organisation.objects.create(
        slug=SLUG, name="Benchmark field data ASMO", kind=OrganisationKind.ASMO, country="CO"
    )
    sites = {}
    for code, lon, lat in SITES:
        sites[code] = Site.objects.create(
            organisation=organisation,
            site_code=code,
            name=code,
            geometry={"type": "Point", "coordinates": [lon, lat]},
            longitude=lon,
            latitude=lat,
        )
    return organisation, sites


def clear(organisation) -> None:
    from batea.fielddata.models import ImportRun
    from batea.registry.models import Member

    Member.objects.filter(organisation=organisation).delete()
    ImportRun.objects.filter(organisation=organisation).delete()


def lower_bound(organisation, sites, data: list[list]) -> float:
    """bulk_create of the same members, built in memory, no validation."""
    from django.conf import settings
    from django.db import transaction

    from batea.domain.identifiers import fingerprint_identifier, mask_identifier
    from batea.registry.models import Member

    start = time.perf_counter()
    members = [
        Member(
            id=uuid.uuid4(),
            organisation=organisation,
            member_number=r[0],
            given_name=r[1],
            family_name=r[2],
            gender=r[3],
            birth_year=r[4],
            role=r[5],
            join_date=date.fromisoformat(r[6]),
            status=r[7],
            national_id_masked=mask_identifier(r[8]),
            national_id_fingerprint=fingerprint_identifier(r[8], settings.BATEA_PII_KEY),
            primary_site=sites.get(r[9]),
        )
        for r in data
    ]
    with transaction.atomic():
        Member.objects.bulk_create(members, batch_size=2_000)
    return time.perf_counter() - start


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_import(organisation, content: bytes, name: str):
    from django.db import connection

    from batea.fielddata.records import import_records

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        report = import_records(None, organisation, "members", content, name, via="cli")
        elapsed = time.perf_counter() - start
    if not report.ok:
        raise RuntimeError(f"{name}: {[str(p) for p in report.problems[:5]]}")
    return elapsed, report, counter.count


def run(options: Options) -> Report:
    import django
    from django.core.management import call_command
    from django.utils import timezone

    database = setup_django()
    call_command("migrate", interactive=False, verbosity=0)
    size = int(os.environ.get("BENCH_FIELDDATA_ROWS") or options.max_members)
    repeat = int(os.environ.get("BENCH_FIELDDATA_REPEAT") or 1)
    print(f"fielddata: database {database}, {size:,} members, {repeat} run(s)", flush=True)
    organisation, sites = prepare()
    data = rows(size, timezone.localdate())
    files = {"csv": as_csv(data), "xlsx": as_xlsx(data)}
    megabytes = {fmt: len(content) / 2**20 for fmt, content in files.items()}
    print(f"  files: csv {megabytes['csv']:.1f} MB, xlsx {megabytes['xlsx']:.1f} MB", flush=True)
    bound = []
    for _ in range(repeat):
        clear(organisation)
        bound.append(lower_bound(organisation, sites, data))
    baseline = Timing.of(bound)
    print(f"  lower bound (bulk_create) {baseline.median:8.2f} s", flush=True)
    measurements, notes, checks = [], [], {}
    from batea.registry.models import Member

    for fmt in ("csv", "xlsx"):
        samples, queries = [], 0
        for _ in range(repeat):
            clear(organisation)
            elapsed, report, queries = timed_import(organisation, files[fmt], f"members.{fmt}")
            samples.append(elapsed)
            checks[f"{fmt}: every row created"] = len(report.created) == size
        checks[f"{fmt}: members stored"] = (
            Member.objects.filter(organisation=organisation).count() == size
        )
        timing = Timing.of(samples)
        measurements.append(
            Measurement(fmt, size, f"members.{fmt}", timing, baseline, queries, size)
        )
        notes.append(
            f"{fmt}: {size / timing.median:,.0f} rows/s ({timing.median:.2f} s), lower bound "
            f"{size / baseline.median:,.0f} rows/s, ratio {timing.median / baseline.median:.1f}×"
        )
        print(f"  {notes[-1]}", flush=True)
    # The CSV again, onto the members just imported from the XLSX: nothing changes.
    elapsed, report, queries = timed_import(organisation, files["csv"], "members.csv")
    checks["csv again: every row unchanged"] = len(report.unchanged) == size
    again = Timing.of([elapsed])
    measurements.append(
        Measurement("csv again", size, "members.csv", again, baseline, queries, size)
    )
    notes.append(f"csv again (all unchanged): {size / elapsed:,.0f} rows/s ({elapsed:.2f} s)")
    print(f"  {notes[-1]}", flush=True)
    clear(organisation)
    return Report(
        name=NAME,
        description="Import of members from CSV and XLSX vs bulk insert of the same rows",
        measurements=measurements,
        checks=checks,
        notes=notes,
        context={
            "database": database,
            "database_version": database_version(),
            "django": django.get_version(),
            "repeat": repeat,
            "warmup": 0,
            "rows": size,
            "baseline": "Member.objects.bulk_create(same members, batch_size=2000) in one "
            "transaction, no reading, no validation",
        },
    )


if __name__ == "__main__":
    # `python -m bench.fielddata`: this benchmark alone, figures printed, results files untouched.
    result = run(Options())
    for check, ok in result.checks.items():
        print(f"- {check}: {'yes' if ok else 'no'}")
