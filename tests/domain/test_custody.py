"""Chain of custody: lots and events, mass-balance credit, trace and red flags."""

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batea.domain.custody import CustodyError
from batea.domain.custody.flags import (
    Licence,
    check_licence,
    check_productivity,
    check_red_flag_areas,
    check_site_minerals,
    check_spike,
    point_in_geometry,
    point_in_polygon,
)
from batea.domain.custody.lots import (
    INHERIT,
    Claim,
    Ledger,
    Lot,
    check_lot,
    fine_balance,
    merge,
    origins,
    produce,
    receive,
    sales,
    sell,
    ship,
    split,
    transform,
)
from batea.domain.custody.massbalance import (
    Account,
    Period,
    available,
    credit_in,
    debit_out,
    reconcile,
)
from batea.domain.custody.trace import largest_remainder, trace_back, trace_forward

D = Decimal
DAY = date(2026, 3, 2)
FAIRMINED = Claim("fairmined", None, "segregated")
FAIRMINED_IP = Claim("fairmined", None, "identity_preserved")
FAIRMINED_ECO = Claim("fairmined", "ecological", "segregated")
FAIRMINED_MB = Claim("fairmined", None, "mass_balance")
FAIRTRADE = Claim("fairtrade", None, "segregated")


def dore(lot_id="a", mass="100", fineness="850", holder="coop", claim=None, **fields):
    return Lot(
        lot_id,
        fields.pop("kind", "dore"),
        fields.pop("mineral", "gold"),
        D(mass),
        D(fineness),
        holder,
        claim,
        **fields,
    )


def produced(ledger=None, lot_id="a", site="site-1", members=None, **fields):
    """A ledger holding a freshly produced lot (by default 100 g of doré at 850)."""
    ledger = Ledger() if ledger is None else ledger
    produce(ledger, dore(lot_id, **fields), site, members or {"m1": D(3), "m2": D(1)}, DAY)
    return ledger


def snapshot(ledger):
    return dict(ledger.lots), list(ledger.events), list(ledger.edges)


def refused(action, ledger, *args, match, **kwargs):
    """The action raises CustodyError with a problem matching `match` and changes nothing."""
    before = snapshot(ledger)
    with pytest.raises(CustodyError) as info:
        action(ledger, *args, **kwargs)
    assert snapshot(ledger) == before
    messages = [p.message for p in info.value.problems]
    assert any(re.search(match, m) for m in messages), messages
    return info.value


def assert_conserved(ledger):
    balance = fine_balance(ledger)
    assert balance.accounted == balance.produced
    assert all(event.loss_fine_g >= 0 for event in ledger.events)


class TestLot:
    def test_fine_content_is_mass_times_fineness_over_a_thousand(self):
        assert dore(mass="100", fineness="850").fine_g == D(85)
        assert dore(mass="31.103", fineness="999.9").fine_g == D("31.0998897")  # exact

    def test_a_sound_lot_has_no_problems_and_pure_metal_is_1000(self):
        assert check_lot(dore()) == []
        assert check_lot(dore(fineness="1000")) == []

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("mass_g", D(0), "more than zero grams; 0 is not"),
            ("mass_g", D(-5), "more than zero grams"),
            ("mass_g", D("NaN"), "more than zero grams"),
            ("mass_g", 1.5, "not an exact number"),
            ("mass_g", D("1.0005"), "more than 3 decimal places"),
            ("mass_g", D(10) ** 13, "more than any lot can weigh"),
            ("fineness", D(0), "Fineness must be more than zero"),
            ("fineness", D(-1), "Fineness must be more than zero"),
            ("fineness", D("1000.1"), "at most 1000; 1000.1 is more"),
            ("kind", "nugget", "Unknown lot kind nugget"),
            ("holder", "", "required"),
            ("claim", Claim("fairmined", None, "book_and_claim"), "Unknown chain-of-custody"),
        ],
    )
    def test_bad_fields_are_explained(self, field, value, message):
        problems = check_lot(replace(dore(mass="1", fineness="1"), **{field: value}))
        assert [p.path for p in problems] == [field if field != "claim" else "claim.model"]
        assert message in problems[0].message


class TestProduction:
    def test_a_produced_lot_is_held_by_its_producer_with_its_origin(self):
        ledger = produced()
        lot = ledger.lots["a"]
        assert (lot.holder, lot.status, lot.site, lot.produced_on) == (
            "coop",
            "active",
            "site-1",
            DAY,
        )
        assert lot.members == (("m1", D(3)), ("m2", D(1)))
        assert lot.origin_sites == {"site-1"}
        assert [e.kind for e in ledger.events] == ["produce"]

    def test_zero_mass_is_refused_and_nothing_is_written(self):
        ledger = produced()
        refused(
            produce,
            ledger,
            dore("b", mass="0"),
            "site-1",
            {"m1": D(1)},
            DAY,
            match="more than zero grams",
        )

    def test_fineness_zero_or_above_a_thousand_is_refused(self):
        ledger = Ledger()
        for fineness in ("0", "1000.5"):
            refused(
                produce, ledger, dore(fineness=fineness), "s", {"m1": D(1)}, DAY, match="Fineness"
            )

    def test_a_lot_id_is_used_once(self):
        refused(produce, produced(), dore("a"), "site-1", {"m1": D(1)}, DAY, match="already exists")

    def test_someone_must_have_produced_it(self):
        refused(produce, Ledger(), dore(), "site-1", {}, DAY, match="which members")
        refused(produce, Ledger(), dore(), "site-1", {"m1": D(0)}, DAY, match="Miner-days")
        refused(produce, Ledger(), dore(), "", {"m1": D(1)}, DAY, match="which site")


