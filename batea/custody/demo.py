"""Demo for chain of custody and premiums. Every organisation, person, lot and area here is
fictional; only the gold price series is real.

A year of production, relative to today: Río Claro mines weekly at its two certified sites
(identity preserved while its certificate covers the day and the site, uncertified before)
and monthly at its mercury-using front (never certified); Kyabalanga fortnightly, with a
new site inside a fictional red-flag area in the last two months and a licence that
expired; Sol de Oro fortnightly, kept by the association. Río Claro and Kyabalanga ship to
Aurora Responsible Refining, which confirms receipt, refines and sells the fine gold to a
fictional jeweller at about the month's reference price (one sale below the minimum). One
mass-balance chain: certified and uncertified Río Claro doré merged at Aurora, refined, and
only the part covered by the certified credit sold. Premiums of certified sales reach Río
Claro's fund; its committee approves a three-project investment plan and pays part of it.

Everything goes through the services, so the rules apply and red flags become incidents.
Idempotent: each chain is keyed by its produced lot's code, the fund by its plan;
running the demo again changes nothing.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from batea.certification.models import Certificate
from batea.custody import fund as premium_fund
from batea.custody import services
from batea.custody.models import (
    Disbursement,
    Incident,
    Lot,
    PremiumFund,
    PremiumReceipt,
    RedFlagArea,
    ReferencePrice,
    Sale,
)
from batea.domain.custody.prices import parse_prices
from batea.registry.demo import demo_id
from batea.registry.models import Member, Organisation, Site

PRICES_CSV = Path(settings.PROJECT_DIR).parent / "shared" / "data" / "gold-prices" / "monthly.csv"
PRICE_SOURCE = (
    "Monthly gold price, USD/troy oz: datasets/gold-prices (World Bank Pink Sheet from 1960), "
    "ODC Public Domain Dedication and License 1.0"
)
# The last two years of the same series, used only when the shared file is missing.
FALLBACK_SOURCE = "Built-in excerpt of the monthly gold price series (shared file missing)"
FALLBACK_PRICES = """Date,Price
2024-07,2398.000
2024-08,2470.000
2024-09,2571.000
2024-10,2690.000
2024-11,2651.000
2024-12,2648.000
2025-01,2710.000
2025-02,2894.730
2025-03,2983.000
2025-04,3218.000
2025-05,3309.000
2025-06,3353.000
2025-07,3340.000
2025-08,3368.030
2025-09,3667.680
2025-10,4058.330
2025-11,4087.000
2025-12,4309.000
2026-01,4753.000
2026-02,5020.000
2026-03,4856.000
2026-04,4721.000
2026-05,4587.000
2026-06,4228.000
"""

JEWELLER = {
    "slug": "lumen-jewellery",
    "name": "Lumen Fine Jewellery",
    "kind": "buyer",
    "country": "FR",
    "region": "Île-de-France",
    "legal_form": Organisation.LegalForm.COMPANY,
    "description": "Fictional jeweller buying refined responsible gold from Aurora.",
}
RED_FLAG_AREA = {
    "name": "Nakasozi forest reserve (fictional)",
    "reason": (
        "Fictional demo area, invented for Batea's demo: it stands for a protected forest "
        "reserve where mining is not permitted. It does not describe any real place or any "
        "real risk assessment."
    ),
    # Covers Kyabalanga's Nakasozi stream site, not its pit or processing yard.
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [
                [31.434, 0.570],
                [31.446, 0.570],
                [31.446, 0.580],
                [31.434, 0.580],
                [31.434, 0.570],
            ]
        ],
    },
}
COMMITTEE = [
    # (represents, gender, a member of this role and gender if there is one, else this name)
    ("miners", "female", "panner", "Luz Dary Mosquera"),
    ("miners", "male", "worker", "José Córdoba Perea"),
    ("plant_workers", "male", "processor", "Wilmar Asprilla"),
    ("womens_group", "female", "selector", "Yesenia Rentería"),
    ("local_authority", "female", None, "Eneida Perea Lozano"),
]
FORMER_MEMBER = ("miners", "male", None, "Hernán Valencia Córdoba")
PLAN_TITLE = "Premium investment plan %(start)s–%(end)s"
PLAN_GOALS = (
    "Over three years: stop mercury use at the San Pablo front; safer work and health care "
    "for every member; a savings and childcare fund run by the women's group."
)
PROJECTS = [
    ("Retorts and gravity pre-concentration at Frente San Pablo", Decimal(8000), 18, 2),
    ("Health brigade and protective equipment", Decimal(7000), 120, 52),
    ("Women's savings and childcare fund", Decimal(5000), 60, 51),
]
# Payments: (project index, amount, when as a share of the time since the first receipt).
PAYMENTS = [
    (0, Decimal(3000), Decimal("0.35"), "Two retorts and a sluice with carpets"),
    (1, Decimal(2500), Decimal("0.55"), "Helmets, boots and the first health brigade"),
    (2, Decimal(1500), Decimal("0.70"), "Seed capital of the savings group"),
    (0, Decimal(2000), Decimal("0.90"), "Shaking table for gravity concentration"),
]
REFINED = Decimal("999.9")
REFINING_YIELD = Decimal("0.995")


@dataclass
class World:
    today: date
    users: dict
    orgs: dict
    sites: dict
    members: dict  # site id or organisation id → members working there
    jeweller: Organisation
    certificates: list
    existing: set  # lot codes already loaded
    notes: list = field(default_factory=list)


def load(stdout=None) -> dict[str, int]:
    """Load the custody and premium demo (after the registry, standards and certification
    demos); returns what exists afterwards."""
    usernames = ["manager", "manager.peru", "manager.uganda", "buyer", "support"]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    orgs = {
        o.slug: o
        for o in Organisation.objects.filter(
            slug__in=[
                "rio-claro",
                "sol-de-oro",
                "kyabalanga",
                "aurora-refining",
                "andes-lakes-support",
            ]
        )
    }
    if len(users) < len(usernames) or len(orgs) < 5:
        return {"lots": 0}
    today = timezone.localdate()
    with transaction.atomic():
        notes = _load_prices()
        world = World(
            today=today,
            users=users,
            orgs=orgs,
            sites={s.site_code: s for s in Site.objects.filter(organisation__in=orgs.values())},
            members=_members_by_site(orgs),
            jeweller=_jeweller(),
            certificates=list(
                Certificate.objects.filter(
                    organisation=orgs["rio-claro"], status=Certificate.Status.VALID
                )
                .select_related("version__standard")
                .prefetch_related("sites")
            ),
            existing=set(
                Lot.objects.filter(
                    Q(code__startswith="RC-")
                    | Q(code__startswith="KY-")
                    | Q(code__startswith="SO-")
                ).values_list("code", flat=True)
            ),
            notes=notes,
        )
        _red_flag_area(orgs["andes-lakes-support"])
        _rio_claro(world)
        _kyabalanga(world)
        _sol_de_oro(world)
        _mass_balance(world)
        _premium_fund(world)
    if stdout is not None:
        for note in world.notes:
            stdout.write(note)
    demo_orgs = [*orgs.values(), world.jeweller]
    prices = (
        "reference prices" if not notes else "reference prices (built-in excerpt: file missing)"
    )
    return {
        prices: ReferencePrice.objects.filter(metal="gold").count(),
        "lots": Lot.objects.filter(
            Q(origin_organisation__in=demo_orgs) | Q(organisation__in=demo_orgs)
        ).count(),
        "sales": Sale.objects.filter(seller__in=demo_orgs).count(),
        "incidents": Incident.objects.filter(organisation__in=demo_orgs).count(),
        "premium receipts": PremiumReceipt.objects.filter(fund__organisation__in=demo_orgs).count(),
        "disbursements": Disbursement.objects.filter(
            project__plan__fund__organisation__in=demo_orgs
        ).count(),
    }


# Reference data -------------------------------------------------------------------------


def _load_prices() -> list[str]:
    """The real monthly gold price series, imported unless already there as it is."""
    if PRICES_CSV.exists():
        text, source, notes = PRICES_CSV.read_text(encoding="utf-8-sig"), PRICE_SOURCE, []
    else:
        text, source = FALLBACK_PRICES, FALLBACK_SOURCE
        notes = [f"{PRICES_CSV} not found: the demo uses a built-in excerpt of the price series."]
    points = {p.on: p.usd_per_troy_oz for p in parse_prices(text, source)}
    stored = dict(ReferencePrice.objects.filter(metal="gold").values_list("on", "usd_per_troy_oz"))
    if any(stored.get(on) != price for on, price in points.items()):
        services.import_prices(text, metal="gold", source=source)
    return notes


def _jeweller() -> Organisation:
    spec = dict(JEWELLER)
    organisation, _created = Organisation.objects.get_or_create(
        id=demo_id("org", spec["slug"]), defaults=spec
    )
    return organisation


def _red_flag_area(owner: Organisation) -> None:
    RedFlagArea.objects.get_or_create(
        id=demo_id("red-flag-area", "nakasozi"), defaults={"owner": owner, **RED_FLAG_AREA}
    )


def _members_by_site(orgs) -> dict:
    result: dict = {}
    members = Member.objects.filter(
        organisation__in=orgs.values(), status__in=["approved", "conditional"]
    ).order_by("member_number")
    for member in members:
        result.setdefault(member.primary_site_id, []).append(member)
        result.setdefault(member.organisation_id, []).append(member)
    return result


# Production and its way to the market -----------------------------------------------------


def _produce(
    world: World, manager, code, site_code, on, rate, fineness, crew, claim=None, jitter=True
):
    """A lot mined at a site by `crew` (how many members, days each), at about `rate` fine
    grams per miner-day (exactly, without `jitter`). None if the lot exists already or its
    day is still to come."""
    if code in world.existing or on > world.today:
        return None
    site = world.sites[site_code]
    rng = random.Random(f"batea-custody-{code}")
    people = world.members.get(site.pk) or world.members.get(site.organisation_id, [])
    chosen = rng.sample(people, min(len(people), rng.randint(*crew[0])))
    days = {member: Decimal(rng.randint(*crew[1])) for member in chosen}
    total = sum(days.values(), Decimal(0))
    fine = total * rate * (Decimal(rng.randint(80, 120)) / 100 if jitter else 1)
    mass = (fine * 1000 / fineness).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
    return services.produce(
        manager,
        site.organisation,
        site=site,
        mineral="gold",
        kind="dore",
        mass_g=mass,
        fineness=fineness,
        members=days,
        on=on,
        claim=claim,
        code=code,
    )


def _certified_claim(world: World, site_code: str, on: date):
    """An identity-preserved claim under Río Claro's certificate, if one covers the day and
    the site; else None (the lot is not certified)."""
    site = world.sites[site_code]
    for certificate in world.certificates:
        covered = not certificate.sites.all() or site in certificate.sites.all()
        if certificate.valid_from <= on <= certificate.valid_until and covered:
            return services.ClaimInput(
                certificate.version, certificate.variant, "identity_preserved"
            )
    return None


def _refined_mass(fine_g: Decimal) -> Decimal:
    return (fine_g * REFINING_YIELD * 1000 / REFINED).quantize(
        Decimal("0.001"), rounding=ROUND_DOWN
    )


def _price(on: date, factor: Decimal) -> Decimal | None:
    reference = services.reference_price("gold", on)
    if reference is None:
        return None
    return (reference.usd_per_troy_oz * factor).quantize(Decimal("0.01"))


def _to_market(world: World, lot: Lot, seller_user, on: date, factor=None, receipt=True):
    """Ship to Aurora, receipt confirmed, refined, sold to the jeweller, premium received
    by the origin's fund: each step only once its day has come."""
    buyer_user, aurora = world.users["buyer"], world.orgs["aurora-refining"]
    rng = random.Random(f"batea-market-{lot.code}")
    steps = [on + timedelta(days=d) for d in (1, 3, 5, 8, 14)]
    if steps[0] > world.today:
        return
    services.ship(seller_user, lot, aurora, steps[0])
    if steps[1] > world.today:
        return
    services.receive(buyer_user, lot, steps[1])
    lot.refresh_from_db()
    if steps[2] > world.today:
        return
    (refined,) = services.transform(
        buyer_user, [lot], [(_refined_mass(lot.fine_g), REFINED)], steps[2]
    )
    factor = factor or Decimal(rng.randint(9650, 10000)) / 10000
    price = _price(steps[3], factor)
    if steps[3] > world.today or price is None:
        return
    sale = services.sell(buyer_user, refined, world.jeweller, steps[3], price)
    if receipt and sale.premium_owed and steps[4] <= world.today:
        premium_fund.record_receipt(world.users["manager"], sale, on=steps[4])


