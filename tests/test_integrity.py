"""Tamper-evident history as stored: decisions, custody events and the premium ledger are
sealed into hash chains as they are recorded; `batea verify-log` passes on an untouched
database and names the first record changed, deleted or slipped in behind Batea's back."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F

from batea.certification import services as certification
from batea.certification.models import CertificationDecision
from batea.custody import fund, services
from batea.custody.models import CustodyEvent, Disbursement, PremiumReceipt
from batea.domain.integrity import GENESIS, link
from batea.integrity import chains
from batea.integrity.models import ChainHead
from batea.standards.models import StandardVersion
from tests.conftest import make_org

pytestmark = pytest.mark.django_db
TODAY = date.today()
AGO = TODAY - timedelta(days=5)


def verify_log(*args) -> str:
    """The command's output; raises CommandError (exit 1) when a chain is broken."""
    out = StringIO()
    call_command("verify_log", *args, stdout=out)
    return out.getvalue()


def broken_log(*args) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_log", *args, stdout=out)
    return out.getvalue()


def db_id(model, pk):
    """The primary key as this database stores it (for raw SQL)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


@pytest.fixture
def history(world):
    """Org A certified, suspended and reinstated; two certified lots mined, shipped,
    received and sold; one premium received and paid out to a project three times."""
    services.import_prices("Date,Price\n2000-01,2000\n", source="test")
    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    certificate = world.certificate_a
    certification.change_status(
        world.certifier_user, certificate, "suspend", "Overdue finding", TODAY + timedelta(days=30)
    )
    certification.change_status(world.certifier_user, certificate, "reinstate", "Closed")
    claim = services.ClaimInput(version, "", "identity_preserved")
    sales = []
    for mass in ("1250", "625"):
        lot = services.produce(
            world.manager_a,
            world.org_a,
            site=world.site_a,
            mineral="gold",
            kind="dore",
            mass_g=Decimal(mass),
            fineness=Decimal("800"),
            members={world.member_a: Decimal("400")},
            on=AGO,
            claim=claim,
        )
        services.ship(world.manager_a, lot, world.buyer, AGO)
        services.receive(world.buyer_user, lot, AGO)
        lot.refresh_from_db()
        sales.append(services.sell(world.buyer_user, lot, world.org_b, AGO, "2000"))
    the_fund = fund.fund_of(world.org_a)
    fund.record_receipt(world.manager_a, sales[0], on=AGO)
    members = [
        fund.add_committee_member(
            world.manager_a, the_fund, name, "miners", TODAY - timedelta(days=60), "female"
        )
        for name in ("Ana", "Beto", "Carmen")
    ]
    plan = fund.propose_plan(
        world.manager_a,
        the_fund,
        "Plan",
        "Clean water",
        TODAY - timedelta(days=30),
        TODAY + timedelta(days=365),
        [("Water", "3000", 40, 25)],
    )
    fund.approve_plan(world.manager_a, plan, members, TODAY - timedelta(days=20))
    project = plan.projects.get()
    for amount in ("100.00", "250.50", "75.25"):
        fund.disburse(world.manager_a, project, amount, TODAY - timedelta(days=2), "Pipes")
    return world


def premium_chain(world):
    """Org A's fund ledger in chain order: the receipt, then the three payments."""
    receipts = list(PremiumReceipt.objects.filter(fund__organisation=world.org_a))
    paid = list(Disbursement.objects.filter(fund__organisation=world.org_a))
    return sorted(receipts + paid, key=lambda record: record.chain_seq)


