"""Seal the decisions already stored, per certificate, in the order they were made."""

from django.db import migrations

# The fields hashed, as in CertificationDecision.chain_fields when this was written.
FIELDS = ("id", "certificate_id", "action", "reason", "decided_by_id", "decided_on", "created_at")


def seal(apps, schema_editor):
    from batea.integrity.chains import seal_existing

    decision = apps.get_model("certification", "CertificationDecision")
    head = apps.get_model("integrity", "ChainHead")
    seal_existing(head, "decision", "certificate_id", [(decision, FIELDS, ("created_at",))])


class Migration(migrations.Migration):
    dependencies = [("certification", "0002_chain_fields")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
