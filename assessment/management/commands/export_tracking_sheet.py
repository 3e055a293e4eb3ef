"""manage.py export_tracking_sheet --centre NNNNN --qualification 601/7159/5 --cohort 2026/27
--out FILE.xlsx [--group NAME]: the tracking sheet, as the page downloads it."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessment import services_tracking as services
from learners.models import Cohort


def find_cohort(centre: str, qualification: str, start_year: str) -> Cohort:
    cohort = (
        Cohort.objects.select_related("centre", "qualification__family")
        .filter(centre__number=centre, qualification__number=qualification, start_year=start_year)
        .first()
    )
    if cohort is None:
        raise CommandError(
            f"No cohort of {qualification} starting {start_year} at centre {centre}."
        )
    return cohort


class Command(BaseCommand):
    help = "Write a cohort's tracking sheet (unit grades, points, estimated grade) as XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True)
        parser.add_argument("--qualification", required=True)
        parser.add_argument("--cohort", required=True, help="The start year, e.g. 2026/27")
        parser.add_argument("--group", default="", help="One teaching group's name")
        parser.add_argument("--out", required=True)

    def handle(self, *args, **o):
        cohort = find_cohort(o["centre"], o["qualification"], o["cohort"])
        group = None
        if o["group"]:
            group = cohort.teaching_groups.filter(name=o["group"]).first()
            if group is None:
                raise CommandError(f"No teaching group {o['group']} in {cohort}.")
        out = o["out"]
        check_writable(out)  # before the work of building the sheet
        data = services.export_xlsx(cohort, group=group)
        try:
            with open(out, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror or exc}.") from None
        self.stdout.write(f"Wrote {out}.")


def check_writable(out: str) -> None:
    """A CommandError naming the reason when `out` cannot be written (no traceback)."""
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        raise CommandError(f"Cannot write {out}: it is a directory; give a file name.")
    if not folder.exists():
        raise CommandError(
            f"Cannot write {out}: the directory {folder} does not exist; create it first or "
            "choose another --out."
        )
    if not folder.is_dir():
        raise CommandError(f"Cannot write {out}: {folder} is not a directory.")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(
            f"Cannot write {out}: you cannot write to the directory {folder} (or the file); "
            "choose another --out."
        )