def _rio_claro(world: World) -> None:
    manager, start = world.users["manager"], world.today - timedelta(days=365)
    for week in range(52):  # the two certified sites in turn, one lot a week
        on = start + timedelta(days=7 * week + 2)
        site = "RC-01" if week % 2 == 0 else "RC-02"
        fineness = Decimal(880 + (week * 7) % 40)
        claim = _certified_claim(world, site, on)
        lot = _produce(
            world,
            manager,
            f"RC-W{week + 1:02d}",
            site,
            on,
            Decimal("1.2"),
            fineness,
            ((12, 20), (4, 6)),
            claim,
        )
        if lot is not None:
            _to_market(world, lot, manager, on)
    for month in range(12):  # the dredge at Frente San Pablo uses mercury: never certified
        on = start + timedelta(days=30 * month + 10)
        lot = _produce(
            world,
            manager,
            f"RC-M{month + 1:02d}",
            "RC-03",
            on,
            Decimal("1.0"),
            Decimal(850),
            ((6, 10), (8, 12)),
        )
        if lot is not None:
            _to_market(world, lot, manager, on)


def _kyabalanga(world: World) -> None:
    manager, start = world.users["manager.uganda"], world.today - timedelta(days=365)
    for fortnight in range(26):
        on = start + timedelta(days=14 * fortnight + 5)
        spike = fortnight == 12  # mid-year, far above the pit's usual yield
        lot = _produce(
            world,
            manager,
            f"KY-F{fortnight + 1:02d}",
            "KY-01",
            on,
            Decimal("2.3") if spike else Decimal("0.6"),
            Decimal(860 + (fortnight * 3) % 30),
            ((10, 16), (8, 10)),
            jitter=not spike,
        )
        if lot is not None:
            factor = Decimal("0.92") if fortnight == 18 else None  # below the 95 % minimum
            _to_market(world, lot, manager, on, factor)
    for number, weeks_ago in enumerate((8, 6, 4, 2), start=1):  # the new stream site
        on = world.today - timedelta(weeks=weeks_ago)
        lot = _produce(
            world,
            manager,
            f"KY-N{number}",
            "KY-02",
            on,
            Decimal("0.5"),
            Decimal(870),
            ((6, 10), (6, 8)),
        )
        if lot is not None:
            _to_market(world, lot, manager, on)


