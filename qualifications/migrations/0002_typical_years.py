from django.db import migrations, models


def usual_lengths(apps, schema_editor):
    """Nationals of 360 GLH or more are usually taken over Years 12 and 13; Tech Awards over
    Years 10 and 11. Editable per qualification in the admin; a cohort can differ."""
    Qualification = apps.get_model("qualifications", "Qualification")
    Qualification.objects.filter(grading_scheme="nationals", glh__gte=360).update(typical_years=2)
    Qualification.objects.filter(grading_scheme="tech_award").update(typical_years=2)


class Migration(migrations.Migration):
    dependencies = [("qualifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="qualification",
            name="typical_years",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text=(
                    "How long a cohort usually takes: 2 for a National taken over Years 12 and 13"
                ),
                verbose_name="usual length (academic years)",
            ),
        ),
        migrations.RunPython(usual_lengths, migrations.RunPython.noop),
    ]
