"""The premium fund as stored: premiums owed by the standard's rules reach the fund of the
lot's origin once; the committee approves plans with a quorum; disbursements never exceed
the balance or a project's budget, and nothing is written when they would; who may read
and change a fund; the fund page and its PDF; the demo."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from batea.certification import services as certification
from batea.custody import fund, services
from batea.custody.models import (
    CommitteeMember,
    Disbursement,
    InvestmentPlan,
    PlanProject,
    PremiumFund,
    PremiumReceipt,
)
from batea.standards.models import StandardVersion
from tests.conftest import EXAMPLE_STANDARD, make_user

pytestmark = pytest.mark.django_db
TODAY = date.today()
AGO = TODAY - timedelta(days=5)


def version(number="1.0"):
    return StandardVersion.objects.get(standard__code="example-mini-standard", version=number)


def fairtrade_like_version():
    """Version 2.0 of the example standard with a premium of USD 2,000 per kg fine gold."""
    from batea.standards import services as standards

    text = EXAMPLE_STANDARD.read_text().replace('version: "1.0"', 'version: "2.0"')
    text = text.replace("amount: 4000", "amount: 2000")
    report = standards.import_files([("example-2.0.yaml", text.encode())])
    assert report.ok, report.problems
    return version("2.0")


@pytest.fixture(autouse=True)
def prices(db):
    services.import_prices("Date,Price\n2000-01,2000\n", source="test")


def sold(world, claim=None, mass="1250", fineness="800", days="400", price="2000"):
    """A lot of `world.org_a` produced, delivered to the buyer and sold to B."""
    lot = services.produce(
        world.manager_a,
        world.org_a,
        site=world.site_a,
        mineral="gold",
        kind="dore",
        mass_g=Decimal(mass),
        fineness=Decimal(fineness),
        members={world.member_a: Decimal(days)},
        on=AGO,
        claim=claim,
    )
    services.ship(world.manager_a, lot, world.buyer, AGO)
    services.receive(world.buyer_user, lot, AGO)
    lot.refresh_from_db()
    return services.sell(world.buyer_user, lot, world.org_b, AGO, price)


def certified(the_version=None, variant=""):
    return services.ClaimInput(the_version or version(), variant, "identity_preserved")


def funded(world, amount="4000.00"):
    """Org A's fund with one premium received (1 kg fine gold at USD 4,000/kg)."""
    sale = sold(world, certified())
    fund.record_receipt(world.manager_a, sale, Decimal(amount), AGO)
    return fund.fund_of(world.org_a)


def committee(world, the_fund, people=("Ana", "Beto", "Carmen", "Dora")):
    genders = ["female", "male", "female", "female", "male"]
    groups = ["miners", "plant_workers", "womens_group", "local_authority", "shareholders"]
    return [
        fund.add_committee_member(
            world.manager_a, the_fund, name, groups[i], TODAY - timedelta(days=60), genders[i]
        )
        for i, name in enumerate(people)
    ]


def approved_plan(world, the_fund, budgets=("3000", "5000")):
    plan = fund.propose_plan(
        world.manager_a,
        the_fund,
        "Premium plan",
        "Clean water; safer pits",
        TODAY - timedelta(days=30),
        TODAY + timedelta(days=3 * 365),
        [(f"Project {i}", b, 40, 25) for i, b in enumerate(budgets, start=1)],
    )
    members = committee(world, the_fund)
    return fund.approve_plan(world.manager_a, plan, members[:3], TODAY - timedelta(days=20))


def snapshot(the_fund):
    the_fund.refresh_from_db()
    return (
        the_fund.balance,
        list(PlanProject.objects.order_by("title").values_list("disbursed", flat=True)),
        Disbursement.objects.count(),
    )


