"""manage.py import_certificates FILE --centre NNNNN [--received DD/MM/YYYY] [--commit]

A certificates file from Pearson (CSV or XLSX). A preview by default: every problem (row,
column, reason) and a summary; nothing is written. With --commit a clean file becomes one
batch, checked against the submitted claims, in one transaction. Exits 1 on any problem.
"""

import datetime as dt
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from centres.models import Centre
from certification import services_import as services


class Command(BaseCommand):
    help = "Import a certificates file from Pearson (preview; --commit to write)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--centre", required=True, help="Pearson centre number, e.g. 12345")
        parser.add_argument(
            "--received", default="", help="Date received, DD/MM/YYYY (default today)"
        )
        parser.add_argument("--commit", action="store_true", help="Write it (default: preview)")
        parser.add_argument(
            "--user", default="", help="Who records it (default: the only superuser)"
        )

    def handle(self, *args, **o):
        centre = Centre.objects.filter(number=o["centre"].strip()).first()
        if centre is None:
            raise CommandError(f"No centre number {o['centre']}.")
        try:
            received = (
                dt.datetime.strptime(o["received"], "%d/%m/%Y").date()
                if o["received"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError(f"--received {o['received']}: give a date as DD/MM/YYYY.") from None
        if received > timezone.localdate():
            raise CommandError(
                f"--received {o['received']}: the certificates cannot be received after today."
            )
        try:
            data = Path(o["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {o['file']}: {exc}") from None
        name = Path(o["file"]).name
        preview = services.read_certificates_file(data, centre, file_name=name)
        if not preview.ok:
            problems = preview.problems
            for p in problems:
                self.stdout.write(str(p))
            self.stdout.write(
                f"{len(preview.rows)} row(s) read, {len(problems)} problem(s): nothing was written."
            )
            sys.exit(1)
        summary = f"{len(preview.rows)} certificate(s) read."
        if not o["commit"]:
            self.stdout.write(f"Preview: {summary} Nothing written; run again with --commit.")
            return
        user = self._user(o["user"])
        batch = services.write_certificates(
            preview, centre, by=user, received_on=received, file_name=name
        )
        self.stdout.write(f"Imported: {summary} {batch.exceptions.count()} difference(s) found.")

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
