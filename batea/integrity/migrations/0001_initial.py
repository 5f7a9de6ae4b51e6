import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, primary_key=True, serialize=False)),
                ("chain", models.CharField(max_length=80, unique=True, verbose_name="chain")),
                ("seq", models.PositiveBigIntegerField(default=0, verbose_name="records")),
                (
                    "last_hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                        verbose_name="last hash",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "chain head",
                "verbose_name_plural": "chain heads",
                "ordering": ["chain"],
            },
        ),
    ]