class TestPremiumsReachTheFund:
    def test_one_kg_of_fine_gold_at_usd_4000_per_kg(self, world):
        sale = sold(world, certified())
        assert (sale.fine_g, sale.premium_owed) == (Decimal(1000), Decimal("4000.00"))
        receipt = fund.record_receipt(world.manager_a, sale, on=AGO)  # the premium owed
        assert receipt.amount == Decimal("4000.00")
        assert receipt.fund == PremiumFund.objects.get(organisation=world.org_a)  # the origin
        assert fund.fund_of(world.org_a).balance == Decimal("4000.00")

    def test_ecological_gold_earns_usd_6000_per_kg(self, world):
        certification.certify(
            world.certifier_user,
            world.org_a,
            version(),
            valid_from=TODAY - timedelta(days=30),
            valid_until=TODAY + timedelta(days=700),
            reason="Ecological audit passed",
            variant="ecological",
        )
        sale = sold(world, certified(variant="ecological"))
        assert (sale.premium_rule, sale.premium_owed) == ("ecological", Decimal("6000.00"))
        fund.record_receipt(world.manager_a, sale, on=AGO)
        assert fund.fund_of(world.org_a).balance == Decimal("6000.00")

    def test_a_standard_of_usd_2000_per_kg(self, world):
        fairtrade = fairtrade_like_version()
        certification.certify(
            world.certifier_user,
            world.org_a,
            fairtrade,
            valid_from=TODAY - timedelta(days=30),
            valid_until=TODAY + timedelta(days=700),
            reason="Audit passed",
        )
        sale = sold(world, certified(fairtrade))
        assert sale.premium_owed == Decimal("2000.00")
        fund.record_receipt(world.manager_a, sale, on=AGO)
        assert fund.fund_of(world.org_a).balance == Decimal("2000.00")

    def test_a_sales_premium_is_received_once(self, world):
        sale = sold(world, certified())
        fund.record_receipt(world.manager_a, sale, on=AGO)
        with pytest.raises(ValidationError, match=f"sale {sale.lot.code} is already recorded"):
            fund.record_receipt(world.manager_a, sale, Decimal(100), AGO)
        assert PremiumReceipt.objects.count() == 1
        assert fund.fund_of(world.org_a).balance == Decimal("4000.00")
        assert list(fund.pending_sales(world.org_a)) == []

    def test_uncertified_sales_owe_no_premium_and_bad_amounts_are_refused(self, world):
        plain = sold(world)
        with pytest.raises(ValidationError, match="not sold as certified"):
            fund.record_receipt(world.manager_a, plain, Decimal(10), AGO)
        sale = sold(world, certified())
        assert list(fund.pending_sales(world.org_a)) == [sale]
        for bad in ("0", "-5", "abc", "1.001"):
            with pytest.raises(ValidationError):
                fund.record_receipt(world.manager_a, sale, bad, AGO)
        with pytest.raises(ValidationError, match="future"):
            fund.record_receipt(world.manager_a, sale, None, TODAY + timedelta(days=1))
        with pytest.raises(ValidationError, match="premium comes after"):
            fund.record_receipt(world.manager_a, sale, None, AGO - timedelta(days=1))
        assert not PremiumReceipt.objects.exists()
        assert not PremiumFund.objects.filter(balance__gt=0).exists()

    def test_only_the_origins_managers_record_receipts(self, world):
        sale = sold(world, certified())
        for user in (world.buyer_user, world.manager_b, world.support_user):
            with pytest.raises(PermissionDenied):
                fund.record_receipt(user, sale, on=AGO)
        assert not PremiumReceipt.objects.exists()