class TestAnUntouchedHistoryVerifies:
    def test_every_kind_of_chain_is_ok_with_its_counts(self, history):
        output = verify_log()
        # Org A's certificate: certify, suspend, reinstate.
        assert "decisions: 1 chain, 3 records: OK" in output
        # Org A: 2 productions and 2 shipments; the buyer: 2 receipts and 2 sales.
        assert "custody: 2 chains, 8 records: OK" in output
        assert "premium: 1 chain, 4 records: OK" in output

    def test_each_chain_is_numbered_from_one_and_linked_from_the_start(self, history):
        events = list(CustodyEvent.objects.filter(organisation=history.org_a).order_by("chain_seq"))
        assert [e.chain_seq for e in events] == [1, 2, 3, 4]
        assert events[0].chain_prev == GENESIS
        assert all(b.chain_prev == a.chain_hash for a, b in zip(events, events[1:], strict=False))
        head = ChainHead.objects.get(chain=f"custody:{history.org_a.pk}")
        assert (head.seq, head.last_hash) == (4, events[-1].chain_hash)

    def test_the_ledger_of_a_fund_is_one_chain_of_receipts_and_payments(self, history):
        ledger = premium_chain(history)
        assert [type(r).__name__ for r in ledger] == ["PremiumReceipt"] + ["Disbursement"] * 3
        assert [r.chain_seq for r in ledger] == [1, 2, 3, 4]

    def test_a_sealed_record_is_not_sealed_again(self, history):
        event = CustodyEvent.objects.filter(organisation=history.org_a).first()
        with pytest.raises(ValueError, match="never changes"):
            chains.seal(event)

    def test_a_refused_action_leaves_the_chain_as_it_was(self, history):
        project = Disbursement.objects.first().project
        head = ChainHead.objects.get(chain__startswith="premium:")
        with pytest.raises(ValidationError):
            fund.disburse(history.manager_a, project, "999999.00", TODAY, "")
        assert ChainHead.objects.get(pk=head.pk).seq == head.seq == 4
        verify_log("--chain", "premium")


class TestChangesBehindBatea:
    def test_an_amount_changed_with_an_update_is_named(self, history):
        second = premium_chain(history)[2]
        Disbursement.objects.filter(pk=second.pk).update(amount=Decimal("2500.50"))
        output = broken_log()
        assert f"record 3: Disbursement {second.pk} altered" in output
        assert "decisions: 1 chain, 3 records: OK" in output  # other chains are fine

    def test_a_quantity_changed_with_raw_sql_is_named(self, history):
        event = CustodyEvent.objects.filter(organisation=history.buyer).order_by("chain_seq")[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE custody_custodyevent SET loss_fine_g = %s WHERE id = %s",
                [Decimal("0.5"), db_id(CustodyEvent, event.pk)],
            )
        output = broken_log("--chain", "custody")
        assert f"custody:{history.buyer.pk} (Gold Buyer AG), record 2: " in output
        assert f"CustodyEvent {event.pk} altered" in output

    def test_a_backdated_decision_is_named(self, history):
        first = CertificationDecision.objects.get(action="certify")
        CertificationDecision.objects.filter(pk=first.pk).update(decided_on=AGO)
        output = broken_log("--chain", history.org_a.slug)
        assert f"record 1: CertificationDecision {first.pk} altered" in output

    def test_a_record_deleted_from_the_middle_is_found_where_it_was(self, history):
        ledger = premium_chain(history)
        Disbursement.objects.filter(pk=ledger[2].pk).delete()
        output = broken_log("--chain", "premium")
        assert f"record 3: Disbursement {ledger[3].pk} deleted" in output

    def test_a_record_deleted_from_the_end_is_found(self, history):
        last = CertificationDecision.objects.get(action="reinstate")
        CertificationDecision.objects.filter(pk=last.pk).delete()
        output = broken_log("--chain", "decisions")
        assert "record 3: (none after it) deleted" in output
        assert "The chain head counts 3 records" in output

    def test_a_forged_record_is_named_even_with_a_sound_hash(self, history):
        ledger = premium_chain(history)
        forged = Disbursement(
            fund=ledger[-1].fund,
            project=ledger[-1].project,
            amount=Decimal("500.00"),
            paid_on=TODAY,
            note="Pipes",
            chain_seq=5,
            chain_prev=ledger[-1].chain_hash,
        )
        content = chains.payload(Disbursement, Disbursement.chain_fields, forged.__dict__)
        forged.chain_hash = link(forged.chain_prev, content)
        forged.save(force_insert=True)
        output = broken_log()
        assert f"record 5: Disbursement {forged.pk} inserted" in output

    def test_events_in_a_chain_without_a_head_are_named(self, history):
        ChainHead.objects.filter(chain=f"custody:{history.buyer.pk}").delete()
        output = broken_log("--chain", f"custody:{history.buyer.pk}")
        assert "custody: 1 chain, 1 record: 1 broken" in output  # read up to the break
        assert "inserted — No chain head knows this chain" in output


