from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain; exit non-zero naming the first broken event."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(str(result), returncode=2)
        self.stdout.write(self.style.SUCCESS(str(result)))
