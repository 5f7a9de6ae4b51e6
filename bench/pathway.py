"""Pathway evaluation of many organisations, against one SQL aggregate over the same answers.

The shipped catalogues are imported and the Fairmined-style version is used: it has
organisation-, member- and site-level requirements (three at member level). N organisations
(env BENCH_PATHWAY_ORGS, default 1,000; 100 on SQLite, where loading 1,000 takes over ten
minutes) of M members each (env BENCH_PATHWAY_MEMBERS_PER_ORG, default 1,000) are created
with deterministic fake data: for each member one submitted ICS assessment answering every
member-level requirement, for each organisation one submitted self-assessment answering every
organisation-level requirement, and two sites per organisation each with one submitted ICS
assessment answering every site-level requirement (without sites, no level can be met). Some
answers are not compliant. Everything is inserted with `bulk_create`, 5,000 rows at a time.

Then, in the same run:

- the **pathway**: `batea.assessments.pathway.evaluate_standard(organisation, version)` for
  every organisation (its queries for the answers and the population, then the pure-Python
  engine), timed as one pass, with the time of each organisation recorded;
- the **lower bound**: one SQL aggregate that counts the same answers per organisation and
  requirement (and how many are compliant), fetched in full.

Both are printed with their ratio (the issue asks for at most 3×). If the app has
`pathway.evaluate_many` (every organisation from set-based queries), one call of it is timed
too. A sample of organisations is then timed piece by piece (the raw SQL of the answers
query, the answers as the pathway builds them, the population, the catalogue, the engine) to
show where the time goes. The results are checked against the aggregate.

Other options: BENCH_PATHWAY_PASSES (timed passes; 3 up to 200,000 members, else 1) and
BENCH_PATHWAY_REUSE=1 (on a kept database, e.g. PostgreSQL, keep the data of an earlier run
of the same size instead of loading it again).
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench import Measurement, Options, Report, Timing, setup_django

if TYPE_CHECKING:
    from batea.registry.models import Organisation
    from batea.standards.models import StandardVersion

NAME = "pathway"
STANDARD = "fairmined-style-progressive"
SLUG_PREFIX = "bench-pathway-"
BATCH_SIZE = 5_000
SEED = "batea-bench-pathway"
SITES_PER_ORG = 2
DEFAULT_ORGS = 1_000
# On SQLite (`make bench` without DATABASE_URL) loading 1,000 organisations of 1,000 members
# took about 12 minutes here, so the default there is a tenth of it; BENCH_PATHWAY_ORGS=1000 for
# the full size.
SQLITE_DEFAULT_ORGS = 100
DEFAULT_MEMBERS_PER_ORG = 1_000
# Timed passes over every organisation (env BENCH_PATHWAY_PASSES): 3 up to SMALL_RUN members,
# else 1 (a pass over 1,000,000 members takes about a minute).
DEFAULT_PASSES = 1
SMALL_RUN = 200_000
BASELINE_RUNS = 3  # timed runs of the lower bound (at least as many as the passes)
SAMPLE = 100  # organisations timed piece by piece
TARGET_RATIO = 3.0

MEMBER_STATUSES = [
    ("approved", 80),
    ("conditional", 6),
    ("suspended", 4),
    ("applicant", 6),
    ("left", 4),
]
MEMBER_ROLES = [("panner", 30), ("worker", 40), ("owner", 10), ("processor", 20)]
MEMBER_GENDERS = [("female", 40), ("male", 55), ("undisclosed", 5)]
# Share of members whose answers are not compliant, drawn per organisation.
MEMBER_FAILURE_RATES = [0.0, 0.02, 0.05, 0.15]


@dataclass(frozen=True)
class Size:
    """How much data: organisations and members per organisation."""

    organisations: int
    members_per_organisation: int

    @property
    def members(self) -> int:
        return self.organisations * self.members_per_organisation

    def label(self) -> str:
        return (
            f"{self.organisations:,} organisations × {self.members_per_organisation:,} members"
            f" = {self.members:,} members"
        )


def _env_int(name: str, default: int) -> int:
    value = int(os.environ.get(name, default))
    if value < 1:
        raise SystemExit(f"{name} must be positive")
    return value


def requested_size(vendor: str) -> Size:
    """The size asked for through BENCH_PATHWAY_ORGS and BENCH_PATHWAY_MEMBERS_PER_ORG, else
    the default (smaller on SQLite)."""
    return Size(
        _env_int("BENCH_PATHWAY_ORGS", SQLITE_DEFAULT_ORGS if vendor == "sqlite" else DEFAULT_ORGS),
        _env_int("BENCH_PATHWAY_MEMBERS_PER_ORG", DEFAULT_MEMBERS_PER_ORG),
    )


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(weights)


def import_shipped_catalogues() -> StandardVersion:
    """Import the catalogues that come with Batea (unchanged if there) and return the version."""
    from batea.assessments import pathway
    from batea.standards import services

    report = services.import_files(services.read_paths(services.shipped_files()))
    if not report.ok:
        raise RuntimeError(f"importing the shipped catalogues failed: {report.problems}")
    version = pathway.current_version(STANDARD)
    if version is None:
        raise RuntimeError(f"no version of {STANDARD} after the import")
    return version


def remove_previous_data() -> None:
    """Delete the bench organisations of an earlier run (on a kept database, e.g. PostgreSQL).

    Plain SQL deletes: the ORM's cascade would load millions of rows to delete them.
    """
    from django.db import connection, transaction

    from batea.assessments.models import Answer, Assessment
    from batea.registry.models import Member, Organisation

    organisations = Organisation.objects.filter(slug__startswith=SLUG_PREFIX)
    if not organisations.exists():
        return
    quote = connection.ops.quote_name
    org_table = quote(Organisation._meta.db_table)
    assessment_table = quote(Assessment._meta.db_table)
    in_bench = f"organisation_id IN (SELECT id FROM {org_table} WHERE slug LIKE %s)"
    pattern = f"{SLUG_PREFIX}%"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(Answer._meta.db_table)} WHERE assessment_id IN "
            f"(SELECT id FROM {assessment_table} WHERE {in_bench})",
            [pattern],
        )
        cursor.execute(f"DELETE FROM {assessment_table} WHERE {in_bench}", [pattern])
        cursor.execute(f"DELETE FROM {quote(Member._meta.db_table)} WHERE {in_bench}", [pattern])
        organisations.delete()


@dataclass
class Rows:
    """Rows to insert, in this order (foreign keys)."""

    members: list = field(default_factory=list)
    sites: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    answers: list = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        self.members += other.members
        self.sites += other.sites
        self.assessments += other.assessments
        self.answers += other.answers


class PathwayFactory:
    """Deterministic organisations, members, sites, assessments and answers for one version.

    Organisation n draws from its own seeded stream, so it is the same whatever the number
    of organisations. Ids come from the stream too (not uuid4).
    """

    def __init__(self, version: StandardVersion, size: Size, today: date) -> None:
        from batea.standards.models import Requirement

        self.version = version
        self.size = size
        self.today = today
        requirements = list(Requirement.objects.filter(version=version).order_by("order"))
        self.organisation_requirements = [r for r in requirements if r.applies_to == "organisation"]
        self.member_requirements = [r for r in requirements if r.applies_to == "member"]
        self.site_requirements = [r for r in requirements if r.applies_to == "site"]
        if not self.member_requirements:
            raise RuntimeError(f"{version} has no member-level requirements")
        self.statuses = _weighted(MEMBER_STATUSES)
        self.roles = _weighted(MEMBER_ROLES)
        self.genders = _weighted(MEMBER_GENDERS)

    @property
    def answers_per_organisation(self) -> int:
        return (
            len(self.organisation_requirements)
            + SITES_PER_ORG * len(self.site_requirements)
            + self.size.members_per_organisation * len(self.member_requirements)
        )

    def data_present(self) -> bool:
        """Whether the database already holds this size's data (from an earlier run)."""
        from batea.assessments.models import Answer
        from batea.registry.models import Member, Organisation

        mine = {"organisation__slug__startswith": SLUG_PREFIX}
        return (
            Organisation.objects.filter(slug__startswith=SLUG_PREFIX).count()
            == self.size.organisations
            and Member.objects.filter(**mine).count() == self.size.members
            and Answer.objects.filter(
                assessment__organisation__slug__startswith=SLUG_PREFIX,
                assessment__version=self.version,
            ).count()
            == self.size.organisations * self.answers_per_organisation
        )

    def organisations(self) -> list[Organisation]:
        from batea.domain.access import OrganisationKind
        from batea.registry.models import Organisation

        result = []
        for number in range(1, self.size.organisations + 1):
            rng = random.Random(f"{SEED}-organisation-{number}")
            result.append(
                Organisation(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    slug=f"{SLUG_PREFIX}{number:05d}",
                    name=f"Cooperativa de prueba {number:05d} (benchmark)",
                    kind=OrganisationKind.ASMO,
                    country="CO",
                    region="Chocó",
                    legal_form=Organisation.LegalForm.COOPERATIVE,
                    entry_date=self.today - timedelta(days=rng.randint(30, 5 * 365)),
                    declared_metrics={"gold_grams_per_miner_day": round(rng.uniform(1.0, 5.0), 2)},
                )
            )
        return result

    def rows_of(self, organisation: Organisation, number: int) -> Rows:
        """Members, sites, assessments and answers of organisation `number`."""
        from django.utils import timezone

        from batea.assessments.models import Answer, Assessment
        from batea.registry.models import Member

        rng = random.Random(f"{SEED}-rows-{number}")
        now = timezone.now()
        version_id = self.version.pk
        own = Assessment(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            organisation_id=organisation.pk,
            version_id=version_id,
            kind="self",
            subject_type="organisation",
            assessed_on=self.today - timedelta(days=rng.randint(1, 200)),
            status="submitted",
            submitted_at=now,
        )
        assessments = [own]
        answers = []
        perfect = rng.random() < 0.35  # a third of the organisations comply fully themselves
        for requirement in self.organisation_requirements:
            if requirement.scoring == "scale_1_5":
                fields = {"score": rng.randint(2, 5), "value": ""}
            elif perfect:
                fields = {"value": "compliant"}
            else:
                draw = rng.random()
                value = (
                    "non_compliant"
                    if draw < 0.06
                    else "partly"
                    if draw < 0.08
                    else "not_applicable"
                    if draw < 0.10 and requirement.kind != "core"
                    else "compliant"
                )
                fields = {"value": value}
            answers.append(
                Answer(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    assessment_id=own.pk,
                    requirement_id=requirement.pk,
                    **fields,
                )
            )
        failure = rng.choice(MEMBER_FAILURE_RATES)
        members = []
        for index in range(1, self.size.members_per_organisation + 1):
            member = Member(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation_id=organisation.pk,
                member_number=f"BP-{number:05d}-{index:07d}",
                given_name=f"Miembro {index}",
                family_name=f"Prueba {number}",
                gender=rng.choices(*self.genders)[0],
                role=rng.choices(*self.roles)[0],
                join_date=self.today - timedelta(days=rng.randint(1, 10 * 365)),
                status=rng.choices(*self.statuses)[0],
            )
            members.append(member)
            assessment = Assessment(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation_id=organisation.pk,
                version_id=version_id,
                kind="ics",
                subject_type="member",
                member_id=member.pk,
                assessed_on=self.today - timedelta(days=rng.randint(1, 330)),
                status="submitted",
                submitted_at=now,
            )
            assessments.append(assessment)
            for requirement in self.member_requirements:
                draw = rng.random()
                value = (
                    "non_compliant"
                    if draw < failure
                    else "not_applicable"
                    if draw > 0.99
                    else "compliant"
                )
                answers.append(
                    Answer(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        assessment_id=assessment.pk,
                        requirement_id=requirement.pk,
                        value=value,
                    )
                )
        rows = Rows(members, [], assessments, answers)
        self.add_sites(rows, organisation, number, perfect, now)
        return rows

    def add_sites(
        self, rows: Rows, organisation: Organisation, number: int, perfect: bool, now: datetime
    ) -> None:
        """SITES_PER_ORG sites, each with one submitted ICS assessment answering every
        site-level requirement (drawn from a stream of their own)."""
        from batea.assessments.models import Answer, Assessment
        from batea.registry.models import Site

        rng = random.Random(f"{SEED}-sites-{number}")
        for index in range(1, SITES_PER_ORG + 1):
            longitude, latitude = -76.7 + rng.uniform(-0.2, 0.2), 5.2 + rng.uniform(-0.2, 0.2)
            site = Site(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation_id=organisation.pk,
                site_code=f"BP-{number:05d}-S{index}",
                name=f"Frente {index} de la cooperativa {number:05d}",
                geometry={"type": "Point", "coordinates": [longitude, latitude]},
                longitude=longitude,
                latitude=latitude,
            )
            rows.sites.append(site)
            assessment = Assessment(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                organisation_id=organisation.pk,
                version_id=self.version.pk,
                kind="ics",
                subject_type="site",
                site_id=site.pk,
                assessed_on=self.today - timedelta(days=rng.randint(1, 330)),
                status="submitted",
                submitted_at=now,
            )
            rows.assessments.append(assessment)
            for requirement in self.site_requirements:
                failed = not perfect and rng.random() < 0.06
                rows.answers.append(
                    Answer(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        assessment_id=assessment.pk,
                        requirement_id=requirement.pk,
                        value="non_compliant" if failed else "compliant",
                    )
                )

    def chunks(self, organisations: list[Organisation]) -> Iterator[Rows]:
        """Rows of whole organisations, flushed once BATCH_SIZE assessments are pending."""
        pending = Rows()
        for number, organisation in enumerate(organisations, start=1):
            pending.extend(self.rows_of(organisation, number))
            if len(pending.assessments) >= BATCH_SIZE:
                yield pending
                pending = Rows()
        if pending.assessments:
            yield pending

    def load(self) -> list[Organisation]:
        """Insert everything, BATCH_SIZE rows per INSERT; returns the organisations."""
        from django.db import transaction

        from batea.assessments.models import Answer, Assessment
        from batea.registry.models import Member, Organisation, Site

        organisations = self.organisations()
        Organisation.objects.bulk_create(organisations, batch_size=BATCH_SIZE)
        done = 0
        next_report = time.perf_counter() + 30
        for rows in self.chunks(organisations):
            with transaction.atomic():
                Member.objects.bulk_create(rows.members, batch_size=BATCH_SIZE)
                Site.objects.bulk_create(rows.sites, batch_size=BATCH_SIZE)
                Assessment.objects.bulk_create(rows.assessments, batch_size=BATCH_SIZE)
                Answer.objects.bulk_create(rows.answers, batch_size=BATCH_SIZE)
            done += len(rows.members)
            if time.perf_counter() > next_report:
                print(f"    … {done:,} of {self.size.members:,} members", flush=True)
                next_report = time.perf_counter() + 30
        return organisations


