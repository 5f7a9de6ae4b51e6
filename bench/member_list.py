"""Member list of one large ASMO: the page `/orgs/<slug>/members/` and `/api/members/`.

One ASMO and its manager (role `asmo_manager`) are created, then the organisation grows to
1,000, 10,000 and 100,000 members (bulk inserts of deterministic fake members). At each
size, a logged-in `django.test.Client` requests the first page, page 100 and the last page
of the member list, and the first page and page 100 of the API filtered by organisation.
Each is timed (median of repeated requests after a warm-up), its SQL queries are counted and
it is compared with a baseline: the bare ORM query fetching the same 50 rows.

The page and the API must issue the same number of queries whatever the member count.
"""

from __future__ import annotations

import random
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bench import Measurement, Options, Report, measure, setup_django

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.test import Client

    from batea.registry.models import Member, Organisation, Site

NAME = "member_list"
ORGANISATION_SLUG = "bench-asmo"
USERNAME = "bench-manager"
BATCH_SIZE = 5_000
PAGE_SIZE = 50  # batea.registry.views.MEMBERS_PER_PAGE and the API's PAGE_SIZE
DEEP_PAGE = 100
SEED = "batea-bench-members"
# A row links to its member (`/members/<id>/` or `/members/<id>/edit/`).
MEMBER_LINK = re.compile(rb'href="[^"]*/members/([0-9a-f]{8}-[0-9a-f-]{27})/')

GIVEN_FEMALE = [
    "María",
    "Luz Dary",
    "Yesenia",
    "Ana Milena",
    "Leidy",
    "Sandra",
    "Rosa",
    "Juana",
    "Marleni",
    "Hilda",
    "Sarah",
    "Grace",
    "Prossy",
    "Harriet",
    "Florence",
    "Joyce",
]
GIVEN_MALE = [
    "José",
    "Luis Alberto",
    "Jhon Jairo",
    "Carlos",
    "Wilmar",
    "Éider",
    "Percy",
    "Wilber",
    "Rolando",
    "Víctor",
    "Moses",
    "Joseph",
    "Ronald",
    "Godfrey",
    "Isaac",
    "Brian",
]
FAMILY = [
    "Mosquera",
    "Palacios",
    "Rentería",
    "Córdoba",
    "Murillo",
    "Valencia",
    "Perea",
    "Asprilla",
    "Moreno",
    "Hinestroza",
    "Mamani",
    "Quispe",
    "Condori",
    "Huanca",
    "Apaza",
    "Choque",
    "Ssempijja",
    "Mukasa",
    "Kato",
    "Wasswa",
    "Okello",
    "Byaruhanga",
    "Tumusiime",
    "Lubega",
]
GENDERS = [("female", 40), ("male", 54), ("other", 1), ("undisclosed", 5)]
ROLES = [
    ("panner", 30),
    ("worker", 35),
    ("owner", 6),
    ("processor", 15),
    ("selector", 6),
    ("trader", 4),
    ("other", 4),
]
STATUSES = [("approved", 75), ("applicant", 10), ("conditional", 8), ("suspended", 4), ("left", 3)]
SITES = [
    ("BS-01", "Playa El Guamo", -76.6712, 5.1634),
    ("BS-02", "Quebrada La Sierpe", -76.6421, 5.1902),
    ("BS-03", "Frente San Pablo", -76.7035, 5.1398),
]


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


class MemberFactory:
    """Deterministic fake members of one organisation, numbered from 1 upwards.

    One seeded random stream draws every member in order, so member n is the same in every
    run whatever the step sizes. Ids are drawn from the stream too (not uuid4), so the
    ordering by (family name, given name, id) is reproducible.
    """

    def __init__(self, organisation: Organisation, sites: list[Site], today: date) -> None:
        self.organisation = organisation
        self.sites = sites
        self.today = today
        self.rng = random.Random(SEED)
        self.count = 0
        self.genders = _weighted(GENDERS)
        self.roles = _weighted(ROLES)
        self.statuses = _weighted(STATUSES)

    def draw(self, number: int) -> Member:
        """Member number `number`: valid choices, a past join date, a unique member number."""
        from batea.registry.models import Member

        rng = self.rng
        gender = rng.choices(*self.genders)[0]
        given = rng.choice(GIVEN_FEMALE if gender == "female" else GIVEN_MALE)
        family = " ".join(rng.sample(FAMILY, 2)) if rng.random() < 0.99 else ""
        member = Member(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            organisation=self.organisation,
            member_number=f"BM-{number:07d}",
            given_name=given,
            family_name=family,
            gender=gender,
            birth_year=rng.randint(self.today.year - 64, self.today.year - 18),
            role=rng.choices(*self.roles)[0],
            join_date=self.today - timedelta(days=rng.randint(1, 12 * 365)),
            status=rng.choices(*self.statuses)[0],
            primary_site=rng.choice(self.sites) if rng.random() < 0.8 else None,
        )
        if rng.random() < 0.7:
            member.set_national_id(str(10_000_000_000 + number))  # unique per member
        return member

    def batches(self, size: int) -> Iterator[list[Member]]:
        """Lists of at most BATCH_SIZE new members until the organisation has `size`."""
        while self.count < size:
            count = min(BATCH_SIZE, size - self.count)
            yield [self.draw(self.count + i) for i in range(1, count + 1)]
            self.count += count

    def grow_to(self, size: int) -> None:
        """Insert members until the organisation has `size` of them, BATCH_SIZE at a time."""
        from django.db import transaction

        from batea.registry.models import Member

        for batch in self.batches(size):
            with transaction.atomic():
                Member.objects.bulk_create(batch, batch_size=BATCH_SIZE)


