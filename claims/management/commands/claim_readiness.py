"""Print each learner of a cohort with its claim blockers, or "ready"; exit 1 if any is not."""

import re
import sys

from django.core.management.base import BaseCommand, CommandError

from btecqa.validators import academic_year_problem
from centres.models import Centre
from claims.selectors import claim_readiness, final_year
from learners.models import Cohort
from qualifications.models import Qualification


class Command(BaseCommand):
    help = (
        "Claim readiness of one cohort: one line per learner, its ULN and either its "
        "blockers or 'ready'. Exits 1 when any learner is not ready."
    )

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True, help="Pearson centre number, e.g. 12345")
        parser.add_argument("--qualification", required=True, help="e.g. 601/7159/5")
        parser.add_argument("--cohort", required=True, help="The year it starts, e.g. 2026/27")
        parser.add_argument("--year", help="The claim's academic year (default: the last)")
        parser.add_argument("--interim", action="store_true", help="An interim (unit) claim")

    def handle(self, *args, centre, qualification, cohort, year=None, interim=False, **opts):
        found = Centre.objects.filter(number=centre.strip()).first()
        if found is None:
            raise CommandError(f"No centre number {centre}.")
        digits = re.sub(r"[^0-9A-Za-z]", "", qualification).upper()
        number = (
            f"{digits[:3]}/{digits[3:7]}/{digits[7]}" if len(digits) == 8 else qualification.strip()
        )
        qual = Qualification.objects.filter(number=number).first()
        if qual is None:
            raise CommandError(f"No qualification {qualification} in the catalogue.")
        if problem := academic_year_problem(cohort.strip()):
            raise CommandError(f"--cohort {cohort}: {problem}")
        chosen = Cohort.objects.filter(
            centre=found, qualification=qual, start_year=cohort.strip()
        ).first()
        if chosen is None:
            starts = (
                ", ".join(
                    Cohort.objects.filter(centre=found, qualification=qual).values_list(
                        "start_year", flat=True
                    )
                )
                or "none"
            )
            raise CommandError(
                f"No {qual.number} cohort starting {cohort} at centre {found.number} "
                f"(cohorts starting: {starts})."
            )
        if year and (problem := academic_year_problem(year)):
            raise CommandError(f"--year {year}: {problem}")
        if year and not chosen.start_year <= year <= final_year(chosen):
            raise CommandError(
                f"--year {year}: the cohort starting {chosen.start_year} is taught from "
                f"{chosen.start_year} to {final_year(chosen)}; give one of those years."
            )
        result = claim_readiness(chosen, year or final_year(chosen), interim=interim)
        for learner in result.learners:
            self.stdout.write(learner.line())
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        for learner in result.learners:
            for warning in learner.warnings:
                self.stderr.write(f"{learner.uln or 'no ULN'}  warning: {warning}")
        self.stdout.write(
            f"{result.ready_count} of {len(result.learners)} ready; claim deadline "
            f"{result.deadline:%d/%m/%Y} ({result.days_left} days)."
        )
        if not result.all_ready:
            sys.exit(1)