class TestTransfer:
    def test_a_transfer_is_a_handshake(self):
        ledger = produced()
        lot = ship(ledger, "a", "coop", "trader", DAY)
        assert (lot.status, lot.holder, lot.consignee) == ("in_transit", "coop", "trader")
        lot = receive(ledger, "a", "trader", DAY + timedelta(days=2))
        assert (lot.status, lot.holder, lot.consignee) == ("active", "trader", None)
        assert [e.kind for e in ledger.events] == ["produce", "ship", "receive"]

    def test_only_the_holder_can_ship(self):
        refused(ship, produced(), "a", "trader", "refiner", DAY, match="Only the holder")

    def test_the_same_lot_cannot_be_shipped_twice(self):
        ledger = produced()
        ship(ledger, "a", "coop", "trader", DAY)
        refused(ship, ledger, "a", "coop", "other-buyer", DAY, match="in transit to trader")

    def test_only_the_addressee_confirms_receipt(self):
        ledger = produced()
        ship(ledger, "a", "coop", "trader", DAY)
        refused(receive, ledger, "a", "thief", DAY, match="Only trader")
        refused(receive, ledger, "a", "coop", DAY, match="Only trader")

    def test_a_lot_not_in_transit_cannot_be_received(self):
        refused(receive, produced(), "a", "coop", DAY, match="not in transit")
        refused(receive, Ledger(), "zz", "coop", DAY, match="no lot zz")

    def test_a_lot_in_transit_cannot_be_split_or_sold(self):
        ledger = produced()
        ship(ledger, "a", "coop", "trader", DAY)
        refused(split, ledger, "a", "coop", [("a1", D(10))], match="in transit")
        refused(sell, ledger, "a", "trader", "x", DAY, match="in transit")

    def test_the_new_holder_ships_onwards_the_former_one_no_longer_can(self):
        ledger = produced()
        ship(ledger, "a", "coop", "trader", DAY)
        receive(ledger, "a", "trader", DAY)
        refused(ship, ledger, "a", "coop", "refiner", DAY, match="Only the holder")
        assert ship(ledger, "a", "trader", "refiner", DAY).consignee == "refiner"

    def test_shipping_to_oneself_is_not_a_transfer(self):
        refused(ship, produced(), "a", "coop", "coop", DAY, match="another organisation")


class TestSplit:
    def test_parts_keep_fineness_and_claim_and_the_lot_is_consumed(self):
        ledger = produced(claim=FAIRMINED)
        parts = split(ledger, "a", "coop", [("a1", D(60)), ("a2", D(40))])
        assert [(p.mass_g, p.fineness, p.claim, p.holder) for p in parts] == [
            (D(60), D(850), FAIRMINED, "coop"),
            (D(40), D(850), FAIRMINED, "coop"),
        ]
        assert ledger.lots["a"].status == "consumed"
        assert [(e.parent, e.child, e.fine_g) for e in ledger.edges] == [
            ("a", "a1", D(51)),
            ("a", "a2", D(34)),
        ]
        assert parts[0].site is None and parts[0].origin_sites == {"site-1"}

    def test_parts_may_weigh_the_whole_lot_or_less_the_rest_is_a_recorded_loss(self):
        ledger = produced()
        split(ledger, "a", "coop", [("a1", D(100))])
        assert ledger.events[-1].loss_fine_g == 0
        split(ledger, "a1", "coop", [("a2", D("99.5"))])  # a sample kept for assay
        assert ledger.events[-1].loss_fine_g == D("0.425")
        assert_conserved(ledger)

    def test_parts_cannot_weigh_more_than_the_lot(self):
        refused(
            split,
            produced(),
            "a",
            "coop",
            [("a1", D(60)), ("a2", D("40.001"))],
            match="more than the 100 g",
        )

    def test_a_lot_is_split_once(self):
        ledger = produced()
        split(ledger, "a", "coop", [("a1", D(50))])
        refused(split, ledger, "a", "coop", [("a3", D(50))], match="already split")

    def test_bad_parts_are_refused(self):
        ledger = produced()
        refused(split, ledger, "a", "coop", [], match="at least one part")
        refused(split, ledger, "a", "coop", [("a1", D(-1))], match="more than zero")
        refused(split, ledger, "a", "coop", [("a1", D(1)), ("a1", D(1))], match="same id")
        refused(split, ledger, "a", "coop", [("a", D(1))], match="already exists")
        refused(split, ledger, "a", "trader", [("a1", D(1))], match="Only the holder")