def _sol_de_oro(world: World) -> None:
    """Sol de Oro records its production for its Internal Control System; it sells outside
    Batea for now (no demo buyer has it as a supplier)."""
    manager, start = world.users["manager.peru"], world.today - timedelta(days=365)
    for fortnight in range(26):
        on = start + timedelta(days=14 * fortnight + 3)
        site = "SO-01" if fortnight % 2 == 0 else "SO-02"
        implausible = fortnight == 17  # above the 4 g per miner-day eligibility bound
        _produce(
            world,
            manager,
            f"SO-F{fortnight + 1:02d}",
            site,
            on,
            Decimal("4.8") if implausible else Decimal("2.0"),
            Decimal(820 + (fortnight * 5) % 50),
            ((8, 14), (5, 6)),
            jitter=not implausible,
        )


def _mass_balance(world: World) -> None:
    """Certified and uncertified doré of Río Claro merged at Aurora under mass balance:
    the merge credits the certified fine content; only that much is sold as certified."""
    manager, buyer_user = world.users["manager"], world.users["buyer"]
    on = world.today - timedelta(days=16)
    claim = _certified_claim(world, "RC-01", on)
    if claim is None or "RC-MB-C" in world.existing:
        return
    certified = _produce(
        world,
        manager,
        "RC-MB-C",
        "RC-01",
        on,
        Decimal("1.1"),
        Decimal(900),
        ((12, 16), (5, 6)),
        claim,
    )
    plain = _produce(
        world, manager, "RC-MB-U", "RC-03", on, Decimal("0.9"), Decimal(850), ((5, 7), (5, 6))
    )
    aurora = world.orgs["aurora-refining"]
    for lot in (certified, plain):
        services.ship(manager, lot, aurora, on + timedelta(days=2))
        services.receive(buyer_user, lot, on + timedelta(days=3))
        lot.refresh_from_db()
    pooled = services.ClaimInput(claim.version, claim.variant, "mass_balance")
    merged = services.merge(buyer_user, [certified, plain], on + timedelta(days=4), claim=pooled)
    (refined,) = services.transform(
        buyer_user, [merged], [(_refined_mass(merged.fine_g), REFINED)], on + timedelta(days=5)
    )
    covered = (certified.fine_g * 1000 / REFINED).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
    within, rest = services.split(
        buyer_user, refined, [covered, refined.mass_g - covered], on + timedelta(days=6)
    )
    price = _price(on + timedelta(days=8), Decimal("0.985"))
    if price is not None:
        sale = services.sell(buyer_user, within, world.jeweller, on + timedelta(days=8), price)
        premium_fund.record_receipt(manager, sale, on=on + timedelta(days=14))
    # `rest` stays at Aurora: claimed under mass balance, it waits for more certified credit.


