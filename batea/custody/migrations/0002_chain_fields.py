"""Custody events, premium receipts and disbursements get the fields of their hash chains
(filled in 0003); a disbursement names its fund, whose ledger chain it joins."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CHAINED = ("custodyevent", "premiumreceipt", "disbursement")


def chain_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, verbose_name="position in its chain"
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name=model_name,
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("custody", "0001_initial"),
        ("integrity", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *[op for name in CHAINED for op in chain_fields(name)],
        migrations.AddField(
            model_name="disbursement",
            name="fund",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disbursements",
                to="custody.premiumfund",
            ),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="recorded_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="custodyevent",
            name="recorded_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="disbursement",
            name="recorded_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
