"""Every decision is sealed: one per place in its certificate's chain."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("certification", "0003_seal_decisions")]

    operations = [
        migrations.AlterField(
            model_name="certificationdecision",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, verbose_name="position in its chain"
            ),
        ),
        migrations.AlterField(
            model_name="certificationdecision",
            name="chain_prev",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="certificationdecision",
            name="chain_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="certificationdecision",
            constraint=models.UniqueConstraint(
                fields=("certificate", "chain_seq"),
                name="certification_decision_one_per_chain_place",
            ),
        ),
        migrations.AddConstraint(
            model_name="certificationdecision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("chain_seq__gte", 1),
                    models.Q(("chain_prev", ""), _negated=True),
                    models.Q(("chain_hash", ""), _negated=True),
                ),
                name="certification_decision_sealed",
            ),
        ),
    ]
