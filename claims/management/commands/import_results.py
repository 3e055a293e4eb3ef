"""manage.py import_results FILE --centre NNNNN [--commit] [--user NAME]

Pearson's results file for external units (CSV or XLSX). A preview by default: every
problem (row, column, reason) and a summary; nothing is written. With --commit a clean
file is written in one transaction. Exits 1 when there is any problem (nothing written).
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from centres.models import Centre
from claims import services_results as services
from claims.services_results import CHANGE, UNCHANGED


class Command(BaseCommand):
    help = "Import Pearson's results file for external units (preview; --commit to write)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--centre", required=True, help="Pearson centre number, e.g. 12345")
        parser.add_argument("--commit", action="store_true", help="Write it (default: preview)")
        parser.add_argument(
            "--user", default="", help="Who imports it (default: the only superuser)"
        )

    def handle(self, *args, **o):
        centre = Centre.objects.filter(number=o["centre"].strip()).first()
        if centre is None:
            raise CommandError(f"No centre number {o['centre']}.")
        try:
            data = Path(o["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc}") from None
        name = Path(o["file"]).name
        preview = services.read_results_file(data, centre, file_name=name)
        new = sum(1 for r in preview.rows if r.effect == CHANGE)
        same = sum(1 for r in preview.rows if r.effect == UNCHANGED)
        if not preview.ok:
            problems = preview.problems
            for p in problems:
                self.stdout.write(str(p))
            self.stdout.write(
                f"{len(preview.rows)} row(s) read, {len(problems)} problem(s): nothing was written."
            )
            sys.exit(1)
        summary = (
            f"{len(preview.rows)} row(s) read: {new} result(s) new or changed, {same} unchanged."
        )
        if not o["commit"]:
            self.stdout.write(f"Preview: {summary} Nothing written; run again with --commit.")
            return
        user = self._user(o["user"])
        written = services.write_results(preview, centre, by=user, source=name)
        self.stdout.write(f"Imported: {summary} {written} result(s) written.")

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
