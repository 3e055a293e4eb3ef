"""The nightly MIS sync: the same import as the exams officer's page, from the command line.

    python manage.py import_learners FILE --centre 40001                 # dry run
    python manage.py import_learners FILE --centre 40001 --commit        # apply
    python manage.py import_learners FILE --centre 40001 --kind class_list --cohort 12 --commit

A dry run prints each error as ``row N, column C: reason`` and exits 1 when anything is
refused; ``--commit`` applies the file (all or nothing) and still exits 1 on any error.
Learners missing from a full learner file are marked as leavers unless ``--keep-leavers``
(a nightly sync sends the whole roll; the upload page asks, and does not by default).
The column mapping is the centre's remembered one, or ``--mapping FILE.json``
(``{"heading": "field", ...}``, field ``ignore`` to skip a column).
"""

import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from centres.models import Centre
from learners import imports
from learners.models import Cohort


class Command(BaseCommand):
    help = (
        "Import learners or a class list from an MIS export (CSV or XLSX). Dry run unless --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the MIS export, CSV or XLSX")
        parser.add_argument("--centre", required=True, help="the five-digit centre number")
        parser.add_argument("--kind", choices=imports.KINDS, default=imports.LEARNERS)
        parser.add_argument(
            "--mapping", help='a JSON file {"heading": "field"} on top of the remembered mapping'
        )
        parser.add_argument(
            "--cohort", "--programme", dest="cohort", type=int, help="the cohort's id (class lists)"
        )
        parser.add_argument(
            "--user", help="the username to record as the actor (default: the system)"
        )
        parser.add_argument(
            "--keep-leavers",
            action="store_true",
            help="do not mark learners missing from the file as leavers",
        )
        parser.add_argument(
            "--commit", action="store_true", help="apply the import (default: dry run)"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        centre = Centre.objects.filter(number=options["centre"]).first()
        if centre is None:
            raise CommandError(f"no centre numbered {options['centre']}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']}")
        mapping = self._mapping(options["mapping"])
        cohort = None
        if options["cohort"] is not None:
            cohort = (
                Cohort.objects.select_related("centre", "qualification")
                .filter(pk=options["cohort"])
                .first()
            )
            if cohort is None:
                raise CommandError(f"no cohort with id {options['cohort']}")

        with path.open("rb") as fh:
            preview = imports.preview_import(
                centre=centre,
                kind=options["kind"],
                uploaded_file=fh,
                file_name=path.name,
                user=user,
                mapping=mapping,
                cohort=cohort,
                mark_leavers=not options["keep_leavers"],
            )
        self._report(preview)
        if not preview.ok:
            self._refuse(len(preview.errors))
        if not options["commit"]:
            self.stdout.write("Dry run: nothing was written. Run again with --commit to apply it.")
            return
        try:
            done = imports.commit_import(preview.import_obj, user)
        except imports.ImportRefused as exc:
            for problem in exc.problems:
                self.stdout.write(str(problem))
            self._refuse(len(exc.problems))
        self.stdout.write(
            self.style.SUCCESS(f"Committed import #{done.import_obj.pk}: {self._summary(done)}.")
        )

    def _mapping(self, name):
        if not name:
            return None
        try:
            mapping = json.loads(Path(name).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{name}: not a readable JSON file ({exc})") from None
        if not isinstance(mapping, dict):
            raise CommandError(f'{name}: expected an object {{"heading": "field", ...}}')
        allowed = set(imports.FIELD_LABELS) | {imports.IGNORE}
        bad = {k: v for k, v in mapping.items() if v not in allowed}
        if bad:
            raise CommandError(
                f"{name}: unknown fields {bad}; use one of {', '.join(sorted(allowed))}"
            )
        return mapping

    def _summary(self, preview):
        c = preview.counts
        if preview.kind == imports.CLASS_LIST:
            parts = [
                f"{c['rows']} rows",
                f"{c['add']} to add",
                f"{c['unchanged']} unchanged",
                f"{c['groups_created']} groups to create",
            ]
        else:
            parts = [
                f"{c['rows']} rows",
                f"{c['create']} to create",
                f"{c['update']} to update",
                f"{c['unchanged']} unchanged",
                f"{c['leaver']} leavers",
            ]
            if c.get("no_sex"):
                parts.append(f"{c['no_sex']} with no sex (flagged: needed before the Pearson file)")
        return ", ".join(parts)

    def _report(self, preview):
        self.stdout.write(
            f"{preview.file_name} ({preview.file_type or 'refused'}): {self._summary(preview)}; "
            f"{len(preview.errors)} errors, {len(preview.warnings)} warnings."
        )
        if preview.counts["columns_not_stored"]:
            self.stdout.write(
                "Recognised, not stored: " + ", ".join(preview.counts["columns_not_stored"])
            )
        if preview.counts["columns_unknown"]:
            self.stdout.write(
                "Columns not recognised (ignored): " + ", ".join(preview.counts["columns_unknown"])
            )
        for note in preview.notes:
            self.stdout.write(note)
        for problem in preview.errors:
            self.stdout.write(str(problem))
        for problem in preview.warnings:
            self.stdout.write(f"warning: {problem}")

    def _refuse(self, n):
        self.stderr.write(f"Refused: {n} error{'s' if n != 1 else ''}; nothing was written.")
        sys.exit(1)