def rebuild_deciding(version: StandardVersion) -> None:
    """Flag the deciding answers as the app does after a bulk load (one SQL pass)."""
    from batea.assessments import deciding

    deciding.rebuild(version)


def refresh_statistics() -> None:
    """On PostgreSQL, VACUUM ANALYZE the loaded tables, as autovacuum would after a bulk load."""
    from django.db import connection

    from batea.assessments.models import Answer, Assessment
    from batea.registry.models import Member, Organisation

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Organisation, Member, Assessment, Answer):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def database_version() -> str:
    """The database server's version, for the record."""
    from django.db import connection

    query = {"postgresql": "SELECT version()", "sqlite": "SELECT 'SQLite ' || sqlite_version()"}
    if connection.vendor not in query:
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(query[connection.vendor])
        return str(cursor.fetchone()[0]).split(" on ")[0]


def lower_bound_query(version: StandardVersion, organisation: Organisation | None = None):
    """Final current answers of the version counted per organisation and requirement."""
    from django.db.models import Count, Q

    from batea.assessments.models import Answer
    from batea.assessments.pathway import FINAL  # submitted or reviewed

    answers = Answer.objects.filter(
        current=True, assessment__status__in=FINAL, assessment__version=version
    )
    if organisation is not None:
        answers = answers.filter(assessment__organisation=organisation)
    return answers.values("assessment__organisation_id", "requirement_id").annotate(
        n=Count("id"), ok=Count("id", filter=Q(value="compliant"))
    )


