"""Chain of custody at scale: trace a refined lot back through five tiers, reconcile a
mass balance, against the bare SQL doing the same work.

Synthetic supply chains are bulk-inserted (deterministic): in each chain eight lots are
produced at an ASMO's site by two members each, shipped to a collector and received, merged
four by four (tier 1), shipped to a trader and merged into one (tier 2), shipped to a
refiner and refined (tier 3), split (tier 4), one part split again into two bars (tier 5),
and both bars sold: 38 custody events per chain. BENCH_CUSTODY_EVENTS sets the number of
events (default 1,000,000 on PostgreSQL, 200,000 on SQLite; the issue's full size is
10,000,000). One trader's mass-balance account gets BENCH_CUSTODY_ENTRIES entries (default
1,000,000 on PostgreSQL, 200,000 on SQLite) in one open period.

Then, in the same run:

- **trace**: `batea.custody.tracing.trace_back(bar)` for a sample of tier-5 bars (origins
  with exact shares, member and site rows), median and p95; the **lower bound** is the
  recursive SQL query alone that fetches the same links (`tracing._related_edges`);
- **reconcile**: `services.reconcile` of the account's period (rolled back after each
  run), against the bare aggregate of the same entries.

Checks: every traced bar's origins add up to its fine content, and the statement matches
the sums of the entries.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

from bench import Measurement, Options, Report, Timing, setup_django
from bench.pathway import database_version

NAME = "custody"
EVENTS_PER_CHAIN = 38
BATCH = 5_000
SLUG = "bench-custody-"
SAMPLE = 50


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Chains:
    """Builds the rows of N chains in memory, batch by batch."""

    def __init__(self, orgs: dict, sites: list, members: dict, today: date):
        self.orgs, self.sites, self.members, self.today = orgs, sites, members, today
        self.rng = random.Random("batea-bench-custody")
        self.reset()

    def reset(self):
        self.rows: dict[str, list] = {
            k: [] for k in ("lots", "events", "uses", "links", "origins", "sales")
        }
        self.bars: list = []

    def lot(self, holder, kind, mass, fineness, **extra):
        from batea.custody.models import Lot

        fine = (mass * fineness / 1000).quantize(Decimal("0.000000000001"))
        lot = Lot(
            id=uuid.uuid4(),
            code=f"B-{uuid.uuid4().hex[:12]}",
            organisation=holder,
            kind=kind,
            mineral="gold",
            mass_g=mass,
            fineness=fineness,
            fine_g=fine,
            status="consumed",
            **extra,
        )
        self.rows["lots"].append(lot)
        return lot

    def event(self, kind, org, on, **extra):
        from batea.custody.models import CustodyEvent

        event = CustodyEvent(id=uuid.uuid4(), kind=kind, organisation=org, occurred_on=on, **extra)
        self.rows["events"].append(event)
        return event

    def use(self, event, lot, use, holder):
        from batea.custody.models import LotUse

        self.rows["uses"].append(LotUse(event=event, lot=lot, use=use, holder=holder))

    def link(self, event, parent, child, fine):
        from batea.custody.models import LotLink

        self.rows["links"].append(LotLink(event=event, parent=parent, child=child, fine_g=fine))

    def move(self, lot, seller, buyer, on):
        """Ship and receive: two events."""
        shipped = self.event("shipment", seller, on, counterparty=buyer)
        self.use(shipped, lot, "shipped", seller)
        received = self.event("receipt", buyer, on, counterparty=seller)
        self.use(received, lot, "received", buyer)

    def combine(self, kind, holder, inputs, outputs_spec, on, **extra):
        """A merge, transformation or split: inputs consumed, outputs linked by share."""
        event = self.event(kind, holder, on, **extra)
        fine_in = sum(lot.fine_g for lot in inputs)
        outputs = [self.lot(holder, k, m, f) for k, m, f in outputs_spec]
        fine_out = sum(lot.fine_g for lot in outputs)
        for lot in inputs:
            self.use(event, lot, "consumed", holder)
        for out in outputs:
            for lot in inputs:
                self.link(event, lot, out, lot.fine_g * out.fine_g / fine_out)
        assert fine_out <= fine_in
        return outputs

    def chain(self, number: int):
        from batea.custody.models import LotOrigin, Sale

        asmo, site, members = self.sites[number % len(self.sites)]
        on = self.today - timedelta(days=self.rng.randrange(365))
        produced = []
        for _ in range(8):
            mass = Decimal(self.rng.randrange(200, 900))
            lot = self.lot(
                asmo,
                "dore",
                mass,
                Decimal(850),
                origin_organisation=asmo,
                site=site,
                produced_on=on,
                origin_sites=[str(site.pk)],
            )
            event = self.event("production", asmo, on, site=site)
            self.use(event, lot, "produced", asmo)
            for member in self.rng.sample(members, 2):
                self.rows["origins"].append(
                    LotOrigin(
                        lot=lot, member=member, miner_days=Decimal(self.rng.randrange(20, 60))
                    )
                )
            produced.append(lot)
        collector, trader, refiner = (
            self.orgs["collector"],
            self.orgs["trader"],
            self.orgs["refiner"],
        )
        for lot in produced:
            self.move(lot, asmo, collector, on)
        tier1 = []
        for group in (produced[:4], produced[4:]):
            mass = sum(lot.mass_g for lot in group)
            tier1 += self.combine("merge", collector, group, [("dore", mass, Decimal(850))], on)
        for lot in tier1:
            self.move(lot, collector, trader, on)
        mass = sum(lot.mass_g for lot in tier1)
        (tier2,) = self.combine("merge", trader, tier1, [("dore", mass, Decimal(850))], on)
        self.move(tier2, trader, refiner, on)
        fine = tier2.fine_g * Decimal("0.98")
        refined_mass = (fine / Decimal("0.9999")).quantize(Decimal("0.001"), "ROUND_DOWN")
        (tier3,) = self.combine(
            "transformation",
            refiner,
            [tier2],
            [("fine_gold", refined_mass, Decimal("999.9"))],
            on,
            operation="refining",
        )
        half = (tier3.mass_g / 2).quantize(Decimal("0.001"), "ROUND_DOWN")
        kept, rest = self.combine(
            "split",
            refiner,
            [tier3],
            [("fine_gold", half, Decimal("999.9")), ("fine_gold", half, Decimal("999.9"))],
            on,
        )
        quarter = (half / 2).quantize(Decimal("0.001"), "ROUND_DOWN")
        bars = self.combine(
            "split",
            refiner,
            [kept],
            [("fine_gold", quarter, Decimal("999.9")), ("fine_gold", quarter, Decimal("999.9"))],
            on,
        )
        rest.status = "active"
        for bar in bars:
            bar.status = "sold"
            sale_event = self.event("sale", refiner, on, counterparty=self.orgs["buyer"])
            self.use(sale_event, bar, "sold", refiner)
            self.rows["sales"].append(
                Sale(
                    event=sale_event,
                    lot=bar,
                    seller=refiner,
                    buyer=self.orgs["buyer"],
                    sold_on=on,
                    fine_g=bar.fine_g,
                    usd_per_troy_oz=Decimal(2300),
                )
            )
        self.bars.append(bars[0])

    def flush(self):
        from batea.custody.models import (
            CustodyEvent,
            Lot,
            LotLink,
            LotOrigin,
            LotUse,
            Sale,
        )

        seal_events(self.rows["events"])
        for model, key in (
            (Lot, "lots"),
            (CustodyEvent, "events"),
            (LotUse, "uses"),
            (LotLink, "links"),
            (LotOrigin, "origins"),
            (Sale, "sales"),
        ):
            model.objects.bulk_create(self.rows[key], batch_size=BATCH)
        bars = self.bars
        self.reset()
        return bars


def seal_events(events: list) -> None:
    """Seal the events into their organisations' chains, as `batea synth` does."""
    from batea.custody.models import CustodyEvent
    from batea.integrity.chains import seal_rows

    columns = [f.attname for f in CustodyEvent._meta.concrete_fields]
    rows = [{c: getattr(e, c) for c in columns if not c.startswith("chain_")} for e in events]
    seal_rows(CustodyEvent, rows)
    for event, row in zip(events, rows, strict=True):
        for column, value in row.items():
            setattr(event, column, value)


