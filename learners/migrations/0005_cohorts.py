"""Programmes become cohorts that run over several academic years.

Each existing programme (a qualification at a centre in one academic year) becomes a
cohort starting in that year, running for its qualification's usual length (two years for
an Extended Certificate taken over Years 12 and 13). Each teaching group is taught in the
cohort's first year. Registrations, entry requests and lists follow the rename in
registrations/0004.
"""

from django.db import migrations, models


def first_year_groups(apps, schema_editor):
    TeachingGroup = apps.get_model("learners", "TeachingGroup")
    for group in TeachingGroup.objects.select_related("cohort").order_by():
        group.academic_year = group.cohort.start_year
        group.save(update_fields=["academic_year"])


def usual_length(apps, schema_editor):
    Cohort = apps.get_model("learners", "Cohort")
    for cohort in Cohort.objects.select_related("qualification").order_by():
        cohort.years = cohort.qualification.typical_years
        cohort.save(update_fields=["years"])


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0004_remove_learningaim_unit_and_more"),
        ("qualifications", "0002_typical_years"),
        ("centres", "0004_alter_arrangementqualification_qualification_and_more"),
        ("registrations", "0003_alter_registration_optional_units"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="programme", name="one_programme_per_qualification_year"
        ),
        migrations.RemoveConstraint(model_name="programme", name="academic_year_format"),
        migrations.RemoveConstraint(
            model_name="teachinggroup", name="group_name_unique_in_programme"
        ),
        migrations.RenameModel("Programme", "Cohort"),
        migrations.RenameField("cohort", "academic_year", "start_year"),
        migrations.RenameField("teachinggroup", "programme", "cohort"),
        migrations.AddField(
            model_name="cohort",
            name="years",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="How many academic years it runs (2 for Years 12 and 13)"
            ),
        ),
        migrations.AddField(
            model_name="teachinggroup",
            name="academic_year",
            field=models.CharField(
                default="",
                help_text="The year it is taught in, e.g. 2027/28 for a cohort's second",
                max_length=7,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(first_year_groups, migrations.RunPython.noop),
        migrations.RunPython(usual_length, migrations.RunPython.noop),
    ]
