"""Room for the keyed chain and the personal details held apart (the data moves in 0004)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditEventDetail",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        db_column="seq",
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="detail",
                        serialize=False,
                        to="audit.auditevent",
                        to_field="seq",
                    ),
                ),
                ("salt", models.CharField(blank=True, editable=False, max_length=32)),
                ("learner_repr", models.CharField(blank=True, editable=False, max_length=200)),
                ("object_repr", models.CharField(blank=True, editable=False, max_length=300)),
                ("before", models.TextField(blank=True, editable=False)),
                ("after", models.TextField(blank=True, editable=False)),
                ("erased_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "erased_by_seq",
                    models.PositiveBigIntegerField(blank=True, editable=False, null=True),
                ),
            ],
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="details_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", editable=False, max_length=16),
            preserve_default=False,
        ),
    ]