def two_lots(claim_a=None, claim_b=None, site_b="site-2", **fields_b):
    ledger = produced(claim=claim_a)
    produce(
        ledger,
        dore("b", claim=claim_b, **{"mass": "50", "fineness": "900", **fields_b}),
        site_b,
        {"m3": D(2)},
        DAY,
    )
    return ledger


def merging(claim, lot_ids=("a", "b"), by="coop"):
    """Merging lots a and b into ab with `claim`, as an action for `refused`."""
    return lambda ledger: merge(ledger, list(lot_ids), by, "ab", claim)


class TestMerge:
    def test_masses_add_up_and_the_fineness_is_the_weighted_mean(self):
        ledger = two_lots()
        lot = merge(ledger, ["a", "b"], "coop", "ab", None)
        assert lot.mass_g == D(150)
        assert lot.fineness == D("866.666666")  # 866.666… rounded down
        assert lot.fine_g == D("129.9999999")  # of 85 g + 45 g: the rest is a recorded loss
        assert ledger.events[-1].loss_fine_g == D("0.0000001")
        assert lot.origin_sites == {"site-1", "site-2"}
        assert {e.parent: e.fine_g for e in ledger.edges} == {"a": D(85), "b": D(45)}
        assert ledger.lots["a"].status == ledger.lots["b"].status == "consumed"

    def test_rounding_the_fineness_down_never_creates_fine_content(self):
        ledger = produced(mass="1", fineness="1000")
        produce(ledger, dore("b", mass="2", fineness="999"), "site-1", {"m1": D(1)}, DAY)
        lot = merge(ledger, ["a", "b"], "coop", "ab", None)
        assert lot.fineness == D("999.333333")
        assert ledger.events[-1].loss_fine_g == D("0.000000001")
        assert_conserved(ledger)

    def test_inputs_must_be_one_mineral_held_by_the_merger(self):
        refused(merging(None), two_lots(mineral="silver"), match="different minerals")
        refused(merging(None, by="trader"), two_lots(), match="Only the holder")
        refused(merging(None, ["a"]), two_lots(), match="at least two lots")
        refused(merging(None, ["a", "a"]), two_lots(), match="listed twice")
        refused(merging(None), two_lots(kind="ore"), match="kind")

    def test_a_segregated_certified_output_needs_only_certified_inputs(self):
        ledger = two_lots(FAIRMINED, None)
        refused(merging(FAIRMINED), ledger, match="Lot b is not certified")

    def test_a_segregated_output_needs_inputs_under_the_same_standard_and_segregated(self):
        refused(merging(FAIRMINED), two_lots(FAIRMINED, FAIRTRADE), match="claimed fairtrade")
        refused(merging(FAIRMINED), two_lots(FAIRMINED, FAIRMINED_MB), match="mass_balance")
        lot = merge(two_lots(FAIRMINED, FAIRMINED_IP), ["a", "b"], "coop", "ab", FAIRMINED)
        assert lot.claim == FAIRMINED

    def test_a_variant_may_be_sold_under_its_standard_never_the_reverse(self):
        lot = merge(two_lots(FAIRMINED_ECO, FAIRMINED_ECO), ["a", "b"], "coop", "ab", FAIRMINED)
        assert lot.claim == FAIRMINED
        refused(
            merging(FAIRMINED_ECO),
            two_lots(FAIRMINED_ECO, FAIRMINED),
            match="Lot b is claimed fairmined",
        )

    def test_identity_preserved_only_from_one_single_site(self):
        refused(
            merging(FAIRMINED_IP),
            two_lots(FAIRMINED_IP, FAIRMINED_IP),
            match="one single site; these inputs come from site-1, site-2",
        )
        ledger = two_lots(FAIRMINED_IP, FAIRMINED_IP, site_b="site-1")
        assert merge(ledger, ["a", "b"], "coop", "ab", FAIRMINED_IP).claim == FAIRMINED_IP
        refused(
            merging(FAIRMINED_IP),
            two_lots(FAIRMINED_IP, FAIRMINED, site_b="site-1"),
            match="Lot b is claimed",
        )

    def test_mass_balance_may_mix_and_dropping_a_claim_is_always_allowed(self):
        assert merge(two_lots(FAIRMINED), ["a", "b"], "coop", "ab", FAIRMINED_MB).claim
        assert merge(two_lots(FAIRMINED, FAIRMINED), ["a", "b"], "coop", "ab", None).claim is None

    def test_inherit_keeps_a_common_claim_and_never_drops_one_silently(self):
        assert merging(INHERIT)(two_lots(FAIRMINED, FAIRMINED)).claim == FAIRMINED
        refused(merging(INHERIT), two_lots(FAIRMINED, None), match="different claims")


def refining(outputs, lot_ids=("a",), **options):
    """Transforming `lot_ids` into `outputs`, as an action for `refused`."""
    return lambda ledger: transform(ledger, list(lot_ids), "coop", outputs, **options)