class TestCommitteeAndPlans:
    def test_approval_needs_a_quorum_of_current_committee_members(self, world):
        the_fund = fund.fund_of(world.org_a)
        ana, beto, carmen, dora = committee(world, the_fund)
        plan = fund.propose_plan(
            world.manager_a,
            the_fund,
            "Plan",
            "",
            TODAY,
            TODAY + timedelta(days=365),
            [("Water", "1000", 10, 6)],
        )
        with pytest.raises(ValidationError, match="quorum is 3"):
            fund.approve_plan(world.manager_a, plan, [ana, beto], TODAY)
        fund.end_committee_member(world.manager_a, dora, TODAY - timedelta(days=1))
        with pytest.raises(ValidationError, match="Not members of the premium committee: Dora"):
            fund.approve_plan(world.manager_a, plan, [ana, beto, dora], TODAY)
        outsider = CommitteeMember.objects.create(
            fund=fund.fund_of(world.org_b), name="Zed", represents="miners", since=AGO
        )
        with pytest.raises(ValidationError, match="Zed"):
            fund.approve_plan(world.manager_a, plan, [ana, beto, outsider], TODAY)
        plan.refresh_from_db()
        assert plan.approved_on is None
        fund.approve_plan(world.manager_a, plan, [ana, beto, carmen], TODAY)
        plan.refresh_from_db()
        assert (plan.approved_on, set(plan.approved_by.all())) == (TODAY, {ana, beto, carmen})
        with pytest.raises(ValidationError, match="already approved"):
            fund.approve_plan(world.manager_a, plan, [ana, beto, carmen], TODAY)

    def test_a_plan_needs_projects_with_positive_budgets(self, world):
        the_fund = fund.fund_of(world.org_a)
        cases = [
            ([], "at least one project"),
            ([("Water", "0", 1, 0)], "budget of project 1"),
            ([("Water", "100", 2, 3)], "3 women among 2"),
            ([("", "100", 0, 0)], "title of project 1"),
        ]
        for projects, message in cases:
            with pytest.raises(ValidationError, match=message):
                fund.propose_plan(world.manager_a, the_fund, "P", "", TODAY, TODAY, projects)
        with pytest.raises(ValidationError, match="ends before"):
            fund.propose_plan(
                world.manager_a, the_fund, "P", "", TODAY, AGO, [("Water", "1", 0, 0)]
            )
        assert not InvestmentPlan.objects.exists()


class TestDisbursements:
    def test_paid_within_balance_and_budget_with_the_balances_moved(self, world):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund)
        water = plan.projects.get(title="Project 1")
        fund.disburse(world.manager_a, water, Decimal("1200.50"), TODAY, "Pipes")
        assert snapshot(the_fund) == (
            Decimal("2799.50"),
            [Decimal("1200.50"), Decimal(0)],
            1,
        )

    @pytest.mark.parametrize(
        ("project", "amount", "message"),
        [
            ("Project 1", "3500", "left in the budget"),  # budget 3,000
            ("Project 2", "4500", "fund's balance of 4000.00"),  # budget 5,000
            ("Project 2", "0", "positive amount"),
            ("Project 2", "-1", "positive amount"),
        ],
    )
    def test_beyond_the_balance_or_budget_is_refused_and_nothing_is_written(
        self, world, project, amount, message
    ):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund)
        before = snapshot(the_fund)
        with pytest.raises(ValidationError, match=message):
            fund.disburse(world.manager_a, plan.projects.get(title=project), amount, TODAY)
        assert snapshot(the_fund) == before

    def test_only_projects_of_approved_plans_get_money(self, world):
        the_fund = funded(world)
        plan = fund.propose_plan(
            world.manager_a, the_fund, "Draft", "", TODAY, TODAY, [("Road", "500", 0, 0)]
        )
        with pytest.raises(ValidationError, match="has not approved"):
            fund.disburse(world.manager_a, plan.projects.get(), Decimal(100), TODAY)
        assert snapshot(the_fund)[2] == 0

    def test_the_database_is_the_last_guard(self, world, monkeypatch):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund, budgets=("9000",))
        before = snapshot(the_fund)
        monkeypatch.setattr(fund.rules, "disburse", lambda *args, **kwargs: None)  # a rule bug
        with pytest.raises(ValidationError, match="nothing was paid"):
            fund.disburse(world.manager_a, plan.projects.get(), Decimal(5000), TODAY)
        assert snapshot(the_fund) == before

    def test_another_organisations_manager_cannot_disburse(self, world):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund)
        before = snapshot(the_fund)
        for user in (world.manager_b, world.support_user, world.inspector_a):
            with pytest.raises(PermissionDenied):
                fund.disburse(user, plan.projects.first(), Decimal(10), TODAY)
        assert snapshot(the_fund) == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_parallel_disbursements_never_overdraw_the_fund(world):
    the_fund = funded(world)  # USD 4,000
    project = approved_plan(world, the_fund, budgets=("9000",)).projects.get()
    outcomes = []

    def attempt():
        try:
            fund.disburse(world.manager_a, project, Decimal(1000), TODAY)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 4
    assert snapshot(the_fund) == (Decimal(0), [Decimal(4000)], 4)