def prepare_organisation() -> tuple[Organisation, list[Site], AbstractBaseUser]:
    """A fresh bench ASMO with three sites and a user holding `asmo_manager` in it."""
    from django.contrib.auth import get_user_model

    from batea.access.models import RoleAssignment
    from batea.domain.access import OrganisationKind, Role
    from batea.registry.models import Organisation, Site

    user_model = get_user_model()
    Organisation.objects.filter(slug=ORGANISATION_SLUG).delete()  # left by an earlier run
    user_model.objects.filter(username=USERNAME).delete()
    organisation = Organisation.objects.create(
        slug=ORGANISATION_SLUG,
        name="Cooperativa Minera de Prueba (benchmark)",
        kind=OrganisationKind.ASMO,
        country="CO",
        region="Chocó",
        legal_form=Organisation.LegalForm.COOPERATIVE,
    )
    sites = [
        Site.objects.create(
            organisation=organisation,
            site_code=code,
            name=name,
            geometry={"type": "Point", "coordinates": [lon, lat]},
            longitude=lon,
            latitude=lat,
        )
        for code, name, lon, lat in SITES
    ]
    user = user_model.objects.create_user(USERNAME, first_name="Bench", last_name="Manager")
    RoleAssignment.objects.create(user=user, organisation=organisation, role=Role.ASMO_MANAGER)
    return organisation, sites, user


def refresh_statistics() -> None:
    """On PostgreSQL, VACUUM ANALYZE the member table as autovacuum would after a bulk load.

    Planner statistics and the visibility map (which lets COUNT(*) use an index-only scan)
    are then as on a server that has settled, even where autovacuum is off.
    """
    from django.db import connection

    from batea.registry.models import Member

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Member._meta.db_table)}")


def database_version() -> str:
    """The database server's version, for the record."""
    from django.db import connection

    query = {"postgresql": "SELECT version()", "sqlite": "SELECT 'SQLite ' || sqlite_version()"}
    if connection.vendor not in query:
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(query[connection.vendor])
        return str(cursor.fetchone()[0]).split(" on ")[0]


@dataclass(frozen=True)
class Target:
    """One URL to measure and the offset of the 50 member rows it shows."""

    name: str
    url: str
    offset: int
    api: bool


