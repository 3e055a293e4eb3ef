"""Load Pearson's yearly registration facts from registrations/year_data/*.json (or a file)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from btecqa.validators import academic_year_problem
from registrations.models import RegistrationYear

DATA = Path(__file__).resolve().parents[2] / "year_data"
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
            RegistrationYear.objects.update_or_create(
                academic_year=data["academic_year"], defaults=values
            )
            self.stdout.write(f"{data['academic_year']}: loaded from {path.name}")