class TestTransform:
    def test_refining_consumes_the_inputs_and_records_the_loss(self):
        ledger = produced(claim=FAIRMINED)  # 85 g fine
        (bar,) = transform(
            ledger,
            ["a"],
            "coop",
            [("bar", D("84.9"), D("999.9"))],
            yield_bounds=(D("0.95"), D("1")),
        )
        assert (bar.kind, bar.fine_g, bar.claim) == ("fine_gold", D("84.89151"), FAIRMINED)
        assert ledger.lots["a"].status == "consumed"
        assert ledger.events[-1].loss_fine_g == D("0.10849")
        assert_conserved(ledger)

    def test_fine_content_cannot_be_created(self):
        refused(
            refining([("bar", D("85.1"), D(1000))]),
            produced(),
            match="above the largest yield allowed, 1",
        )

    def test_yield_outside_the_standards_bounds_is_refused(self):
        bounds = (D("0.97"), D("0.995"))
        refused(
            refining([("bar", D(85), D(1000))], yield_bounds=bounds),
            produced(),
            match="above the largest yield allowed, 0.995",
        )
        refused(
            refining([("bar", D(80), D(1000))], yield_bounds=bounds),
            produced(),
            match="below the smallest yield allowed, 0.97",
        )

    def test_bounds_above_one_would_create_fine_content(self):
        refused(
            refining([("bar", D(80), D(1000))], yield_bounds=(D(0), D("1.1"))),
            produced(),
            match="Yield bounds",
        )

    def test_each_output_takes_from_each_input_in_proportion_exactly(self):
        ledger = two_lots()  # 85 g and 45 g fine
        transform(ledger, ["a", "b"], "coop", [("g1", D(90), D(999)), ("g2", D(30), D(999))])
        assert {(e.parent, e.child): e.fine_g for e in ledger.edges} == {
            ("a", "g1"): D("63.75"),
            ("a", "g2"): D("21.25"),
            ("b", "g1"): D("33.75"),
            ("b", "g2"): D("11.25"),
        }
        ledger = two_lots()  # thirds do not divide evenly, yet every gram is accounted for
        transform(ledger, ["a", "b"], "coop", [("g1", D(80), D(999)), ("g2", D(40), D(999))])
        assert sum(e.fine_g for e in ledger.edges if e.parent == "a") == D(85)
        assert sum(e.fine_g for e in ledger.edges if e.parent == "b") == D(45)
        assert_conserved(ledger)

    def test_the_claim_follows_the_rules_of_a_merge(self):
        refused(
            refining([("bar", D(100), D(999))], lot_ids=["a", "b"], claim=FAIRMINED),
            two_lots(FAIRMINED, None),
            match="Lot b is not certified",
        )
        refused(
            refining([("bar", D(100), D(999))], lot_ids=["a", "b"]),
            two_lots(FAIRMINED, None),
            match="different claims",
        )

    def test_bad_inputs_and_outputs_are_refused(self):
        refused(refining([("bar", D(1), D(999))], lot_ids=[]), produced(), match="one lot")
        refused(refining([]), produced(), match="at least one output")
        refused(refining([("bar", D(1), D(0))]), produced(), match="Fineness")
        refused(
            refining([("bar", D(1), D(999))], kind="ingot"), produced(), match="Unknown lot kind"
        )


class TestSale:
    def test_a_sale_is_final(self):
        ledger = produced()
        lot = sell(ledger, "a", "coop", "refiner", DAY)
        assert (lot.status, lot.consignee) == ("sold", "refiner")
        assert sales(ledger) == {"a": "refiner"}
        refused(sell, ledger, "a", "coop", "refiner2", DAY, match="already sold to refiner")
        refused(ship, ledger, "a", "coop", "trader", DAY, match="already sold")
        refused(merge, ledger, ["a", "a2"], "coop", "x", None, match="no lot a2")

    def test_only_the_holder_sells(self):
        refused(sell, produced(), "a", "trader", "refiner", DAY, match="Only the holder")


def test_a_whole_chain_conserves_fine_gold():
    ledger = two_lots(FAIRMINED, FAIRMINED)
    merge(ledger, ["a", "b"], "coop", "ab", INHERIT)
    split(ledger, "ab", "coop", [("x", D(100)), ("y", D(49))])
    ship(ledger, "x", "coop", "refiner", DAY)
    receive(ledger, "x", "refiner", DAY)
    transform(ledger, ["x"], "refiner", [("bar", D("86.5"), D("999.9"))])
    sell(ledger, "bar", "refiner", "jeweller", DAY)
    ship(ledger, "y", "coop", "refiner", DAY)
    balance = fine_balance(ledger)
    assert balance.produced == D(130)
    assert (balance.sold, balance.in_transit) == (D("86.49135"), ledger.lots["y"].fine_g)
    assert balance.accounted == balance.produced


