"""Seal what is already stored: each organisation's custody events in the order they
happened, and each fund's ledger (receipts and disbursements) by date."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

# The fields hashed, as in the models' chain_fields when this was written.
EVENT = (
    "id",
    "kind",
    "organisation_id",
    "counterparty_id",
    "occurred_on",
    "operation",
    "site_id",
    "loss_fine_g",
    "note",
    "recorded_by_id",
    "recorded_at",
)
RECEIPT = ("id", "fund_id", "sale_id", "amount", "received_on", "note")
DISBURSEMENT = ("id", "fund_id", "project_id", "amount", "paid_on", "note", "recorded_by_id")


def seal(apps, schema_editor):
    from batea.integrity.chains import seal_existing

    head = apps.get_model("integrity", "ChainHead")
    project = apps.get_model("custody", "PlanProject")
    event = apps.get_model("custody", "CustodyEvent")
    receipt = apps.get_model("custody", "PremiumReceipt")
    disbursement = apps.get_model("custody", "Disbursement")
    fund_of_project = project.objects.filter(pk=OuterRef("project_id")).values("plan__fund_id")
    disbursement.objects.update(fund_id=Subquery(fund_of_project))
    seal_existing(head, "custody", "organisation_id", [(event, EVENT, ("occurred_on", "recorded_at"))])
    seal_existing(
        head,
        "premium",
        "fund_id",
        [(receipt, RECEIPT, ("received_on",)), (disbursement, DISBURSEMENT, ("paid_on",))],
    )


class Migration(migrations.Migration):
    dependencies = [("custody", "0002_chain_fields")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
