from django.db import migrations, models
from django.db.models import F


def flag_existing_groups(apps, schema_editor):
    """Groups that already hold learners of another centre (a consortium) are flagged."""
    TeachingGroup = apps.get_model("learners", "TeachingGroup")
    Membership = TeachingGroup.learners.through
    visiting = (
        Membership.objects.exclude(learner__centre_id=F("teachinggroup__cohort__centre_id"))
        .values_list("teachinggroup_id", flat=True)
        .distinct()
    )
    TeachingGroup.objects.filter(pk__in=list(visiting)).update(visiting_learners=True)


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0007_imports_framework"),
    ]

    operations = [
        migrations.AddField(
            model_name="teachinggroup",
            name="visiting_learners",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Whether it holds learners of a centre other than the cohort's (a consortium)",
            ),
        ),
        migrations.RunPython(flag_existing_groups, migrations.RunPython.noop),
    ]