def load(chains: int, today: date):
    """Organisations, sites, members and `chains` chains; returns some tier-5 bars."""
    from django.db import transaction

    from batea.custody.models import Lot
    from batea.registry.models import Member, Organisation, Site

    orgs = {}
    for role, kind in (
        ("collector", "buyer"),
        ("trader", "buyer"),
        ("refiner", "buyer"),
        ("buyer", "buyer"),
    ):
        orgs[role] = Organisation.objects.create(
            slug=f"{SLUG}{role}", name=f"Bench {role}", kind=kind, country="CO"
        )
    sites = []
    for i in range(50):
        asmo = Organisation.objects.create(
            slug=f"{SLUG}asmo-{i}", name=f"Bench ASMO {i}", kind="asmo", country="CO"
        )
        site = Site.objects.create(
            organisation=asmo,
            site_code=f"S{i}",
            name=f"Site {i}",
            geometry={"type": "Point", "coordinates": [-75.5, 6.2]},
            latitude=6.2,
            longitude=-75.5,
        )
        members = Member.objects.bulk_create(
            Member(
                organisation=asmo,
                member_number=f"M{i}-{j}",
                given_name="B",
                family_name=str(j),
                gender="female" if j % 2 else "male",
                role="miner",
                join_date=date(2020, 1, 1),
                status="approved",
            )
            for j in range(10)
        )
        sites.append((asmo, site, members))
    builder = Chains(orgs, sites, {}, today)
    bars = []
    next_report = time.perf_counter() + 30
    for number in range(chains):
        builder.chain(number)
        if len(builder.rows["events"]) >= 20 * BATCH:
            with transaction.atomic():
                bars += builder.flush()
            if time.perf_counter() > next_report:
                print(f"    … {number + 1:,} of {chains:,} chains", flush=True)
                next_report = time.perf_counter() + 30
    with transaction.atomic():
        bars += builder.flush()
    return orgs, bars, Lot