class TestReport:
    def test_the_report_adds_up_and_shows_women_shares(self, world):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund)
        fund.disburse(world.manager_a, plan.projects.get(title="Project 2"), Decimal(1000), TODAY)
        report = fund.fund_report(the_fund)
        assert (report.received, report.disbursed, report.balance) == (
            Decimal("4000.00"),
            Decimal("1000"),
            Decimal("3000.00"),
        )
        assert report.consistent
        lines = {line.project.title: line for line in report.projects}
        assert (lines["Project 2"].remaining, lines["Project 2"].percent) == (Decimal(4000), 20)
        assert report.committee_women_percent == Decimal("75.0")  # 3 of 4
        assert (report.women_beneficiaries, report.beneficiaries) == (50, 80)
        assert report.beneficiaries_women_percent == Decimal("62.5")
        assert "Women's group" in report.groups_represented


class TestPages:
    def test_the_manager_sees_the_fund_and_pays_a_project(self, world, client_for):
        the_fund = funded(world)
        plan = approved_plan(world, the_fund)
        client = client_for(world.manager_a)
        url = f"/orgs/{world.org_a.slug}/fund/"
        page = client.get(url)
        body = page.content.decode()
        assert page.status_code == 200
        assert "Premium plan" in body and "Carmen" in body and 'role="progressbar"' in body
        assert "Pay a project" in body
        project = plan.projects.get(title="Project 1")
        too_much = client.post(
            url, {"action": "disburse", "project": project.pk, "amount": "3500", "paid_on": TODAY}
        )
        assert too_much.status_code == 400
        assert "left in the budget of project Project 1" in too_much.content.decode()
        done = client.post(
            url, {"action": "disburse", "project": project.pk, "amount": "500", "paid_on": TODAY}
        )
        assert done.status_code == 302
        assert snapshot(the_fund)[0] == Decimal("3500.00")

    def test_a_manager_records_a_receipt_and_a_committee_member(self, world, client_for):
        sale = sold(world, certified())
        client = client_for(world.manager_a)
        url = f"/orgs/{world.org_a.slug}/fund/"
        assert sale.lot.code in client.get(url).content.decode()  # owed, not yet received
        client.post(url, {"action": "receipt", "sale": sale.pk, "received_on": AGO})
        client.post(
            url,
            {
                "action": "member",
                "name": "Rosa",
                "represents": "womens_group",
                "gender": "female",
                "since": AGO,
            },
        )
        the_fund = fund.fund_of(world.org_a)
        assert the_fund.balance == Decimal("4000.00")
        assert the_fund.committee.get().name == "Rosa"

    def test_support_officers_read_through_their_relation_but_change_nothing(
        self, world, client_for
    ):
        the_fund = funded(world)
        approved_plan(world, the_fund)
        client = client_for(world.support_user)
        page = client.get(f"/orgs/{world.org_a.slug}/fund/")
        assert page.status_code == 200
        assert "Premium plan" in page.content.decode()
        assert "Pay a project" not in page.content.decode()
        response = client.post(f"/orgs/{world.org_a.slug}/fund/", {"action": "member", "name": "X"})
        assert response.status_code == 403
        assert client.get(f"/orgs/{world.org_a.slug}/fund/report.pdf").status_code == 200

    def test_others_cannot_read_the_fund(self, world, client_for):
        funded(world)
        for user in (world.manager_b, world.buyer_user, make_user("nobody")):
            client = client_for(user)
            assert client.get(f"/orgs/{world.org_a.slug}/fund/").status_code == 404
            assert client.get(f"/orgs/{world.org_a.slug}/fund/report.pdf").status_code == 404

    def test_reading_an_empty_fund_creates_nothing(self, world, client_for):
        page = client_for(world.manager_b).get(f"/orgs/{world.org_b.slug}/fund/")
        assert page.status_code == 200
        assert "No investment plan yet" in page.content.decode()
        assert not PremiumFund.objects.exists()

    def test_the_fund_page_and_pdf_in_spanish(self, world, client_for, monkeypatch):
        from batea.custody import fund_views

        original, rendered = fund_views.render_to_string, []

        def render(*args, **kwargs):
            rendered.append(original(*args, **kwargs))
            return rendered[-1]

        monkeypatch.setattr(fund_views, "render_to_string", render)  # keep the PDF's HTML
        the_fund = funded(world)
        approved_plan(world, the_fund)
        client = client_for(world.manager_a)
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
        page = client.get(f"/orgs/{world.org_a.slug}/fund/")
        assert page.status_code == 200
        assert '<html lang="es">' in page.content.decode()
        assert "Cerrar sesión" in page.content.decode()
        pdf = client.get(f"/orgs/{world.org_a.slug}/fund/report.pdf")
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        # The HTML the PDF is made from is in Spanish too.
        assert "Generado por Batea" in rendered[0]


