"""Registrations, entry requests, entry lists, discrepancies and changes are on a cohort.

A registration belongs to its cohort for the whole length of it, and records the round
whose entry list first entered it (the later rounds list it as continuing). Entry requests
and lists are now one per cohort per round, instead of one per programme.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0003_alter_registration_optional_units"),
        ("learners", "0005_cohorts"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="registration", name="one_live_registration_per_learner_programme"
        ),
        migrations.RemoveIndex(model_name="registration", name="registratio_program_c05f1b_idx"),
        migrations.RenameField("registration", "programme", "cohort"),
        migrations.RenameField("entryrequest", "programme", "cohort"),
        migrations.RenameField("entrylist", "programme", "cohort"),
        migrations.RenameField("discrepancy", "programme", "cohort"),
        migrations.RenameField("changerequest", "programme", "cohort"),
        migrations.RenameField("changerequest", "to_programme", "to_cohort"),
    ]