class TestMassBalance:
    def account(self, **fields):
        return Account("coop", "fairmined", **fields)

    def test_credit_in_and_debit_out(self):
        account = self.account()
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        debit_out(account, date(2026, 1, 20), D(60), "sale-1")
        assert available(account) == D(40)
        assert available(account, date(2026, 1, 15)) == D(40)  # a debit then lowers Jan 20
        assert [(e.kind, e.reference) for e in account.entries] == [
            ("in", "lot-1"),
            ("out", "sale-1"),
        ]

    def test_a_debit_beyond_the_credit_is_refused(self):
        account = self.account()
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        with pytest.raises(CustodyError, match="credit can never be negative"):
            debit_out(account, date(2026, 1, 20), D("100.001"), "sale-1")
        assert len(account.entries) == 1

    def test_a_debit_cannot_be_backdated_before_the_credit_that_covers_it(self):
        account = self.account()
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        with pytest.raises(CustodyError, match="credit of -50 g on 2026-01-05"):
            debit_out(account, date(2026, 1, 5), D(50), "sale-1")

    def test_reconciliation_carries_the_credit_over(self):
        account = self.account()
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        debit_out(account, date(2026, 2, 1), D(30), "sale-1")
        credit_in(account, date(2026, 4, 2), D(5), "lot-2")  # next period, stays open
        statement = reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))
        assert (statement.opening, statement.credited, statement.debited) == (0, 100, 30)
        assert (statement.closing, statement.carried, statement.expired) == (70, 70, 0)
        assert available(account) == D(75)
        second = reconcile(account, Period(date(2026, 4, 1), date(2026, 6, 30)))
        assert (second.opening, second.closing) == (70, 75)

    def test_without_carry_over_the_credit_expires(self):
        account = self.account(carry_over=False)
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        statement = reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))
        assert (statement.closing, statement.carried, statement.expired) == (100, 0, 100)
        with pytest.raises(CustodyError, match="never be negative"):
            debit_out(account, date(2026, 4, 1), D(1), "sale-1")

    def test_expiry_cannot_strand_debits_already_posted(self):
        account = self.account(carry_over=False)
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        debit_out(account, date(2026, 4, 10), D(50), "sale-1")
        with pytest.raises(CustodyError, match="debits on 2026-04-10 already use"):
            reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))
        assert account.statements == []

    def test_entries_in_a_closed_period_are_refused(self):
        account = self.account()
        credit_in(account, date(2026, 1, 10), D(100), "lot-1")
        reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))
        with pytest.raises(CustodyError, match="already closed"):
            credit_in(account, date(2026, 3, 31), D(1), "lot-2")
        with pytest.raises(CustodyError, match="already closed"):
            debit_out(account, date(2026, 2, 1), D(1), "sale-1")
        credit_in(account, date(2026, 4, 1), D(1), "lot-2")

    def test_periods_are_contiguous_without_gap_or_overlap(self):
        account = self.account()
        reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))
        for start in (date(2026, 4, 2), date(2026, 3, 31)):
            with pytest.raises(CustodyError, match="must start on 2026-04-01"):
                reconcile(account, Period(start, date(2026, 6, 30)))
        with pytest.raises(CustodyError, match="ends .* before it starts"):
            reconcile(account, Period(date(2026, 4, 1), date(2026, 3, 1)))

    def test_a_first_period_cannot_leave_earlier_entries_out(self):
        account = self.account()
        credit_in(account, date(2025, 12, 20), D(10), "lot-1")
        with pytest.raises(CustodyError, match="before 2026-01-01"):
            reconcile(account, Period(date(2026, 1, 1), date(2026, 3, 31)))

    def test_bad_entries_are_refused(self):
        account = self.account()
        credit_in(account, DAY, D(10), "lot-1")
        for amount, message in (
            (D(0), "more than zero"),
            (D(-1), "more than zero"),
            (1.5, "exact number"),
        ):
            with pytest.raises(CustodyError, match=message):
                credit_in(account, DAY, amount, "lot-2")
        with pytest.raises(CustodyError, match="already recorded"):
            credit_in(account, DAY, D(10), "lot-1")
        with pytest.raises(CustodyError, match="reference"):
            credit_in(account, DAY, D(10), "")
        assert len(account.entries) == 1