def targets(organisation: Organisation, size: int) -> list[Target]:
    """Page 1, page 100 and the last page of the list; pages 1 and 100 of the API."""
    from django.urls import reverse

    page_url = reverse("organisation-members", args=[organisation.slug])
    api_url = f"{reverse('api:member-list')}?organisation={organisation.pk}"
    last = max(1, -(-size // PAGE_SIZE))
    offset = {1: 0, DEEP_PAGE: (DEEP_PAGE - 1) * PAGE_SIZE, last: (last - 1) * PAGE_SIZE}
    result = [Target("page 1", page_url, 0, api=False)]
    if last >= DEEP_PAGE:
        result.append(
            Target(
                f"page {DEEP_PAGE}", f"{page_url}?page={DEEP_PAGE}", offset[DEEP_PAGE], api=False
            )
        )
    if last not in (1, DEEP_PAGE):
        result.append(Target("last page", f"{page_url}?page={last}", offset[last], api=False))
    result.append(Target("api page 1", api_url, 0, api=True))
    if last >= DEEP_PAGE:
        result.append(
            Target(
                f"api page {DEEP_PAGE}", f"{api_url}&page={DEEP_PAGE}", offset[DEEP_PAGE], api=True
            )
        )
    return result


def baseline_rows(organisation: Organisation, offset: int) -> list[Member]:
    """The bare ORM query for the same 50 members a page shows."""
    from batea.registry.models import Member

    ordered = Member.objects.filter(organisation=organisation).order_by(
        "family_name", "given_name", "id"
    )
    return list(ordered[offset : offset + PAGE_SIZE])


def shown_member_ids(target: Target, content: bytes) -> list[str]:
    """Ids of the members a response lists, in order (a row may link to its member twice)."""
    if target.api:
        import json

        return [row["id"] for row in json.loads(content)["results"]]
    return list(dict.fromkeys(match.decode() for match in MEMBER_LINK.findall(content)))


def measure_target(
    client: Client, organisation: Organisation, target: Target, size: int, options: Options
) -> Measurement:
    """Time a target and its baseline, count its SQL queries, check it shows the same rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> bytes:
        response = client.get(target.url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {target.url} answered {response.status_code}")
        return response.content

    timing = measure(get, options.repeat, options.warmup)
    baseline = measure(
        lambda: baseline_rows(organisation, target.offset), options.repeat, options.warmup
    )
    with CaptureQueriesContext(connection) as captured:
        content = get()
    shown = shown_member_ids(target, content)
    expected = [str(member.id) for member in baseline_rows(organisation, target.offset)]
    if shown != expected:
        raise RuntimeError(f"{target.url} does not list the baseline's rows")
    return Measurement(
        target=target.name,
        size=size,
        url=target.url,
        time=timing,
        baseline=baseline,
        queries=len(captured),
        rows=len(shown),
        sql=[{"time": q["time"], "sql": _shorten(q["sql"])} for q in captured.captured_queries],
    )


def _shorten(sql: str, head: int = 240, tail: int = 360) -> str:
    """Long SQL cut in the middle (the column list), keeping FROM … WHERE … ORDER BY."""
    return sql if len(sql) <= head + tail else f"{sql[:head]} … {sql[-tail:]}"


def query_growth(measurements: list[Measurement]) -> dict[str, list[tuple[int, int]]]:
    """Targets whose query count changed with the member count: name → (size, queries)."""
    counts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for measurement in measurements:
        counts[measurement.target].append((measurement.size, measurement.queries))
    return {name: pairs for name, pairs in counts.items() if len({q for _, q in pairs}) > 1}


def _print_measurement(measurement: Measurement) -> None:
    print(
        f"  {measurement.size:>9,} members  {measurement.target:<13}"
        f" {measurement.time.median * 1000:9.1f} ms"
        f"   baseline {measurement.baseline.median * 1000:7.2f} ms"
        f"   ratio {measurement.ratio:7.1f}"
        f"   {measurement.queries:>2} queries",
        flush=True,
    )


def run(options: Options) -> Report:
    """Grow the bench ASMO step by step and measure its member list at every size."""
    import time

    import django
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    database = setup_django()
    print(f"member_list: database {database}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    organisation, sites, user = prepare_organisation()
    client = Client()
    client.force_login(user)
    factory = MemberFactory(organisation, sites, timezone.localdate())

    measurements: list[Measurement] = []
    load_seconds: dict[int, float] = {}
    for size in options.steps():
        start = time.perf_counter()
        factory.grow_to(size)
        refresh_statistics()
        load_seconds[size] = round(time.perf_counter() - start, 2)
        print(f"  {size:>9,} members loaded (+{load_seconds[size]:.1f} s)", flush=True)
        for target in targets(organisation, size):
            measurement = measure_target(client, organisation, target, size, options)
            measurements.append(measurement)
            _print_measurement(measurement)

    growth = query_growth(measurements)
    notes = [
        f"{name}: queries grow with members: "
        + ", ".join(f"{queries} at {size:,}" for size, queries in pairs)
        for name, pairs in growth.items()
    ]
    notes += [
        f"{m.target} at {m.size:,} members takes {m.time.median:.2f} s (median)"
        for m in measurements
        if m.time.median > 1.0
    ]
    print(f"queries constant: {'no' if growth else 'yes'}", flush=True)
    for note in notes:
        print(f"  ! {note}", flush=True)
    return Report(
        name=NAME,
        description="Member list of one ASMO (page and API), by member count",
        measurements=measurements,
        checks={"queries constant": not growth},
        notes=notes,
        context={
            "database": database,
            "database_version": database_version(),
            "django": django.get_version(),
            "steps": options.steps(),
            "repeat": options.repeat,
            "warmup": options.warmup,
            "load_seconds": load_seconds,
            "baseline": "list(Member.objects.filter(organisation=org)"
            ".order_by('family_name', 'given_name', 'id')[offset:offset + 50])",
        },
    )
