"""The import framework (tabular/): column mappings move there, learners get a search name
and may have no sex yet.

* ColumnMapping moves to tabular.ColumnMapping (any import kind); its rows are copied.
* Learner.search_name: the names through the one name normaliser (tabular.names), filled
  here for every learner and kept on every write since; learner search and matching
  compare it, so "Zoe" finds Zoë and a curly apostrophe finds O'Neill.
* Learner.sex may be blank: a file without a Sex column imports its learners, flagged.
* LearnerImport takes its common fields from tabular.ImportRecord (created_at editable,
  uploaded_by optional).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tabular.names import normalise_name


def copy_mappings(apps, schema_editor):
    Old = apps.get_model("learners", "ColumnMapping")
    New = apps.get_model("tabular", "ColumnMapping")
    New.objects.bulk_create(
        New(centre_id=m.centre_id, kind=m.kind, mapping=m.mapping, updated_at=m.updated_at)
        for m in Old.objects.all()
    )


def copy_mappings_back(apps, schema_editor):
    Old = apps.get_model("learners", "ColumnMapping")
    New = apps.get_model("tabular", "ColumnMapping")
    Old.objects.bulk_create(
        Old(centre_id=m.centre_id, kind=m.kind, mapping=m.mapping)
        for m in New.objects.filter(kind__in=("learners", "class_list"))
    )


def fill_search_names(apps, schema_editor):
    Learner = apps.get_model("learners", "Learner")
    batch = []
    for learner in Learner.objects.only("pk", "last_name", "first_name", "preferred_name").iterator(
        chunk_size=2000
    ):
        names = (learner.last_name, learner.first_name, learner.preferred_name)
        learner.search_name = " / ".join(normalise_name(n) for n in names)[:400]
        batch.append(learner)
        if len(batch) == 1000:
            Learner.objects.bulk_update(batch, ["search_name"])
            batch = []
    if batch:
        Learner.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("learners", "0006_cohorts_after"),
        ("tabular", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="learner",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=400),
        ),
        migrations.AlterField(
            model_name="learner",
            name="sex",
            field=models.CharField(
                blank=True, choices=[("F", "Female"), ("M", "Male")], max_length=1
            ),
        ),
        migrations.AlterField(
            model_name="learnerimport",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name="learnerimport",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_search_names, migrations.RunPython.noop),
        migrations.RunPython(copy_mappings, copy_mappings_back),
        migrations.DeleteModel(name="ColumnMapping"),
    ]