# The premium fund -------------------------------------------------------------------------


def _premium_fund(world: World) -> None:
    manager, organisation = world.users["manager"], world.orgs["rio-claro"]
    fund = premium_fund.fund_of(organisation)
    if fund.plans.exists():
        return
    today = world.today
    members = _committee(world, fund)
    receipts = sorted(fund.receipts.values_list("received_on", "amount"))
    first = receipts[0][0] if receipts else today
    span = (today - first).days
    approved_on = min(first + timedelta(days=span * 15 // 100 + 7), today)
    plan = premium_fund.propose_plan(
        manager,
        fund,
        PLAN_TITLE % {"start": approved_on.year, "end": approved_on.year + 3},
        PLAN_GOALS,
        approved_on,
        approved_on + timedelta(days=3 * 365),
        PROJECTS,
    )
    premium_fund.approve_plan(manager, plan, members, approved_on)
    projects = {p.title: p for p in plan.projects.all()}
    paid = Decimal(0)
    for index, amount, share, note in PAYMENTS:
        on = max(first + timedelta(days=int(span * share)), approved_on)
        available = sum((a for d, a in receipts if d <= on), Decimal(0)) - paid
        project = projects[PROJECTS[index][0]]
        project.refresh_from_db()
        amount = min(
            amount, (available / 2).quantize(Decimal(1)), project.budget - project.disbursed
        )
        if amount >= 50:
            premium_fund.disburse(manager, project, amount, on, note)
            paid += amount


def _committee(world: World, fund: PremiumFund) -> list:
    """The premium committee: fictional people, most of them members of the cooperative.
    Returns the members serving today."""
    manager, since = world.users["manager"], world.today - timedelta(days=420)
    if fund.committee.exists():
        return list(premium_fund.current_committee(fund))
    people = list(
        Member.objects.filter(organisation=fund.organisation, status="approved").order_by(
            "member_number"
        )
    )
    serving, taken = [], set()
    for represents, gender, role, name in COMMITTEE:
        member = next(
            (m for m in people if m.role == role and m.gender == gender and m.pk not in taken),
            None,
        )
        if member is not None:
            taken.add(member.pk)
            name = f"{member.given_name} {member.family_name}".strip()
        serving.append(
            premium_fund.add_committee_member(
                manager, fund, name, represents, since, gender, member
            )
        )
    represents, gender, _role, name = FORMER_MEMBER
    former = premium_fund.add_committee_member(manager, fund, name, represents, since, gender)
    premium_fund.end_committee_member(manager, former, world.today - timedelta(days=200))
    return serving
