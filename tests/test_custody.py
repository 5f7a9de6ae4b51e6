"""Chain of custody as stored: production, handshake transfers, refining, sales, mass
balance, red flags and trace; bad input changes nothing."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from batea.custody import services, tracing
from batea.custody.models import Incident, Lot, LotUse, MassBalanceAccount, Sale
from batea.registry.models import Member
from batea.standards.models import StandardVersion
from tests.conftest import POINT_IN_COLOMBIA, make_member, make_org, make_site, make_user

pytestmark = pytest.mark.django_db
TODAY = date.today()
PRICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "gold-prices" / "monthly.csv"


def version():
    return StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")


def certified(model="identity_preserved", variant=""):
    return services.ClaimInput(version(), variant, model)


def produce(world, mass="1000", fineness="800", days="400", claim=None, **extra):
    return services.produce(
        world.manager_a,
        world.org_a,
        site=world.site_a,
        mineral="gold",
        kind="dore",
        mass_g=Decimal(mass),
        fineness=Decimal(fineness),
        members={world.member_a: Decimal(days)},
        on=extra.pop("on", TODAY - timedelta(days=5)),
        claim=claim,
        **extra,
    )


def deliver(world, lot):
    services.ship(world.manager_a, lot, world.buyer, TODAY - timedelta(days=4))
    services.receive(world.buyer_user, lot, TODAY - timedelta(days=3))
    lot.refresh_from_db()
    return lot


class TestProduction:
    def test_a_produced_lot_carries_its_fine_content_origins_and_claim(self, world):
        lot = produce(world, claim=certified())
        assert lot.fine_g == Decimal("800")
        assert lot.origins.get().member == world.member_a
        assert (lot.claim_version, lot.custody_model) == (version(), "identity_preserved")
        assert not Incident.objects.exists()  # 2 g per miner-day is plausible

    @pytest.mark.parametrize(
        "field,value",
        [("mass", "0"), ("mass", "-5"), ("fineness", "0"), ("fineness", "1000.1")],
    )
    def test_bad_masses_and_fineness_are_refused_and_nothing_is_written(self, world, field, value):
        with pytest.raises(ValidationError):
            produce(world, **{field: value})
        assert not Lot.objects.exists()

    def test_a_certified_claim_needs_a_valid_certificate_and_an_allowed_model(self, world):
        other = make_org("gamma-coop", name="Gamma")
        manager = make_user("manager_c", "asmo_manager", other)
        site = make_site(other, "C-1", "Gamma pit", POINT_IN_COLOMBIA, area_ha=1)
        with pytest.raises(ValidationError, match="no valid certificate"):
            services.produce(
                manager,
                other,
                site=site,
                mineral="gold",
                kind="dore",
                mass_g=Decimal(10),
                fineness=Decimal(900),
                members={},
                on=TODAY,
                claim=certified(),
            )
        with pytest.raises(ValidationError, match="allows these chain-of-custody models"):
            produce(world, claim=certified("segregated"))
        assert not Lot.objects.exists()

    def test_only_the_organisations_people_record_its_production(self, world):
        with pytest.raises(PermissionDenied):
            services.produce(
                world.manager_b,
                world.org_a,
                site=world.site_a,
                mineral="gold",
                kind="dore",
                mass_g=Decimal(10),
                fineness=Decimal(900),
                members={},
                on=TODAY,
            )

    def test_implausible_production_raises_incidents_visible_to_the_buyer(self, world):
        lot = produce(world, mass="1000", fineness="900", days="100")  # 9 g per miner-day
        incident = Incident.objects.get(lot=lot)
        assert incident.code == "productivity_above_threshold"
        assert Incident.objects.visible_to(world.buyer_user).filter(pk=incident.pk).exists()
        assert not Incident.objects.visible_to(world.manager_b).exists()

    def test_a_sudden_spike_against_the_sites_history_is_flagged(self, world):
        for i in range(4):
            produce(world, mass="100", fineness="800", days="80", on=TODAY - timedelta(days=30 - i))
        spike = produce(world, mass="1000", fineness="800", days="250")  # 3.2 vs 1.0 g/day
        assert Incident.objects.filter(lot=spike, code="production_spike").exists()


class TestTransfers:
    def test_a_transfer_is_in_transit_until_the_receiver_confirms(self, world):
        lot = produce(world)
        services.ship(world.manager_a, lot, world.buyer, TODAY)
        lot.refresh_from_db()
        assert (lot.status, lot.organisation, lot.consignee) == (
            "in_transit",
            world.org_a,
            world.buyer,
        )
        with pytest.raises(PermissionDenied):
            services.receive(world.manager_b, lot, TODAY)
        services.receive(world.buyer_user, lot, TODAY)
        lot.refresh_from_db()
        assert (lot.status, lot.organisation, lot.consignee) == ("active", world.buyer, None)

    def test_only_the_holder_ships_and_only_once(self, world):
        lot = produce(world)
        with pytest.raises(PermissionDenied):
            services.ship(world.buyer_user, lot, world.buyer, TODAY)
        services.ship(world.manager_a, lot, world.buyer, TODAY)
        with pytest.raises(ValidationError, match="in transit"):
            services.ship(world.manager_a, lot, world.org_b, TODAY)
        assert LotUse.objects.filter(lot=lot, use="shipped").count() == 1

    def test_the_unique_key_stops_a_second_shipment_even_if_a_rule_is_bypassed(self, world):
        lot = produce(world)
        services.ship(world.manager_a, lot, world.buyer, TODAY)
        Lot.objects.filter(pk=lot.pk).update(status="active", consignee=None)  # tampered
        lot.refresh_from_db()
        with pytest.raises(ValidationError, match="changed by someone else"):
            services.ship(world.manager_a, lot, world.org_b, TODAY)


class TestProcessing:
    def test_refining_keeps_fine_content_within_the_yield_bound(self, world):
        lot = deliver(world, produce(world, claim=certified()))
        with pytest.raises(ValidationError, match="above the largest yield"):
            services.transform(world.buyer_user, [lot], [("900", "999.9")], TODAY)
        (refined,) = services.transform(world.buyer_user, [lot], [("790", "999.9")], TODAY)
        assert refined.fine_g == Decimal("789.921")
        assert refined.claim_version == version()  # the claim follows the certified input
        lot.refresh_from_db()
        assert lot.status == "consumed"
        with pytest.raises(ValidationError):
            services.split(world.buyer_user, lot, ["100"], TODAY)

    def test_a_certified_claim_on_uncertified_input_is_refused(self, world):
        good = deliver(world, produce(world, claim=certified()))
        plain = deliver(world, produce(world))
        with pytest.raises(ValidationError, match="not certified"):
            services.merge(world.buyer_user, [good, plain], TODAY, claim=certified())
        assert Lot.objects.filter(status="consumed").count() == 0

    def test_splitting_keeps_fineness_and_never_creates_mass(self, world):
        lot = deliver(world, produce(world))
        with pytest.raises(ValidationError):
            services.split(world.buyer_user, lot, ["600", "600"], TODAY)
        parts = services.split(world.buyer_user, lot, ["600", "400"], TODAY)
        assert sum(p.fine_g for p in parts) == lot.fine_g


class TestSalesAndPremiums:
    @pytest.fixture(autouse=True)
    def prices(self, db):
        services.import_prices("Date,Price\n2000-01,2000\n", source="test")

    def test_a_certified_sale_owes_the_standards_premium(self, world):
        lot = deliver(world, produce(world, mass="1250", fineness="800", claim=certified()))
        sale = services.sell(world.buyer_user, lot, world.org_b, TODAY, "2000")
        assert sale.premium_owed == Decimal("4000.00")  # 1 kg fine × USD 4,000
        assert sale.minimum_price_ok is True

    def test_a_price_below_95_percent_of_the_reference_is_flagged(self, world):
        lot = deliver(world, produce(world))
        sale = services.sell(world.buyer_user, lot, world.org_b, TODAY, "1880")
        assert sale.minimum_price_ok is False
        assert Incident.objects.filter(lot=lot, code="below_minimum_price").exists()

    def test_a_lot_is_sold_once(self, world):
        lot = deliver(world, produce(world))
        services.sell(world.buyer_user, lot, world.org_b, TODAY, "2000")
        with pytest.raises(ValidationError, match="already sold"):
            services.sell(world.buyer_user, lot, world.support, TODAY, "2000")
        assert Sale.objects.count() == 1

    def test_a_bad_price_file_changes_nothing(self, world):
        with pytest.raises(ValidationError):
            services.import_prices("Date,Price\n2001-01,2100\n2001-13,abc\n")
        assert services.reference_price("gold", date(2001, 6, 1)).on == date(2000, 1, 1)

    @pytest.mark.skipif(not PRICES.exists(), reason="the shared gold price series is absent")
    def test_the_real_monthly_series_imports(self, world):
        assert services.import_prices(PRICES.read_bytes(), source="World Bank") > 2000


class TestMassBalance:
    def test_credit_never_goes_negative(self, world):
        certified_lot = deliver(world, produce(world, mass="500", claim=certified()))
        plain = deliver(world, produce(world, mass="1500"))
        mixed = services.merge(
            world.buyer_user, [certified_lot, plain], TODAY, claim=certified("mass_balance")
        )
        account = MassBalanceAccount.objects.get(organisation=world.buyer)
        assert account.balance_g == Decimal("400")  # the certified input's fine content
        first, rest = services.split(world.buyer_user, mixed, ["500", "1500"], TODAY)
        services.sell(world.buyer_user, first, world.org_b, TODAY, "2000")
        account.refresh_from_db()
        assert account.balance_g == 0
        with pytest.raises(ValidationError, match="certified credit"):
            services.sell(world.buyer_user, rest, world.org_b, TODAY, "2000")
        rest.refresh_from_db()
        assert rest.status == "active"

    def test_reconciliation_closes_contiguous_periods_with_a_statement(self, world):
        lot = deliver(world, produce(world, mass="500", claim=certified()))
        plain = deliver(world, produce(world, mass="500"))
        services.merge(world.buyer_user, [lot, plain], TODAY, claim=certified("mass_balance"))
        account = MassBalanceAccount.objects.get(organisation=world.buyer)
        start = TODAY - timedelta(days=30)
        with pytest.raises(PermissionDenied):
            services.reconcile(world.manager_a, account, start, TODAY)
        period = services.reconcile(world.buyer_user, account, start, TODAY)
        assert Decimal(period.statement["credited"]) == Decimal(400)
        assert Decimal(period.statement["carried"]) == Decimal(400)
        with pytest.raises(ValidationError, match="day after the last one"):
            services.reconcile(
                world.buyer_user, account, TODAY + timedelta(days=2), TODAY + timedelta(days=9)
            )
        with pytest.raises(ValidationError, match="closed"):
            services.post_credit(world.buyer, "example-mini-standard", "", Decimal(1), TODAY, "x")

    def test_credit_expires_when_the_scheme_does_not_carry_it_over(self, world):
        lot = deliver(world, produce(world, mass="500", claim=certified()))
        plain = deliver(world, produce(world, mass="500"))
        services.merge(world.buyer_user, [lot, plain], TODAY, claim=certified("mass_balance"))
        account = MassBalanceAccount.objects.get(organisation=world.buyer)
        MassBalanceAccount.objects.filter(pk=account.pk).update(carry_over=False)
        period = services.reconcile(world.buyer_user, account, TODAY - timedelta(days=1), TODAY)
        account.refresh_from_db()
        assert (Decimal(period.statement["expired"]), account.balance_g) == (Decimal(400), 0)


class TestTrace:
    def test_shares_of_origins_add_up_to_the_lots_fine_content(self, world):
        second = make_member(world.org_a, "A-002", "Berta", "Bravo", primary_site=world.site_a)
        one = services.produce(
            world.manager_a,
            world.org_a,
            site=world.site_a,
            mineral="gold",
            kind="dore",
            mass_g=Decimal(600),
            fineness=Decimal(800),
            members={world.member_a: Decimal(100), second: Decimal(300)},
            on=TODAY,
        )
        two = produce(world, mass="400", fineness="900")
        one, two = deliver(world, one), deliver(world, two)
        merged = services.merge(world.buyer_user, [one, two], TODAY)
        (refined,) = services.transform(world.buyer_user, [merged], [("800", "999")], TODAY)
        traced = tracing.trace_back(refined)
        assert sum(o.fine_g for o in traced.origins) == refined.fine_g
        assert sum(o.share for o in traced.origins) == pytest.approx(Decimal(1))
        shares = {o.member.pk: o.share for o in traced.origins}
        # Lot one gave 480 of 840 fine grams, a quarter of it Alicia's (100 of 400 days).
        assert shares[second.pk] == pytest.approx(Decimal(480) / 840 * Decimal("0.75"))
        assert traced.depth == 2
        forward = tracing.trace_forward(one)
        assert [d.lot for d in forward] == [merged, refined]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_of_many_parallel_shipments_of_one_lot_exactly_one_succeeds(world):
    lot = produce(world)
    targets = [world.buyer, world.org_b, world.support, world.cb, world.standard_owner] * 2
    outcomes = []

    def attempt(target):
        try:
            services.ship(world.manager_a, Lot.objects.get(pk=lot.pk), target, TODAY)
            outcomes.append("ok")
        except (ValidationError, PermissionDenied) as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert LotUse.objects.filter(lot=lot, use="shipped").count() == 1
    assert Member.objects.exists()


def test_red_flag_areas_and_production_anomalies_raise_member_risk(world):
    from batea.custody.models import RedFlagArea
    from batea.groups.services import member_facts

    lon, lat = world.site_a.geometry["coordinates"]
    square = [
        [lon - 0.1, lat - 0.1],
        [lon + 0.1, lat - 0.1],
        [lon + 0.1, lat + 0.1],
        [lon - 0.1, lat + 0.1],
        [lon - 0.1, lat - 0.1],
    ]
    RedFlagArea.objects.create(
        owner=world.support,
        name="Fictional conflict zone",
        reason="Test",
        geometry={"type": "Polygon", "coordinates": [square]},
    )
    produce(world, mass="1000", fineness="900", days="100")  # 9 g per miner-day
    (facts,) = [f for f in member_facts(world.org_a, TODAY) if f.member == str(world.member_a.pk)]
    assert facts.in_red_flag_area and facts.production_anomaly


def test_a_lot_code_that_would_break_its_address_is_refused(world):
    with pytest.raises(ValidationError, match="letters, digits"):
        produce(world, code="RC/2026/1")
    assert not Lot.objects.exists()
