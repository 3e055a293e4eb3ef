"""Load the shipped qualification structures and grading tables (catalogue_data/). Re-runnable."""

from django.core.management.base import BaseCommand

from qualifications.catalogue import load_shipped_qualifications


class Command(BaseCommand):
    help = (
        "Create or update the shipped BTEC qualification structures and grading tables; "
        "re-running changes nothing."
    )

    def handle(self, *args, **options):
        from assessment.services_tech_award import load_shipped_tech_awards

        # The Nationals, then the Tech Awards (kept apart: marks, not criteria; their series).
        results = load_shipped_qualifications() + load_shipped_tech_awards()
        for r in results:
            q = r.qualification
            detail = ", ".join(f"{what.lower()}: {n}" for what, n in r.summary)
            line = f"{r.status:9} {q.number}  {q.title}"
            if r.created:
                line += f" ({q.units.count()} units)"
            elif detail:
                line += f" ({detail})"
            style = self.style.SUCCESS if r.changed else (lambda s: s)
            self.stdout.write(style(line))
            for table in r.kept_grading:
                self.stdout.write(f"          kept as changed in the admin: {table}")
        created = sum(r.created for r in results)
        updated = sum(r.changed and not r.created for r in results)
        unchanged = len(results) - created - updated
        self.stdout.write(f"{created} created, {updated} updated, {unchanged} unchanged.")