class TestTrace:
    def test_a_produced_lot_belongs_to_its_members_by_miner_days(self):
        ledger = produced()  # m1 3 days, m2 1 day, 85 g fine
        trace = trace_back("a", ledger.edges, origins(ledger), ledger.lots["a"].fine_g)
        assert [(o.site, o.member, o.share, o.fine_g) for o in trace.origins] == [
            ("site-1", "m1", Fraction(3, 4), D("63.75")),
            ("site-1", "m2", Fraction(1, 4), D("21.25")),
        ]
        assert trace.depth == 0

    def test_through_merge_split_and_refining(self):
        ledger = two_lots()  # a: 85 g fine from site-1, b: 45 g from site-2
        merge(ledger, ["a", "b"], "coop", "ab", None)
        split(ledger, "ab", "coop", [("x", D(90)), ("y", D(60))])
        (bar,) = transform(ledger, ["x"], "coop", [("bar", D(75), D(999))])
        trace = trace_back("bar", ledger.edges, origins(ledger), bar.fine_g)
        shares = {(o.site, o.member): o.share for o in trace.origins}
        assert shares == {
            ("site-1", "m1"): Fraction(85, 130) * Fraction(3, 4),
            ("site-1", "m2"): Fraction(85, 130) * Fraction(1, 4),
            ("site-2", "m3"): Fraction(45, 130),
        }
        assert sum(o.fine_g for o in trace.origins) == bar.fine_g == D("74.925")
        assert trace.depth == 3

    def test_a_diamond_counts_each_origin_once(self):
        edges = [("a", "b", 30), ("a", "c", 70), ("b", "d", 30), ("c", "d", 70)]
        trace = trace_back("d", edges, {"a": [("s", "m", 1)]})
        assert [(o.share, o.fine_g, o.depth) for o in trace.origins] == [(1, D(100), 2)]

    def test_a_lot_of_unknown_origin_stays_visible(self):
        trace = trace_back("c", [("a", "c", D(1)), ("b", "c", D(3))], {"a": [("s", "m", 1)]})
        assert {(o.site, o.share) for o in trace.origins} == {
            ("s", Fraction(1, 4)),
            (None, Fraction(3, 4)),
        }

    def test_a_cycle_is_an_error(self):
        with pytest.raises(CustodyError, match=r"cycle \((b → c → b|c → b → c)\)"):
            trace_back("d", [("a", "b", 1), ("b", "c", 1), ("c", "b", 1), ("c", "d", 1)], {})
        with pytest.raises(CustodyError, match="cycle"):
            trace_forward("a", [("a", "b", 1), ("b", "a", 1)])

    def test_unknown_lots_and_missing_fine_content_are_errors(self):
        with pytest.raises(CustodyError, match="no lot zz"):
            trace_back("zz", [], {})
        with pytest.raises(CustodyError, match="Give the fine content"):
            trace_back("a", [], {"a": [("s", "m", 1)]})

    def test_a_long_chain_does_not_exhaust_the_stack(self):
        edges = [(f"l{i}", f"l{i + 1}", 1) for i in range(5_000)]
        trace = trace_back("l5000", edges, {"l0": [("s", "m", 1)]})
        assert trace.depth == 5_000
        assert len(trace_forward("l0", edges).descendants) == 5_000

    def test_a_wide_dag_is_traced_without_walking_every_path(self):
        # 60 tiers of two lots, each made from both lots of the tier before: 2^60 paths.
        edges = [(f"{t}{p}", f"{t + 1}{c}", 1) for t in range(60) for p in "ab" for c in "ab"]
        origins_ = {"0a": [("s1", "m1", 1)], "0b": [("s2", "m2", 3)]}
        trace = trace_back("60a", edges, origins_)
        assert [o.share for o in trace.origins] == [Fraction(1, 2), Fraction(1, 2)]
        assert trace.depth == 60

    def test_forward_to_where_it_went(self):
        ledger = two_lots()
        merge(ledger, ["a", "b"], "coop", "ab", None)
        split(ledger, "ab", "coop", [("x", D(100)), ("y", D(50))])
        sell(ledger, "x", "coop", "refiner", DAY)
        forward = trace_forward("a", ledger.edges, sales(ledger))
        assert [(d.lot, d.share, d.depth) for d in forward.descendants][0] == (
            "ab",
            Fraction(85, 130),
            1,
        )
        assert {d.lot for d in forward.descendants} == {"ab", "x", "y"}
        assert [(d.lot, d.sold_to) for d in forward.sales] == [("x", "refiner")]
        assert {d.lot for d in forward.descendants if d.final} == {"x", "y"}

    def test_largest_remainder_splits_exactly(self):
        assert largest_remainder(D(1), [1, 1, 1], places=2) == [D("0.34"), D("0.33"), D("0.33")]
        assert largest_remainder(D(1), [1, 2]) == [D("0.333333"), D("0.666667")]
        assert largest_remainder(D(10), [Fraction(1, 3), Fraction(2, 3)], places=0) == [3, 7]


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],  # a hole
    ],
}