class TestTheCommand:
    def test_heads_are_printed_with_one_digest_to_keep_elsewhere(self, history):
        output = verify_log("--heads")
        lines = output.splitlines()
        heads = ChainHead.objects.order_by("chain")
        assert lines[:-1] == [f"{h.chain} {h.seq} {h.last_hash}" for h in heads]
        assert lines[-1].startswith(f"digest of {heads.count()} heads: ")
        fund.disburse(
            history.manager_a, Disbursement.objects.first().project, "1.00", TODAY, "More"
        )
        assert verify_log("--heads").splitlines()[-1] != lines[-1]

    def test_a_chain_rewritten_with_its_head_is_caught_by_the_heads_kept_before(
        self, history, tmp_path
    ):
        kept = tmp_path / "heads.txt"
        kept.write_text(verify_log("--heads"))
        assert "4 anchored heads: all still in their chains." in verify_log("--against", kept)
        ledger = premium_chain(history)
        # Someone who knows the algorithm changes a payment and re-hashes what follows.
        Disbursement.objects.filter(pk=ledger[1].pk).update(amount=Decimal("10.00"))
        previous = ledger[0].chain_hash
        for record in ledger[1:]:
            record.refresh_from_db()
            content = chains.payload(type(record), record.chain_fields, record.__dict__)
            record.chain_prev, record.chain_hash = previous, link(previous, content)
            type(record).objects.filter(pk=record.pk).update(
                chain_prev=record.chain_prev, chain_hash=record.chain_hash
            )
            previous = record.chain_hash
        ChainHead.objects.filter(chain__startswith="premium:").update(last_hash=previous)
        assert "premium: 1 chain, 4 records: OK" in verify_log()  # consistent again…
        output = broken_log("--against", kept)  # …but not what was anchored
        assert f"premium:{ledger[0].fund_id} (Alpha Gold Cooperative), record 4: " in output
        assert "not the record anchored" in output

    def test_a_file_without_heads_is_a_clear_error(self, history, tmp_path):
        empty = tmp_path / "empty.txt"
        empty.write_text("nothing here\n")
        with pytest.raises(CommandError, match="holds no chain heads"):
            verify_log("--against", empty)
        with pytest.raises(CommandError, match="Cannot read"):
            verify_log("--against", tmp_path / "missing.txt")

    def test_chain_selects_a_kind_an_organisation_or_one_chain(self, history):
        assert verify_log("--chain", "custody").splitlines() == ["custody: 2 chains, 8 records: OK"]
        by_org = verify_log("--chain", str(history.org_a.pk))
        assert "custody: 1 chain, 4 records: OK" in by_org
        assert "premium: 1 chain, 4 records: OK" in by_org
        one = verify_log("--chain", f"custody:{history.buyer.pk}")
        assert "custody: 1 chain, 4 records: OK" in one

    @pytest.mark.parametrize("value", ["nothing-like-this", "custody:not-an-id", "ledger:x"])
    def test_an_unknown_chain_is_a_clear_error(self, history, value):
        with pytest.raises(CommandError, match="Unknown"):
            verify_log("--chain", value)


class TestBulkSealing:
    def rows(self, world, n: int) -> list[dict]:
        return [
            {"kind": "production", "organisation_id": world.org_b.pk, "occurred_on": TODAY}
            for _ in range(n)
        ]

    def test_rows_sealed_in_bulk_continue_the_chain_and_verify(self, world):
        with transaction.atomic():
            chains.seal(CustodyEvent(kind="production", organisation=world.org_b, occurred_on=AGO))
            rows = self.rows(world, 5)
            chains.seal_rows(CustodyEvent, rows)
            CustodyEvent.objects.bulk_create(CustodyEvent(**row) for row in rows)
        assert [row["chain_seq"] for row in rows] == [2, 3, 4, 5, 6]
        assert all(row["id"] and row["recorded_at"] for row in rows)  # defaults filled in
        assert len({row["id"] for row in rows}) == 5
        assert "custody: 1 chain, 6 records: OK" in verify_log("--chain", "custody")

    @pytest.mark.django_db(transaction=True)
    def test_bulk_sealing_needs_the_inserting_transaction(self):
        rows = [{"kind": "production", "organisation_id": make_org("x").pk, "occurred_on": TODAY}]
        with pytest.raises(RuntimeError, match="inside the transaction"):
            chains.seal_rows(CustodyEvent, rows)
        assert not ChainHead.objects.exists()

    def test_a_row_without_a_hashed_value_is_refused(self, world):
        with transaction.atomic(), pytest.raises(KeyError, match="kind"):
            chains.seal_rows(CustodyEvent, [{"organisation_id": world.org_b.pk}])


