"""manage.py import_tracking_sheet FILE --centre NNNNN --qualification 601/7159/5
--cohort 2026/27 [--commit] [--user NAME]

A dry run by default: says what would change. With --commit everything is written in one
transaction. When any row or cell is refused it lists each problem (row, column, reason),
writes nothing and exits 1.
"""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessment import services_tracking as services
from tabular.problems import FileRefused

from .export_tracking_sheet import find_cohort


class Command(BaseCommand):
    help = "Import unit grades or criteria from a school's tracking spreadsheet (XLSX or CSV)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--centre", required=True)
        parser.add_argument("--qualification", required=True)
        parser.add_argument("--cohort", required=True, help="The start year, e.g. 2026/27")
        parser.add_argument("--commit", action="store_true", help="Write it (default: dry run)")
        parser.add_argument(
            "--user", default="", help="Who imports it (default: the only superuser)"
        )

    def handle(self, *args, **o):
        cohort = find_cohort(o["centre"], o["qualification"], o["cohort"])
        try:
            with open(o["file"], "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc}") from None
        try:
            preview = services.read_tracking_file(data, cohort, file_name=o["file"])
        except FileRefused as exc:
            self.stderr.write(str(exc.problem))
            sys.exit(1)
        if not preview.ok:
            for p in preview.problems:
                self.stderr.write(str(p))
            self.stderr.write(f"{len(preview.problems)} problem(s): nothing was written.")
            sys.exit(1)
        if not o["commit"]:
            self.stdout.write(
                f"Dry run: {len(preview.rows)} rows read, {preview.changes} learner(s) would "
                "change. Nothing written; run again with --commit."
            )
            return
        user = self._user(o["user"])
        changed = services.write_tracking_import(preview, cohort, by=user, source=o["file"])
        self.stdout.write(f"Imported: {changed} learner(s) changed.")

    def _user(self, name):
        User = get_user_model()
        if name:
            user = User.objects.filter(username=name).first()
            if user is None:
                raise CommandError(f"No user {name}.")
            return user
        supers = list(User.objects.filter(is_superuser=True)[:2])
        if len(supers) != 1:
            raise CommandError("Say who imports it with --user.")
        return supers[0]