class TestFlags:
    def test_production_per_miner_day_above_the_threshold(self):
        assert check_productivity(D(40), D(10)) == []  # 4 g per miner-day: at the limit
        (flag,) = check_productivity(D("40.1"), D(10))
        assert (flag.code, flag.severity) == ("productivity_above_threshold", "high")
        assert "4.01 g per miner-day is above the 4 g" in flag.problem.message
        assert check_productivity(D(60), D(10), max_g_per_miner_day=D(6)) == []
        assert check_productivity(D(1), D(0))[0].code == "no_miner_days"

    def test_a_sudden_spike_against_the_sites_own_history(self):
        history = [D(1), D("1.2"), D("0.8"), D(1), D(5), D("1.1")]  # median 1.05
        assert check_spike(D("3.15"), history) == []
        (flag,) = check_spike(D("3.16"), history)
        assert flag.code == "production_spike"
        assert "median of 1.05 g over its last 6" in flag.problem.message
        assert check_spike(D(2), history, factor=D(1.5))  # k is a parameter
        older_and_lower = [D("0.1")] * 6 + [D(1)] * 6
        assert check_spike(D(2), older_and_lower) == []  # only the last N = 6 count
        assert check_spike(D(2), older_and_lower, window=12) != []

    def test_no_spike_without_enough_history(self):
        assert check_spike(D(100), [D(1), D(1)]) == []
        assert check_spike(D(100), [D(1), D(1)], min_history=2) != []

    def test_origin_in_a_red_flag_area(self):
        areas = {
            "conflict-zone": SQUARE,
            "elsewhere": {
                "type": "Feature",
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[[[20, 20], [21, 20], [21, 21], [20, 20]]]],
                },
            },
        }
        assert [f.problem.params["area"] for f in check_red_flag_areas((1, 1), areas)] == [
            "conflict-zone"
        ]
        assert check_red_flag_areas((5, 5), areas) == []  # in the hole
        assert check_red_flag_areas((15, 5), areas) == []
        assert check_red_flag_areas({"type": "Point", "coordinates": [20.9, 20.5]}, areas)
        site = {"type": "Polygon", "coordinates": [[[9, 9], [12, 9], [12, 12], [9, 9]]]}
        assert len(check_red_flag_areas(site, areas)) == 1  # one corner inside

    def test_point_in_polygon_with_holes_and_boundaries(self):
        polygon = SQUARE["coordinates"]
        assert point_in_polygon((1, 1), polygon)
        assert point_in_polygon((0, 5), polygon)  # on the boundary: inside
        assert point_in_polygon((4, 5), polygon)  # on the hole's boundary: still inside
        assert not point_in_polygon((5, 5), polygon)
        assert not point_in_polygon((10.01, 5), polygon)
        assert point_in_geometry((1, 1), {"type": "Feature", "geometry": SQUARE})

    def test_a_malformed_area_is_an_error(self):
        with pytest.raises(CustodyError, match="closed"):
            check_red_flag_areas((1, 1), {"x": {"type": "Polygon", "coordinates": [[[0, 0]]]}})
        with pytest.raises(CustodyError, match="polygon"):
            check_red_flag_areas((1, 1), {"x": {"type": "Point", "coordinates": [0, 0]}})

    def test_seller_without_a_valid_licence(self):
        licences = [Licence(date(2025, 1, 1), date(2025, 12, 31), frozenset({"gold"}))]
        assert check_licence("trader", "gold", date(2025, 6, 1), licences) == []
        (flag,) = check_licence("trader", "gold", date(2026, 1, 1), licences)
        assert flag.problem.message == "trader holds no licence valid on 2026-01-01."
        (flag,) = check_licence("trader", "tin", date(2025, 6, 1), licences)
        assert "not for tin" in flag.problem.message
        assert check_licence("trader", "gold", DAY, [Licence(None, None)]) == []  # any mineral
        assert check_licence("trader", "gold", DAY, [])[0].code == "no_valid_licence"

    def test_claimed_mineral_not_among_the_sites(self):
        assert check_site_minerals("gold", "site-1", ["gold", "silver"]) == []
        (flag,) = check_site_minerals("tin", "site-1", ["gold"])
        assert (flag.code, flag.problem.params["minerals"]) == ("mineral_not_at_site", "gold")


# Properties -----------------------------------------------------------------------------

ORGS = ("coop", "trader", "refiner")
CLAIMS = (None, FAIRMINED, FAIRMINED_IP, FAIRMINED_ECO, FAIRMINED_MB)
masses = st.decimals(min_value=D("0.001"), max_value=D(5000), places=3)
finenesses = st.decimals(min_value=D("0.000001"), max_value=D(1000), places=6)