def test_history_from_before_chaining_is_sealed_in_order(history):
    """What the migrations do with rows stored before: chain them by date."""
    ChainHead.objects.filter(chain__startswith="premium:").delete()
    for model in (PremiumReceipt, Disbursement):  # out of the way, as if never numbered
        model.objects.update(chain_seq=F("chain_seq") + 1000)
    sealed = chains.seal_existing(
        ChainHead,
        "premium",
        "fund_id",
        [
            (PremiumReceipt, PremiumReceipt.chain_fields, ("received_on",)),
            (Disbursement, Disbursement.chain_fields, ("paid_on",)),
        ],
    )
    assert sealed == 4
    assert [type(r).__name__ for r in premium_chain(history)][0] == "PremiumReceipt"
    verify_log("--chain", "premium")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_two_writers_appending_to_one_chain_get_distinct_places(world):
    errors = []

    def write(n: int) -> None:
        try:
            for _ in range(n):
                with transaction.atomic():
                    chains.seal(
                        CustodyEvent(kind="production", organisation=world.org_b, occurred_on=AGO)
                    )
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(15,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(
        CustodyEvent.objects.filter(organisation=world.org_b)
        .order_by("chain_seq")
        .values_list("chain_seq", flat=True)
    )
    assert seqs == list(range(1, 31))
    assert "custody: 1 chain, 30 records: OK" in verify_log("--chain", str(world.org_b.pk))


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_chaining_are_sealed_by_the_migrations(world):
    """A database with history from before: after migrating, verify-log passes."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("certification", "0001_initial"), ("custody", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before, at_end=True).apps
        written = write_old_history(old, world)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert "custody: 1 chain, 3 records: OK" in verify_log("--chain", "custody")
    assert "premium: 1 chain, 3 records: OK" in verify_log("--chain", "premium")
    assert "decisions: 1 chain, 3 records: OK" in verify_log("--chain", "decisions")
    ledger = premium_chain(world)
    assert [r.pk for r in ledger] == written["ledger"]  # by date: 2 receipts, then paid
    assert ledger[-1].fund.organisation == world.org_a  # the payment's fund, filled in
    events = CustodyEvent.objects.filter(organisation=world.org_a).order_by("chain_seq")
    assert [e.pk for e in events] == written["events"]  # in the order they happened


def write_old_history(old, world) -> dict:
    """Rows as the previous schema stored them: events of org A out of date order,
    receipts and a payment of its fund, two more decisions on its certificate."""
    event = old.get_model("custody", "CustodyEvent")
    fund_model = old.get_model("custody", "PremiumFund")
    receipt = old.get_model("custody", "PremiumReceipt")
    plan = old.get_model("custody", "InvestmentPlan")
    project = old.get_model("custody", "PlanProject")
    paid = old.get_model("custody", "Disbursement")
    decision = old.get_model("certification", "CertificationDecision")
    days = [TODAY - timedelta(days=n) for n in (3, 9, 6)]
    events = [
        event.objects.create(
            kind="production", organisation_id=world.org_a.pk, occurred_on=day, note=str(day)
        )
        for day in days
    ]
    the_fund = fund_model.objects.create(organisation_id=world.org_a.pk, balance=Decimal("50"))
    receipts = [
        receipt.objects.create(fund=the_fund, amount=Decimal(a), received_on=TODAY - timedelta(d))
        for a, d in (("40.00", 8), ("30.10", 9))
    ]
    the_plan = plan.objects.create(
        fund=the_fund, title="Plan", starts_on=AGO, ends_on=TODAY, approved_on=AGO
    )
    water = project.objects.create(plan=the_plan, title="Water", budget=Decimal("100"))
    payment = paid.objects.create(project=water, amount=Decimal("20.10"), paid_on=TODAY)
    certificate_id = world.certificate_a.pk
    for action in ("suspend", "reinstate"):
        decision.objects.create(
            certificate_id=certificate_id,
            action=action,
            reason="Test",
            decided_by_id=world.certifier_user.pk,
            decided_on=TODAY,
        )
    ordered = sorted(events, key=lambda e: e.occurred_on)
    return {
        "events": [e.pk for e in ordered],
        "ledger": [receipts[1].pk, receipts[0].pk, payment.pk],
    }