def lower_bound(version: StandardVersion) -> list[dict[str, Any]]:
    """The lower bound: one aggregate pass over the answers, every row fetched."""
    return list(lower_bound_query(version))


@dataclass(frozen=True)
class Outcome:
    """What the benchmark keeps of one organisation's result (not the whole result, whose
    retention would make the garbage collector's full passes grow with the run)."""

    level: str
    met: frozenset[str]


def outcome(result: Any) -> Outcome:
    """The level reached and the requirements met, from a StandardResult."""
    level = result.current_level
    return Outcome(
        level.level.id if level else "(none)",
        frozenset(code for code, r in result.requirements.items() if r.status == "met"),
    )


@dataclass
class Pass:
    """One timed pass of the pathway over every organisation."""

    total: float
    per_organisation: list[float]
    outcomes: list[Outcome]


def evaluate_all(organisations: list[Organisation], version: StandardVersion) -> Pass:
    """evaluate_standard for every organisation: the wall time of the whole loop, and of each
    call (the loop also reduces each result to its Outcome, outside the per-call time)."""
    from batea.assessments.pathway import evaluate_standard

    outcomes = []
    samples = []
    clock = time.perf_counter
    start = clock()
    for organisation in organisations:
        before = clock()
        result = evaluate_standard(organisation, version)
        samples.append(clock() - before)
        outcomes.append(outcome(result))
    return Pass(clock() - start, samples, outcomes)


