"""An agreed extension records its reason, who agreed it and when (domain.md 3.5).

Nothing in the app set an extension date before this (the admin is read-only), but a row
edited by hand may have one: it gets a placeholder reason, so the new constraint "an
extension has a reason" holds for every row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PLACEHOLDER = "Not recorded (agreed before reasons were kept)."


def reasons_for_earlier_extensions(apps, schema_editor):
    Submission = apps.get_model("assessment", "Submission")
    Submission.objects.filter(extension_to__isnull=False, extension_reason="").update(
        extension_reason=PLACEHOLDER
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0004_decisions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="extension_agreed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="extension_agreed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="submission",
            name="extension_reason",
            field=models.CharField(
                blank=True,
                help_text="Why the extension was agreed (e.g. illness); required with the date",
                max_length=300,
                verbose_name="reason for the extension",
            ),
        ),
        migrations.RunPython(reasons_for_earlier_extensions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=models.Q(("extension_to__isnull", True))
                | ~models.Q(("extension_reason", "")),
                name="submission_extension_has_a_reason",
            ),
        ),
    ]
