"""Registration-number imports stand on the import framework (tabular.ImportRecord).

Their rows move from a JSON column (every row in the database) to the rows log kept in
the file storage, one gzipped JSON line a row, as the MIS import keeps its rows: each
existing import's rows are written to imports/logs/registrationnumberimport-<id>.rows.jsonl.gz
(counts["log"], with its SHA-256), then the column is dropped. The file itself is kept
from now on (stored_file); uploaded_by becomes optional like every import record's.
"""

import gzip
import hashlib
import io
import json

import django.db.models.deletion
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations, models

LEFT_OVER = ("unmatched", "conflict")


def _line(row: dict) -> dict:
    problems = [
        [p.get("column", ""), p.get("value", ""), p.get("reason", "")]
        for p in row.get("problems", [])
    ]
    why = problems.pop() if row.get("outcome") in LEFT_OVER and problems else None
    line = {
        "e": row.get("outcome", "error"),
        "p": 1 if problems or why else 0,
        "row": row.get("row"),
        "number": row.get("registration_number", ""),
        "learner_id": row.get("learner_id"),
        "learner": row.get("learner", ""),
        "ids": row.get("identifiers", ""),
        "by": row.get("matched_by", ""),
        "reg": row.get("registration_id"),
        "cohort": row.get("programme", ""),
        "values": row.get("values", {}),
    }
    if problems:
        line["errors"] = problems
    if why:
        line["why"] = why
    return line


def rows_to_logs(apps, schema_editor):
    Import = apps.get_model("registrations", "RegistrationNumberImport")
    for imp in Import.objects.exclude(rows=[]).iterator():
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
            for row in imp.rows:
                gz.write((json.dumps(_line(row), separators=(",", ":")) + "\n").encode())
        data = out.getvalue()
        name = default_storage.save(
            f"imports/logs/registrationnumberimport-{imp.pk}.rows.jsonl.gz", ContentFile(data)
        )
        counts = dict(imp.counts or {})
        counts["log"], counts["log_sha256"] = name, hashlib.sha256(data).hexdigest()
        counts.setdefault("settings", {})["names"] = counts.get("columns", {})
        imp.counts = counts
        imp.save(update_fields=["counts"])


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0005_cohorts_after"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(rows_to_logs, migrations.RunPython.noop),
        migrations.RemoveField(model_name="registrationnumberimport", name="rows"),
        migrations.AddField(
            model_name="registrationnumberimport",
            name="stored_file",
            field=models.FileField(blank=True, upload_to="imports/%Y/%m/"),
        ),
        migrations.AlterField(
            model_name="registrationnumberimport",
            name="file_sha256",
            field=models.CharField(db_index=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="registrationnumberimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("previewed", "Previewed"),
                    ("applied", "Applied"),
                    ("refused", "Refused"),
                ],
                default="previewed",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="registrationnumberimport",
            name="uploaded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