def demo_state():
    from batea.custody.models import Incident, Lot, RedFlagArea, ReferencePrice, Sale
    from batea.registry.models import Organisation

    models = (
        Lot,
        Sale,
        Incident,
        PremiumReceipt,
        Disbursement,
        CommitteeMember,
        InvestmentPlan,
        ReferencePrice,
        RedFlagArea,
        Organisation,
    )
    return (
        [model.objects.count() for model in models],
        sorted(PremiumFund.objects.values_list("balance", flat=True)),
        sorted(Lot.objects.values_list("code", "status")),
    )


def test_the_demo_loads_twice_and_tells_its_story(db):
    """The custody demo on top of the registry, standards and certification demos (the
    whole `batea demo` command runs in tests/test_cli.py)."""
    from batea.certification import demo as certification_demo
    from batea.custody import demo
    from batea.custody.models import Incident, MassBalanceAccount, RedFlagArea, Sale
    from batea.registry import demo as registry_demo
    from batea.standards import demo as standards_demo

    for module in (registry_demo, standards_demo, certification_demo):
        module.load()
    first = demo.load()
    state = demo_state()
    assert demo.load() == first
    assert demo_state() == state
    assert first["lots"] > 150 and first["sales"] > 50, first
    assert {
        "productivity_above_threshold",
        "production_spike",
        "red_flag_area",
        "below_minimum_price",
        "no_valid_licence",
    } <= set(Incident.objects.values_list("code", flat=True))
    assert "ictional" in RedFlagArea.objects.get().reason
    assert Sale.objects.filter(lot__custody_model="mass_balance").count() == 1
    assert Sale.objects.filter(minimum_price_ok=False).count() == 1
    assert MassBalanceAccount.objects.get().balance_g >= 0
    rio_claro = PremiumFund.objects.get(organisation__slug="rio-claro")
    plan = rio_claro.plans.get()
    assert plan.approved_on is not None and plan.approved_by.count() >= 3
    assert plan.projects.count() == 3
    assert rio_claro.receipts.exists() and Disbursement.objects.exists()
    report = fund.fund_report(rio_claro)
    assert report.consistent and report.balance > 0
    assert {line.person.gender for line in report.committee} == {"female", "male"}
