"""Load Pearson's yearly registration facts from registrations/year_data/*.json (or a file)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from btecqa.validators import academic_year_problem
from qualifications.models import QualificationFamily
from registrations.models import FamilyDeadline, RegistrationYear

DATA = Path(__file__).resolve().parents[2] / "year_data"
FAMILY_FIELDS = ["registration_deadline", "fee_bands", "source", "unconfirmed"]
FIELDS = [
    "registration_deadline",
    "fee_bands",
    "refund_window_days",
    "claim_gap_weeks",
    "source",
    "unconfirmed",
]


class Command(BaseCommand):
    help = "Load or update the yearly registration figures (deadline, fee bands, refund window)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="JSON files; default: the shipped years")

    @transaction.atomic
    def handle(self, *args, files, **options):
        paths = [Path(f) for f in files] or sorted(DATA.glob("*.json"))
        for path in paths:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                values = {f: data[f] for f in FIELDS if f in data}
                if problem := academic_year_problem(data["academic_year"]):
                    raise ValueError(problem)
                year = RegistrationYear(academic_year=data["academic_year"], **values)
                year.full_clean(validate_unique=False)
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            except Exception as exc:  # ValidationError: name the field
                raise CommandError(f"{path}: {exc}") from exc
            year, _ = RegistrationYear.objects.update_or_create(
                academic_year=data["academic_year"], defaults=values
            )
            for item in data.get("family_deadlines", []):
                self._family_deadline(path, year, item)
            self.stdout.write(f"{data['academic_year']}: loaded from {path.name}")

    def _family_deadline(self, path, year, item):
        """One family's own deadline this year ("family" is the family's code)."""
        code = item.get("family", "")
        family = QualificationFamily.objects.filter(code=code).first()
        if family is None:
            known = ", ".join(QualificationFamily.objects.values_list("code", flat=True))
            raise CommandError(
                f"{path}: family_deadlines: no qualification family '{code}' (known: {known})."
            )
        values = {f: item[f] for f in FAMILY_FIELDS if f in item}
        row = FamilyDeadline(year=year, family=family, **values)
        try:
            row.full_clean(validate_unique=False)
        except Exception as exc:  # ValidationError: name the family and the field
            raise CommandError(f"{path}: family_deadlines '{code}': {exc}") from exc
        FamilyDeadline.objects.update_or_create(year=year, family=family, defaults=values)
