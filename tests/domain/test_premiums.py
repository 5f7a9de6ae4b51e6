"""Reference prices, the minimum-price check, premiums owed and the premium fund."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from batea.domain.custody import fund as ledger
from batea.domain.custody.fund import Fund, FundError, Project
from batea.domain.custody.premiums import (
    BASE_PREMIUM,
    NO_PREMIUM,
    VARIANT_PREMIUM,
    Sale,
    minimum_price_check,
    premium_owed,
)
from batea.domain.custody.prices import (
    TROY_OUNCE_G,
    PriceError,
    PricePoint,
    parse_prices,
    reference_price,
    usd_per_g,
    usd_per_kg,
    usd_per_troy_oz,
)

MONTHLY = Path(__file__).resolve().parents[2].parent / "shared/data/gold-prices/monthly.csv"
D = Decimal
DAY = date(2024, 3, 15)
REFERENCE = D(2000)  # USD per troy ounce

# The `prices` sections of the shipped Fairmined- and Fairtrade-style catalogues.
FAIRMINED = {
    "minimum_price": {"reference": "lbma_gold", "percent": 95, "basis": "sourced"},
    "premiums": [
        {"id": "base", "metal": "gold", "rule": "per_kg_fine", "amount": 4000, "currency": "USD"},
        {
            "id": "ecological",
            "variant": "ecological",
            "metal": "gold",
            "rule": "per_kg_fine",
            "amount": 6000,
            "currency": "USD",
        },
    ],
}
FAIRTRADE = {
    "minimum_price": {"reference": "lbma_gold", "percent": 95, "basis": "sourced"},
    "premiums": [
        {"id": "gold", "metal": "gold", "rule": "per_kg_fine", "amount": 2000, "currency": "USD"},
        {
            "id": "gold-ecological",
            "variant": "ecological",
            "metal": "gold",
            "rule": "percent_of_price",
            "amount": 15,
        },
        {"id": "silver", "metal": "silver", "rule": "percent_of_price", "amount": 10},
    ],
}


def sale(fine_g="1000", price=REFERENCE, metal="gold", variant=None) -> Sale:
    return Sale(metal, D(fine_g), D(price), DAY, variant)


class TestPriceFile:
    def test_the_real_monthly_series_reads_sorted_and_complete(self):
        if not MONTHLY.exists():
            pytest.skip(f"{MONTHLY} is not there (shared data folder missing)")
        points = parse_prices(MONTHLY.read_text())
        assert points[0] == PricePoint(date(1833, 1, 1), D("18.930"))
        assert points == sorted(points)
        assert len(points) == len(MONTHLY.read_text().split()) - 1

    def test_months_and_days_both_read_and_come_out_sorted(self):
        points = parse_prices("Date,Price\n2024-02-10,2050.5\n2024-01,2030\n")
        assert points == [
            PricePoint(date(2024, 1, 1), D(2030)),
            PricePoint(date(2024, 2, 10), D("2050.5")),
        ]

    def test_a_spreadsheet_bom_blank_lines_and_extra_columns_are_fine(self):
        text = '\ufeffPrice,Date,Note\n1.5,"2024-01",x\n\n'
        assert parse_prices(text) == [PricePoint(date(2024, 1, 1), D("1.5"))]

    def test_every_bad_row_is_reported_with_line_column_and_value(self):
        text = (
            "Date,Price\n"
            "2024-01,2000\n"
            "2024-13,2000\n"  # no month 13
            "2024-02,abc\n"
            "2024-03,0\n"
            "2024-04,-5\n"
            "2024-01-01,2100\n"  # same day as 2024-01
            "2024/05,NaN\n"
        )
        with pytest.raises(PriceError) as caught:
            parse_prices(text, source="prices.csv")
        found = [(p.line, p.path, p.params["value"]) for p in caught.value.problems]
        assert found == [
            (3, "Date", "2024-13"),
            (4, "Price", "abc"),
            (5, "Price", "0"),
            (6, "Price", "-5"),
            (7, "Date", "2024-01-01"),
            (8, "Date", "2024/05"),
            (8, "Price", "NaN"),
        ]
        assert str(caught.value.problems[0]).startswith("prices.csv:3: Date:")
        assert "line 2" in caught.value.problems[4].message

    @pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
    def test_an_empty_file_is_refused(self, text):
        with pytest.raises(PriceError, match="empty"):
            parse_prices(text)

    def test_a_file_without_the_header_is_refused(self):
        with pytest.raises(PriceError, match="header") as caught:
            parse_prices("2024-01,2000\n2024-02,2100\n")
        assert caught.value.problems[0].line == 1

    def test_a_missing_price_cell_is_reported(self):
        with pytest.raises(PriceError) as caught:
            parse_prices("Date,Price\n2024-01\n")
        assert [(p.line, p.path, p.params["value"]) for p in caught.value.problems] == [
            (2, "Price", "")
        ]


class TestReferencePrice:
    POINTS = [PricePoint(date(2024, 1, 1), D(2030)), PricePoint(date(2024, 2, 1), D(2050))]

    @pytest.mark.parametrize(
        ("on", "expected"),
        [
            (date(2024, 1, 1), D(2030)),
            (date(2024, 1, 31), D(2030)),
            (date(2024, 2, 1), D(2050)),
            (date(2030, 1, 1), D(2050)),  # the latest known
        ],
    )
    def test_the_latest_point_on_or_before_the_day(self, on, expected):
        assert reference_price(self.POINTS, on).usd_per_troy_oz == expected

    def test_nothing_before_the_series_starts(self):
        assert reference_price(self.POINTS, date(2023, 12, 31)) is None
        assert reference_price([], DAY) is None

    def test_conversions(self):
        assert usd_per_g(TROY_OUNCE_G) == 1
        assert usd_per_kg(TROY_OUNCE_G) == 1000
        assert usd_per_troy_oz(D(1)) == D("31.1034768")
        assert usd_per_troy_oz(usd_per_g(D(2000))) == D(2000)


class TestMinimumPrice:
    def test_94_percent_of_the_reference_is_flagged(self):
        check = minimum_price_check(FAIRMINED, sale(price=REFERENCE * D("0.94")), REFERENCE)
        assert not check.ok
        assert check.floor_usd_per_troy_oz == D(1900)
        assert check.shortfall_usd_per_troy_oz == D(20)
        # 20 USD/oz short over 1 kg fine: 20 × 1000 / 31.1034768
        assert check.shortfall_usd == D("643.01")

    def test_95_percent_passes(self):
        check = minimum_price_check(FAIRMINED, sale(price=REFERENCE * D("0.95")), REFERENCE)
        assert (check.ok, check.shortfall_usd_per_troy_oz, check.shortfall_usd) == (
            True,
            0,
            0,
        )
        assert (check.percent, check.from_standard) == (95, True)

    def test_the_default_is_95_percent_when_the_standard_has_none(self):
        for prices in (None, {}, {"premiums": []}):
            check = minimum_price_check(prices, sale(price="1899.99"), REFERENCE)
            assert (check.percent, check.from_standard, check.ok) == (95, False, False)

    def test_a_standard_may_set_its_own_share(self):
        prices = {"minimum_price": {"reference": "lbma_gold", "percent": 90, "basis": "inferred"}}
        assert minimum_price_check(prices, sale(price=1800), REFERENCE).ok

    def test_nonsense_inputs_are_refused(self):
        with pytest.raises(PriceError) as caught:
            minimum_price_check(FAIRMINED, sale(fine_g="0", price="-1"), D(0))
        assert [p.path for p in caught.value.problems] == [
            "fine_g",
            "usd_per_troy_oz",
            "reference_usd_per_troy_oz",
        ]


class TestPremiumOwed:
    def test_fairmined_1_kg_fine_gold_owes_usd_4000(self):
        owed = premium_owed(FAIRMINED, sale(), REFERENCE)
        assert (owed.amount, owed.currency, owed.reason) == (D(4000), "USD", BASE_PREMIUM)
        assert (owed.premium_id, owed.rule, owed.rate, owed.base) == (
            "base",
            "per_kg_fine",
            4000,
            1,
        )

    def test_fairmined_ecological_gold_owes_usd_6000(self):
        owed = premium_owed(FAIRMINED, sale(variant="ecological"), REFERENCE)
        assert (owed.amount, owed.premium_id, owed.variant, owed.reason) == (
            D(6000),
            "ecological",
            "ecological",
            VARIANT_PREMIUM,
        )

    def test_fairtrade_1_kg_fine_gold_owes_usd_2000(self):
        assert premium_owed(FAIRTRADE, sale(), REFERENCE).amount == D(2000)

    def test_the_premium_is_per_gram_of_fine_content(self):
        assert premium_owed(FAIRMINED, sale(fine_g="250.5"), REFERENCE).amount == D("1002.00")

    def test_percent_of_price_is_a_share_of_the_reference_value(self):
        prices = {
            "premiums": [{"id": "p", "metal": "gold", "rule": "percent_of_price", "amount": 10}]
        }
        fine_g = TROY_OUNCE_G * 10  # ten troy ounces
        owed = premium_owed(prices, sale(fine_g=fine_g, price=1), REFERENCE)
        assert owed.amount == D(2000)  # 10% of 10 oz × 2,000 USD; the price paid plays no part
        assert (owed.rule, owed.rate, owed.base) == ("percent_of_price", 10, D(20000))

    def test_percent_of_price_rounds_to_the_cent(self):
        owed = premium_owed(FAIRTRADE, sale(variant="ecological"), REFERENCE)
        # 15% of 1000 g / 31.1034768 g/oz × 2,000 USD/oz = 9,645.22 USD
        assert owed.amount == D("9645.22")

    def test_a_variant_without_its_own_premium_gets_the_base_one(self):
        owed = premium_owed(FAIRMINED, sale(variant="artisanal-refined"), REFERENCE)
        assert (owed.premium_id, owed.reason) == ("base", BASE_PREMIUM)

    def test_the_metal_chooses_the_premium(self):
        owed = premium_owed(FAIRTRADE, sale(metal="silver", price=25), D(25))
        assert owed.premium_id == "silver"

    @pytest.mark.parametrize(
        ("prices", "metal"), [(FAIRMINED, "platinum"), (None, "gold"), ({}, "gold")]
    )
    def test_no_premium_for_the_metal_owes_nothing_and_says_why(self, prices, metal):
        owed = premium_owed(prices, sale(metal=metal), REFERENCE)
        assert (owed.amount, owed.reason, owed.premium_id, owed.rule) == (0, NO_PREMIUM, None, None)


def approved_fund(budget: Decimal = Decimal(1000), quorum: int = 3) -> Fund:
    fund = Fund("asmo-1")
    fund = ledger.propose_plan(fund, "2024", [Project("water", "Clean water", budget)], DAY)
    return ledger.approve_plan(fund, "2024", ["ana", "ben", "cruz"], DAY, quorum=quorum)


class TestFund:
    def test_receipts_disbursements_and_the_report(self):
        fund = ledger.receive(approved_fund(), D(4000), "sale-1", DAY)
        fund = ledger.disburse(fund, "water", D(600), DAY, note="pump")
        fund = ledger.disburse(fund, "water", D(400), DAY)
        result = ledger.report(fund)
        assert (result.received, result.disbursed, result.balance, result.receipts) == (
            4000,
            1000,
            3000,
            1,
        )
        [line] = result.projects
        assert (line.project_id, line.approved, line.budget, line.disbursed, line.remaining) == (
            "water",
            True,
            1000,
            1000,
            0,
        )

    def test_the_ledger_only_grows(self):
        fund = approved_fund()
        after = ledger.receive(fund, D(10), "sale-1", DAY)
        assert after.entries[: len(fund.entries)] == fund.entries
        assert len(after.entries) == len(fund.entries) + 1

    def test_no_disbursement_beyond_the_balance_and_nothing_changes(self):
        fund = ledger.receive(approved_fund(), D(100), "sale-1", DAY)
        with pytest.raises(FundError, match="balance") as caught:
            ledger.disburse(fund, "water", D("100.01"), DAY)
        assert caught.value.problems[0].params["available"] == 100
        assert fund.balance == 100 and len(fund.entries) == 3

    def test_no_disbursement_beyond_the_remaining_budget(self):
        fund = ledger.receive(approved_fund(budget=D(500)), D(4000), "sale-1", DAY)
        fund = ledger.disburse(fund, "water", D(300), DAY)
        with pytest.raises(FundError, match="200 left in the budget"):
            ledger.disburse(fund, "water", D(201), DAY)

    def test_a_plan_not_approved_receives_nothing(self):
        fund = ledger.receive(Fund("asmo-1"), D(4000), "sale-1", DAY)
        fund = ledger.propose_plan(fund, "2024", [Project("school", "School roof", D(900))], DAY)
        with pytest.raises(FundError, match="not approved"):
            ledger.disburse(fund, "school", D(100), DAY)
        assert ledger.report(fund).projects[0].approved is False

    def test_approval_needs_a_quorum_of_distinct_members(self):
        fund = ledger.propose_plan(Fund("asmo-1"), "2024", [Project("p", "P", D(1))], DAY)
        with pytest.raises(FundError, match="2 committee members present; the quorum is 3"):
            ledger.approve_plan(fund, "2024", ["ana", "ben", "ana", " "], DAY)
        approved = ledger.approve_plan(fund, "2024", ["ana", "ben"], DAY, quorum=2)
        assert approved.entries[-1].members_present == ("ana", "ben")

    def test_approval_by_people_outside_the_committee_is_refused(self):
        fund = ledger.propose_plan(Fund("asmo-1"), "2024", [Project("p", "P", D(1))], DAY)
        with pytest.raises(FundError, match="Not members of the premium committee: zoe"):
            ledger.approve_plan(fund, "2024", ["ana", "ben", "zoe"], DAY, committee={"ana", "ben"})

    def test_a_plan_is_approved_once_and_must_exist(self):
        with pytest.raises(FundError, match="already approved"):
            ledger.approve_plan(approved_fund(), "2024", ["a", "b", "c"], DAY)
        with pytest.raises(FundError, match="no plan 2025"):
            ledger.approve_plan(approved_fund(), "2025", ["a", "b", "c"], DAY)

    def test_bad_plans_are_refused_with_every_problem(self):
        projects = [Project("p", "", D(0)), Project("p", "Again", D(-1))]
        with pytest.raises(FundError) as caught:
            ledger.propose_plan(approved_fund(), "2024", projects, DAY)
        assert [p.path for p in caught.value.problems] == [
            "plan_id",
            "projects[0].title",
            "projects[0].budget",
            "projects[1].id",
            "projects[1].budget",
        ]
        with pytest.raises(FundError, match="at least one project"):
            ledger.propose_plan(Fund("asmo-1"), "empty", [], DAY)

    def test_project_ids_are_unique_across_plans(self):
        with pytest.raises(FundError, match="Project water already exists"):
            ledger.propose_plan(approved_fund(), "2025", [Project("water", "More", D(5))], DAY)

    @pytest.mark.parametrize("amount", [D(0), D(-5), D("NaN"), D("Infinity"), 1.5, True])
    def test_amounts_must_be_positive_decimals(self, amount):
        with pytest.raises(FundError, match="positive amount"):
            ledger.receive(Fund("asmo-1"), amount, "sale-1", DAY)

    def test_a_sale_premium_is_received_once(self):
        fund = ledger.receive(Fund("asmo-1"), D(10), "sale-1", DAY)
        with pytest.raises(FundError, match="already recorded"):
            ledger.receive(fund, D(10), "sale-1", DAY)

    def test_unknown_projects_get_nothing(self):
        fund = ledger.receive(approved_fund(), D(10), "sale-1", DAY)
        with pytest.raises(FundError, match="no project roads"):
            ledger.disburse(fund, "roads", D(1), DAY)


AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D(5000), places=2)
# Disbursements aim at the edges too: exactly what a project has left, the whole balance.
TARGETS = st.one_of(st.sampled_from(["half", "remaining", "balance"]), AMOUNTS)


class FundMachine(RuleBasedStateMachine):
    """Random sequences of receipts, plans, approvals and disbursements, refused or not."""

    def __init__(self):
        super().__init__()
        self.fund = Fund("asmo-1")
        self.steps = 0

    def attempt(self, operation, *args) -> None:
        """Apply an operation; a refusal must leave the fund as it was."""
        self.steps += 1
        before = self.fund
        try:
            self.fund = operation(self.fund, *args)
        except FundError as error:
            assert error.problems and self.fund == before
        else:
            assert self.fund.entries[:-1] == before.entries  # appended, nothing rewritten

    def lines(self) -> list[ledger.ProjectLine]:
        return ledger.report(self.fund).projects

    @rule(amount=st.decimals(min_value=D("0.01"), max_value=D(1000), places=2))
    def receive(self, amount):
        self.attempt(ledger.receive, amount, f"sale-{self.steps}", DAY)

    @precondition(lambda self: sum(not line.approved for line in self.lines()) < 3)
    @rule(budgets=st.lists(AMOUNTS, min_size=1, max_size=3))
    def propose(self, budgets):
        projects = [Project(f"{self.steps}.{i}", "P", budget) for i, budget in enumerate(budgets)]
        self.attempt(ledger.propose_plan, f"plan-{self.steps}", projects, DAY)

    @precondition(lambda self: self.fund.entries)
    @rule(pick=st.integers(0, 9), members=st.sampled_from([2, 3, 3, 4]))
    def approve(self, pick, members):
        plans = [e.plan_id for e in self.fund.entries if isinstance(e, ledger.PlanProposed)]
        plan = plans[pick % len(plans)] if plans else "none"
        self.attempt(ledger.approve_plan, plan, [f"m{i}" for i in range(members)], DAY)

    @precondition(lambda self: self.lines())
    @rule(pick=st.integers(0, 9), approved=st.booleans(), aim=TARGETS)
    def disburse(self, pick, approved, aim):
        lines = [line for line in self.lines() if line.approved or not approved] or self.lines()
        line = lines[pick % len(lines)]
        amount = {
            "half": (min(line.remaining, self.fund.balance) / 2).quantize(D("0.01")),
            "remaining": line.remaining,
            "balance": self.fund.balance,
        }.get(aim, aim)
        self.attempt(ledger.disburse, line.project_id, amount, DAY)

    @invariant()
    def money_adds_up_and_never_goes_negative(self):
        result = ledger.report(self.fund)
        assert result.balance >= 0
        assert result.balance == result.received - result.disbursed
        assert all(0 <= line.remaining <= line.budget for line in result.projects)
        assert all(line.disbursed == 0 for line in result.projects if not line.approved)
        assert sum(line.disbursed for line in result.projects) == result.disbursed


FundMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestFundSequences = FundMachine.TestCase
