"""manage.py export_tracking_sheet --centre NNNNN --qualification 601/7159/5 --cohort 2026/27
--out FILE.xlsx [--group NAME]: the tracking sheet, as the page downloads it."""

from django.core.management.base import BaseCommand, CommandError

from assessment import services_tracking as services
from learners.models import Cohort


def find_cohort(centre: str, qualification: str, start_year: str) -> Cohort:
    cohort = (
        Cohort.objects.select_related("centre", "qualification")
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
        data = services.export_xlsx(cohort, group=group)
        with open(o["out"], "wb") as fh:
            fh.write(data)
        self.stdout.write(f"Wrote {o['out']}.")