def load_entries(account, entries: int, start: date) -> tuple[Decimal, Decimal]:
    """Alternating credits and smaller debits, so the credit never goes negative."""
    from batea.custody.models import MassBalanceEntry

    balance = Decimal(0)
    credited = debited = Decimal(0)
    batch = []
    for i in range(entries):
        on = start + timedelta(days=i * 300 // entries)
        if i % 2 == 0:
            amount, kind = Decimal(100), "credit"
            balance += amount
            credited += amount
        else:
            amount, kind = Decimal(60), "debit"
            balance -= amount
            debited += amount
        batch.append(
            MassBalanceEntry(
                account=account,
                kind=kind,
                on=on,
                fine_g=amount,
                reference=f"r{i}",
                balance_after_g=balance,
            )
        )
        if len(batch) >= BATCH:
            MassBalanceEntry.objects.bulk_create(batch)
            batch = []
    MassBalanceEntry.objects.bulk_create(batch)
    account.balance_g = balance
    account.save(update_fields=["balance_g"])
    return credited, debited


def remove_previous() -> None:
    from django.db import connection

    from batea.custody.models import (
        CustodyEvent,
        Lot,
        LotLink,
        LotOrigin,
        LotUse,
        MassBalanceAccount,
        MassBalanceEntry,
        MassBalancePeriod,
        Sale,
    )
    from batea.integrity.models import ChainHead
    from batea.registry.models import Member, Organisation, Site

    for model in (
        Sale,
        LotOrigin,
        LotLink,
        LotUse,
        MassBalancePeriod,
        MassBalanceEntry,
        MassBalanceAccount,
    ):
        model.objects.all().delete()
    Lot.objects.all().delete()
    CustodyEvent.objects.all().delete()
    ChainHead.objects.filter(chain__startswith="custody:").delete()  # their chains are gone
    orgs = Organisation.objects.filter(slug__startswith=SLUG)
    Member.objects.filter(organisation__in=orgs).delete()
    Site.objects.filter(organisation__in=orgs).delete()
    orgs.delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Lot, LotLink, LotUse, CustodyEvent, MassBalanceEntry):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def run(options: Options) -> Report:
    import django
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    database = setup_django()
    from batea.access.models import RoleAssignment
    from batea.custody import services, tracing
    from batea.custody.models import MassBalanceAccount

    call_command("migrate", interactive=False, verbosity=0)
    postgres = connection.vendor == "postgresql"
    events = _env_int("BENCH_CUSTODY_EVENTS", 1_000_000 if postgres else 200_000)
    entries = _env_int("BENCH_CUSTODY_ENTRIES", 1_000_000 if postgres else 200_000)
    chains = max(1, events // EVENTS_PER_CHAIN)
    today = date.today()
    print(
        f"custody: database {database}; {chains * EVENTS_PER_CHAIN:,} events, "
        f"{entries:,} mass-balance entries",
        flush=True,
    )
    remove_previous()
    start = time.perf_counter()
    orgs, bars, _lot = load(chains, today)
    account = MassBalanceAccount.objects.create(
        organisation=orgs["trader"], standard="bench-standard"
    )
    credited, debited = load_entries(account, entries, today - timedelta(days=300))
    if postgres:
        with connection.cursor() as cursor:
            for table in (
                "custody_lot",
                "custody_lotlink",
                "custody_lotuse",
                "custody_custodyevent",
                "custody_lotorigin",
                "custody_massbalanceentry",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
    load_seconds = time.perf_counter() - start
    print(f"  loaded in {load_seconds:.1f} s", flush=True)

    sample = random.Random(7).sample(bars, min(SAMPLE, len(bars)))
    for bar in sample[: options.warmup]:
        tracing.trace_back(bar)
    trace_times, sql_times, sums_ok = [], [], True
    for bar in sample:
        begin = time.perf_counter()
        traced = tracing.trace_back(bar)
        trace_times.append(time.perf_counter() - begin)
        sums_ok &= sum(o.fine_g for o in traced.origins) == bar.fine_g and traced.depth == 5
        begin = time.perf_counter()
        tracing._related_edges(bar, "up")
        sql_times.append(time.perf_counter() - begin)
    trace = Timing.of(trace_times)
    lower = Timing.of(sql_times)
    p95 = statistics.quantiles(trace_times, n=20)[-1] if len(trace_times) > 1 else trace.maximum
    print(
        f"  trace back through 5 tiers: median {trace.median * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms; recursive SQL alone {lower.median * 1000:.1f} ms; "
        f"ratio {trace.median / lower.median:.1f}×",
        flush=True,
    )

    user = get_user_model().objects.get_or_create(username="bench-custody")[0]
    RoleAssignment.objects.get_or_create(user=user, organisation=orgs["trader"], role="buyer")
    period_start = today - timedelta(days=300)
    reconcile_times, statement_ok = [], True

    class Rollback(Exception):
        pass

    for _ in range(max(3, options.repeat // 3)):
        begin = time.perf_counter()
        try:
            with transaction.atomic():
                period = services.reconcile(user, account, period_start, today)
                elapsed = time.perf_counter() - begin
                statement_ok &= (
                    Decimal(period.statement["credited"]) == credited
                    and Decimal(period.statement["debited"]) == debited
                )
                raise Rollback
        except Rollback:
            reconcile_times.append(elapsed)
    from django.db.models import Q, Sum

    aggregate_times = []
    for _ in range(len(reconcile_times)):
        begin = time.perf_counter()
        account.entries.filter(on__range=(period_start, today)).aggregate(
            c=Sum("fine_g", filter=Q(kind="credit")), d=Sum("fine_g", filter=Q(kind="debit"))
        )
        aggregate_times.append(time.perf_counter() - begin)
    reconcile = Timing.of(reconcile_times)
    aggregate = Timing.of(aggregate_times)
    print(
        f"  reconcile {entries:,} entries: median {reconcile.median * 1000:.1f} ms; "
        f"bare aggregate {aggregate.median * 1000:.1f} ms; ratio "
        f"{reconcile.median / aggregate.median:.1f}×",
        flush=True,
    )
    checks = {
        "trace shares add up to each bar's fine content (5 tiers)": sums_ok,
        "statement matches the entries": statement_ok,
    }
    for check, ok in checks.items():
        print(f"{check}: {'yes' if ok else 'no'}", flush=True)
    return Report(
        name=NAME,
        description="Trace through five tiers and mass-balance reconciliation",
        measurements=[
            Measurement(
                target="trace back (tier-5 bar)",
                size=chains * EVENTS_PER_CHAIN,
                url="tracing.trace_back(bar)",
                time=trace,
                baseline=lower,
                queries=0,
                rows=len(sample),
            ),
            Measurement(
                target="reconcile one account",
                size=entries,
                url="services.reconcile(user, account, start, end)",
                time=reconcile,
                baseline=aggregate,
                queries=0,
                rows=entries,
            ),
        ],
        checks=checks,
        notes=[
            f"{chains * EVENTS_PER_CHAIN:,} events in {chains:,} chains, loaded in "
            f"{load_seconds:.0f} s",
            f"trace p95 {p95 * 1000:.1f} ms over {len(sample)} bars",
        ],
        context={
            "database": database,
            "database_version": database_version(),
            "django": django.get_version(),
            "repeat": f"{len(sample)} traces; {len(reconcile_times)} reconciliations",
            "warmup": options.warmup,
            "load_seconds": round(load_seconds, 1),
            "events": chains * EVENTS_PER_CHAIN,
            "entries": entries,
            "baseline": "the recursive SQL of the trace alone; the bare SUM of the entries",
        },
    )
