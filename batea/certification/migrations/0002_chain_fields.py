"""Certification decisions get the fields of their hash chain (filled in 0003)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0001_initial"),
        ("integrity", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificationdecision",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, verbose_name="position in its chain"
            ),
        ),
        migrations.AddField(
            model_name="certificationdecision",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="certificationdecision",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="certificationdecision",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
    ]
