"""Every custody event, receipt and disbursement is sealed: one per place in its chain;
a disbursement always names its fund."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("custody", "0003_seal_history")]

    operations = [
        migrations.AlterField(
            model_name="disbursement",
            name="fund",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disbursements",
                to="custody.premiumfund",
            ),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, verbose_name="position in its chain"
            ),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="chain_prev",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="chain_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="custodyevent",
            constraint=models.UniqueConstraint(
                fields=("organisation", "chain_seq"), name="custody_event_one_per_chain_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="custodyevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("chain_seq__gte", 1),
                    models.Q(("chain_prev", ""), _negated=True),
                    models.Q(("chain_hash", ""), _negated=True),
                ),
                name="custody_event_sealed",
            ),
        ),
        migrations.AlterField(
            model_name="premiumreceipt",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, verbose_name="position in its chain"
            ),
        ),
        migrations.AlterField(
            model_name="premiumreceipt",
            name="chain_prev",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="premiumreceipt",
            name="chain_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="premiumreceipt",
            constraint=models.UniqueConstraint(
                fields=("fund", "chain_seq"), name="premium_receipt_one_per_chain_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="premiumreceipt",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("chain_seq__gte", 1),
                    models.Q(("chain_prev", ""), _negated=True),
                    models.Q(("chain_hash", ""), _negated=True),
                ),
                name="premium_receipt_sealed",
            ),
        ),
        migrations.AlterField(
            model_name="disbursement",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, verbose_name="position in its chain"
            ),
        ),
        migrations.AlterField(
            model_name="disbursement",
            name="chain_prev",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="disbursement",
            name="chain_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="disbursement",
            constraint=models.UniqueConstraint(
                fields=("fund", "chain_seq"), name="disbursement_one_per_chain_place"
            ),
        ),
        migrations.AddConstraint(
            model_name="disbursement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("chain_seq__gte", 1),
                    models.Q(("chain_prev", ""), _negated=True),
                    models.Q(("chain_hash", ""), _negated=True),
                ),
                name="disbursement_sealed",
            ),
        ),
    ]