def random_step(data, ledger, n):
    """One random event: mostly a plausible one (the holder acting on an active lot), else
    anything at all, which must be refused harmlessly."""
    op = data.draw(
        st.sampled_from(["produce", "ship", "receive", "split", "merge", "transform", "sell"])
    )
    plausible = data.draw(st.sampled_from([True, True, True, False]))
    wanted = "in_transit" if op == "receive" else "active"
    pool = [i for i, lot in sorted(ledger.lots.items()) if lot.status == wanted or not plausible]
    if plausible and not pool:
        op = "produce"  # nothing to act on yet
    if plausible and op == "merge":  # lots that can meet: same holder, same mineral
        key = {i: (ledger.lots[i].holder, ledger.lots[i].mineral) for i in pool}
        pool = [i for i in pool if sum(k == key[i] for k in key.values()) > 1] or pool
    lot_id = data.draw(st.sampled_from(pool or ["nope"]))
    lot = ledger.lots.get(lot_id)
    org = data.draw(st.sampled_from(ORGS))
    if plausible and lot is not None:
        org = lot.consignee if op == "receive" else lot.holder
    if op == "produce":
        kind = data.draw(st.sampled_from(["ore", "dore"]))
        mineral = data.draw(st.sampled_from(["gold", "gold", "tin"]))
        claim = data.draw(st.sampled_from(CLAIMS))
        producer = data.draw(st.sampled_from(["coop", "coop", "coop", org]))  # so lots meet
        new = Lot(f"p{n}", kind, mineral, data.draw(masses), data.draw(finenesses), producer, claim)
        members = {"m1": data.draw(st.integers(1, 30)), "m2": D("0.5")}
        produce(ledger, new, data.draw(st.sampled_from(["s1", "s2"])), members, DAY)
    elif op == "ship":
        ship(ledger, lot_id, org, data.draw(st.sampled_from(ORGS)), DAY)
    elif op == "receive":
        receive(ledger, lot_id, org, DAY)
    elif op == "sell":
        sell(ledger, lot_id, org, "jeweller", DAY)
    elif op == "split":
        mass = lot.mass_g if lot else D(1)
        shares = data.draw(st.lists(st.integers(1, 60), min_size=1, max_size=3))
        parts = [
            (f"s{n}.{i}", max(mass * k / 100, D(1)).quantize(D("0.001")))
            for i, k in enumerate(shares)
        ]
        split(ledger, lot_id, org, parts)
    else:
        mates = [i for i in pool if i != lot_id and ledger.lots[i].holder == org]
        at_least = 1 if op == "merge" and plausible and mates else 0
        others = data.draw(
            st.lists(
                st.sampled_from(mates or ["nope"]),
                min_size=at_least,
                max_size=2 if mates else 0,
                unique=True,
            )
        )
        chosen = [lot_id, *others]
        claim = data.draw(st.sampled_from((*CLAIMS, INHERIT)))
        if op == "merge":
            merge(ledger, chosen, org, f"m{n}", claim, kind="other")
            return
        fine_in = sum((ledger.lots[i].fine_g for i in chosen if i in ledger.lots), D(0))
        ratio = data.draw(st.decimals(min_value=D("0.5"), max_value=D("1.02"), places=3))
        fineness = data.draw(st.decimals(min_value=D(500), max_value=D(1000), places=1))
        mass = (fine_in * ratio * 1000 / fineness).quantize(D("0.001"))
        transform(ledger, chosen, org, [(f"t{n}", max(mass, D("0.001")), fineness)], claim=claim)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_event_sequences_never_break_conservation(data):
    ledger = Ledger()
    for n in range(data.draw(st.integers(1, 30))):
        before = snapshot(ledger)
        try:
            random_step(data, ledger, n)
        except CustodyError:
            assert snapshot(ledger) == before  # a refused event changes nothing
        assert_conserved(ledger)
    # Each lot is consumed or sold by at most one event.
    consumed = [i for e in ledger.events if e.kind not in ("ship", "receive") for i in e.inputs]
    assert len(consumed) == len(set(consumed))
    # Every lot traces back to shares summing to 1 and grams summing to its fine content.
    for lot in ledger.lots.values():
        trace = trace_back(lot.id, ledger.edges, origins(ledger), lot.fine_g)
        assert sum(o.share for o in trace.origins) == 1
        assert sum(o.fine_g for o in trace.origins) == lot.fine_g
        assert all(o.site is not None for o in trace.origins)


@st.composite
def dags(draw):
    """A random DAG: lot i may be made from any lots before it."""
    size = draw(st.integers(2, 25))
    edges = []
    for child in range(1, size):
        for parent in draw(st.sets(st.integers(0, child - 1), max_size=3)):
            edges.append((f"l{parent}", f"l{child}", draw(masses)))
    sources = {f"l{i}" for i in range(size)} - {child for _, child, _ in edges}
    origins_ = {
        lot: draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["s1", "s2"]), st.sampled_from(["m1", "m2"]), st.integers(0, 9)
                ),
                max_size=3,
            )
        )
        for lot in sources
    }
    return size, edges, origins_


@settings(max_examples=80, deadline=None)
@given(dags(), masses)
def test_trace_shares_sum_to_one_and_grams_to_the_fine_content(dag, fine_g):
    size, edges, origins_ = dag
    for i in range(size):
        if (lot := f"l{i}") in origins_ or any(child == lot for _, child, _ in edges):
            trace = trace_back(lot, edges, origins_, fine_g)
            assert sum(o.share for o in trace.origins) == 1
            assert sum(o.fine_g for o in trace.origins) == fine_g
            assert all(o.share > 0 for o in trace.origins)
    forward = trace_forward("l0", edges)
    assert all(0 <= d.share <= 1 for d in forward.descendants)


@settings(max_examples=60, deadline=None)
@given(
    st.booleans(),
    st.lists(
        st.tuples(
            st.sampled_from(["in", "out", "reconcile"]),
            st.integers(0, 40),
            st.decimals(min_value=D("0.001"), max_value=D(100), places=3),
        ),
        max_size=40,
    ),
)
def test_credit_is_never_negative(carry_over, steps):
    account = Account("coop", "fairmined", carry_over=carry_over)
    start = date(2026, 1, 1)
    posted = 0
    for n, (op, offset, amount) in enumerate(steps):
        day = start + timedelta(days=offset)
        try:
            if op == "reconcile":
                begin = account.closed_until + timedelta(days=1) if account.statements else start
                reconcile(account, Period(begin, max(begin, day)))
            else:
                (credit_in if op == "in" else debit_out)(account, day, amount, f"ref{n}")
                posted += 1
        except CustodyError:
            pass
        assert len(account.entries) == posted  # every accepted entry is kept
        assert available(account, start) >= 0  # the lowest balance of any open day
        for statement in account.statements:
            assert statement.closing == statement.opening + statement.credited - statement.debited
            assert statement.closing >= 0 and statement.carried + statement.expired == (
                statement.closing
            )
    for earlier, later in zip(account.statements, account.statements[1:], strict=False):
        assert later.period.start == earlier.period.end + timedelta(days=1)
        assert later.opening == earlier.carried