@dataclass
class Batch:
    """One timed call of pathway.evaluate_many over every organisation."""

    total: float
    outcomes: dict[Any, Outcome]
    queries: list[dict[str, str]]


def evaluate_many_once(organisations: list[Organisation], version: StandardVersion) -> Batch | None:
    """pathway.evaluate_many(organisations, version) timed once (for today it counts member
    and site roll-ups in SQL from the deciding answers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from batea.assessments import pathway

    many = getattr(pathway, "evaluate_many", None)
    if many is None:
        return None
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        results = many(organisations, version)
        elapsed = time.perf_counter() - start
    return Batch(
        elapsed,
        {pk: outcome(result) for pk, result in results.items()},
        captured.captured_queries,
    )


def count_queries(call: Callable[[], object]) -> list[dict[str, str]]:
    """The SQL queries `call` issues."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return captured.captured_queries


def breakdown(
    organisations: list[Organisation], version: StandardVersion
) -> dict[str, list[float]]:
    """Seconds per organisation of each piece of evaluate_standard, on a sample.

    `answers: SQL only` runs the SQL that `answers_for` issued again on a bare cursor and
    fetches the rows (the driver's conversions, none of Django's); `answers_for` adds the
    ORM's row handling and the engine's Answer objects; `lower bound, one organisation` is
    the aggregate restricted to the organisation.
    """
    from django.db import connection
    from django.utils import timezone

    from batea.assessments import pathway
    from batea.domain.pathway import evaluate

    step = max(1, len(organisations) // SAMPLE)
    sample = organisations[::step][:SAMPLE]
    on = timezone.localdate()
    pieces: dict[str, list[float]] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = call()
        pieces.setdefault(name, []).append(time.perf_counter() - start)
        return value

    for organisation in sample:
        # The SQL answers_for issues (one query), run again on a bare cursor.
        sql = count_queries(lambda o=organisation: pathway.answers_for(o, [version]))[0]["sql"]

        def raw(sql: str = sql) -> list:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()

        timed("answers: SQL only", raw)
        answers = timed(
            "answers_for", lambda o=organisation: pathway.answers_for(o, [version])
        ).get(version.standard.code, [])
        population = timed("population_of", lambda o=organisation: pathway.population_of(o))
        catalogue = timed("version.catalogue()", version.catalogue)
        timed(
            "engine evaluate()",
            lambda o=organisation, c=catalogue, a=answers, p=population: evaluate(
                c, pathway.entry_date_of(o), on, a, p, o.declared_metrics
            ),
        )
        timed(
            "evaluate_standard (all)",
            lambda o=organisation: pathway.evaluate_standard(o, version),
        )
        timed(
            "lower bound, one organisation",
            lambda o=organisation: list(lower_bound_query(version, o)),
        )
    return pieces


def agreement(
    outcomes: list[Outcome], rows: list[dict[str, Any]], version: StandardVersion
) -> dict[str, int]:
    """Cross-check the pathway against the aggregate on organisation-level pass/fail
    requirements (a compliant answer is `met`), and count the answers both see."""
    from batea.standards.models import Requirement

    pass_fail = dict(
        Requirement.objects.filter(
            version=version, applies_to="organisation", scoring="pass_fail"
        ).values_list("id", "code")
    )
    from_aggregate = sum(row["ok"] for row in rows if row["requirement_id"] in pass_fail)
    codes = set(pass_fail.values())
    from_pathway = sum(len(codes & outcome.met) for outcome in outcomes)
    return {
        "met (pathway)": from_pathway,
        "compliant (aggregate)": from_aggregate,
        "answers (aggregate)": sum(row["n"] for row in rows),
    }


def level_counts(outcomes: list[Outcome]) -> dict[str, int]:
    """How many organisations reached each level (the highest with all lower ones met)."""
    return dict(sorted(Counter(outcome.level for outcome in outcomes).items()))


def run(options: Options) -> Report:
    """Load the organisations, time the pathway over all of them and the SQL lower bound."""
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    database = setup_django()
    from batea.assessments.pathway import evaluate_standard
    from batea.registry.models import Organisation

    size = requested_size(connection.vendor)
    passes = _env_int("BENCH_PATHWAY_PASSES", 3 if size.members <= SMALL_RUN else DEFAULT_PASSES)
    print(f"pathway: database {database}; {size.label()}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    version = import_shipped_catalogues()
    factory = PathwayFactory(version, size, timezone.localdate())
    expected_answers = size.organisations * factory.answers_per_organisation
    load_seconds = None
    if os.environ.get("BENCH_PATHWAY_REUSE") == "1" and factory.data_present():
        print("  reusing the data of an earlier run (BENCH_PATHWAY_REUSE=1)", flush=True)
    else:
        remove_previous_data()
        start = time.perf_counter()
        factory.load()
        start_flags = time.perf_counter()
        rebuild_deciding(version)
        flag_seconds = round(time.perf_counter() - start_flags, 1)
        refresh_statistics()
        load_seconds = round(time.perf_counter() - start, 1)
        print(f"  deciding answers flagged in {flag_seconds:.1f} s (one SQL pass)", flush=True)
    print(
        f"  {'loaded in ' + format(load_seconds, '.1f') + ' s' if load_seconds else 'data'}:"
        f" {size.organisations:,} organisations,"
        f" {size.members:,} members, {size.organisations * SITES_PER_ORG:,} sites,"
        f" {size.members + size.organisations * (1 + SITES_PER_ORG):,} assessments,"
        f" {expected_answers:,} answers",
        flush=True,
    )
    organisations = list(Organisation.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug"))

    for organisation in organisations[: options.warmup]:
        evaluate_standard(organisation, version)
    lower_bound(version)  # warm-up: the answers are read once before either is timed
    runs = [evaluate_all(organisations, version) for _ in range(passes)]
    evaluate_many_once(organisations, version)  # warm-up
    batches = [evaluate_many_once(organisations, version) for _ in range(passes)]
    many = None if batches[0] is None else min(batches, key=lambda b: b.total)
    many_timing = None if many is None else Timing.of([b.total for b in batches])
    baseline_samples = []
    rows: list[dict[str, Any]] = []
    for _ in range(max(BASELINE_RUNS, passes)):
        begin = time.perf_counter()
        rows = lower_bound(version)
        baseline_samples.append(time.perf_counter() - begin)

    total = Timing.of([run.total for run in runs])
    per_organisation = Timing.of([t for run in runs for t in run.per_organisation])
    mean_ms = statistics.mean(t for run in runs for t in run.per_organisation) * 1000
    baseline = Timing.of(baseline_samples)
    first_queries = count_queries(lambda: evaluate_standard(organisations[0], version))
    last_queries = count_queries(lambda: evaluate_standard(organisations[-1], version))
    pieces = breakdown(organisations, version)
    medians = {name: round(statistics.median(t) * 1000, 2) for name, t in pieces.items()}
    checks_agree = agreement(runs[-1].outcomes, rows, version)
    levels = level_counts(runs[-1].outcomes)

    everything = Measurement(
        target="all organisations",
        size=size.members,
        url="evaluate_standard(org, version) for each organisation",
        time=total,
        baseline=baseline,
        queries=len(first_queries) * len(organisations),
        rows=checks_agree["answers (aggregate)"],
        sql=[{"time": q["time"], "sql": _shorten(q["sql"])} for q in first_queries],
    )
    one = Measurement(
        target="one organisation",
        size=size.members_per_organisation,
        url="evaluate_standard(org, version)",
        time=per_organisation,
        baseline=Timing.of(pieces["lower bound, one organisation"]),
        queries=len(first_queries),
        rows=factory.answers_per_organisation,
    )
    measurements = [everything, one]
    if many is not None:
        measurements.append(
            Measurement(
                target="evaluate_many",
                size=size.members,
                url="pathway.evaluate_many(organisations, version), one call",
                time=many_timing,
                baseline=baseline,
                queries=len(many.queries),
                rows=checks_agree["answers (aggregate)"],
                sql=[{"time": q["time"], "sql": _shorten(q["sql"])} for q in many.queries],
            )
        )
    ratio = everything.ratio
    many_ratio = None if many is None else many_timing.median / baseline.median
    print(
        f"  pathway   {total.median:9.2f} s for {len(organisations):,} organisations"
        f" (each: median {per_organisation.median * 1000:.1f} ms, mean {mean_ms:.1f} ms,"
        f" max {per_organisation.maximum * 1000:.0f} ms; {len(first_queries)} queries)",
        flush=True,
    )
    print(
        f"  aggregate {baseline.median:9.2f} s for {len(rows):,} groups over"
        f" {checks_agree['answers (aggregate)']:,} answers",
        flush=True,
    )
    print(f"  ratio     {ratio:9.1f}×   (one organisation at a time)", flush=True)
    if many is not None:
        print(
            f"  evaluate_many {many_timing.median:5.2f} s for all organisations"
            f" ({len(many.queries)} queries), ratio {many_ratio:.1f}×"
            f"   (aim: at most {TARGET_RATIO:.0f}×)",
            flush=True,
        )
    print("  per organisation, median of a sample:", flush=True)
    for name, median in medians.items():
        print(f"    {name:<30} {median:8.2f} ms", flush=True)
    print(f"  levels reached: {levels}", flush=True)

    checks = {
        f"evaluate_many within {TARGET_RATIO:.0f}× of the SQL aggregate": (
            many_ratio is not None and many_ratio <= TARGET_RATIO
        ),
        "queries constant": len(first_queries) == len(last_queries),
        "pathway agrees with the aggregate": (
            checks_agree["met (pathway)"] == checks_agree["compliant (aggregate)"]
            and checks_agree["answers (aggregate)"] == expected_answers
        ),
    }
    if many is not None:
        same = all(
            many.outcomes.get(organisation.pk) == result
            for organisation, result in zip(organisations, runs[-1].outcomes, strict=True)
        )
        checks["evaluate_many agrees with evaluate_standard"] = same
    notes = [
        f"size: {size.label()}",
        f"pathway {total.median:.2f} s, lower bound {baseline.median:.2f} s, ratio {ratio:.1f}×",
        *(
            [f"evaluate_many {many_timing.median:.2f} s, ratio {many_ratio:.1f}×"]
            if many is not None
            else []
        ),
        f"per organisation: median {per_organisation.median * 1000:.1f} ms,"
        f" mean {mean_ms:.1f} ms, max {per_organisation.maximum * 1000:.0f} ms",
        *(
            f"{name}: {median} ms per organisation (median of {len(pieces[name])})"
            for name, median in medians.items()
        ),
    ]
    for check, ok in checks.items():
        print(f"{check}: {'yes' if ok else 'no'}", flush=True)
    return Report(
        name=NAME,
        description=f"Pathway of {STANDARD} for many organisations vs one SQL aggregate",
        measurements=measurements,
        checks=checks,
        notes=notes,
        context={
            "database": database,
            "database_version": database_version(),
            "django": django.get_version(),
            "organisations": size.organisations,
            "members_per_organisation": size.members_per_organisation,
            "members": size.members,
            "answers": expected_answers,
            "passes": passes,
            "repeat": f"{passes} pass(es); aggregate {len(baseline_samples)}",
            "warmup": options.warmup,
            "load_seconds": load_seconds,
            "per_organisation_mean_ms": round(mean_ms, 2),
            "breakdown_ms": medians,
            "breakdown_sample": len(pieces["evaluate_standard (all)"]),
            "levels": levels,
            "agreement": checks_agree,
            "baseline": "list(Answer.objects.filter(current=True, assessment__status__in="
            "['submitted', 'reviewed'], assessment__version=version)"
            ".values('assessment__organisation_id', 'requirement_id')"
            ".annotate(n=Count('id'), ok=Count('id', filter=Q(value='compliant'))))",
        },
    )


def _shorten(sql: str, head: int = 240, tail: int = 360) -> str:
    """Long SQL cut in the middle (the column list), keeping FROM … WHERE … ORDER BY."""
    return sql if len(sql) <= head + tail else f"{sql[:head]} … {sql[-tail:]}"
