from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import backups


class Command(BaseCommand):
    help = (
        "Restore a backup (made by `backup`) into a fresh, empty database and media folder: "
        "point DATABASE_URL and MEDIA_ROOT at them first. --database-only leaves media storage "
        "(and the checkpoint in it) as it is, for when only the database was lost. Then run "
        "verify_audit_trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR")
        parser.add_argument("--database-only", action="store_true")

    def handle(self, *args, folder, database_only=False, **options):
        try:
            done = backups.restore(Path(folder), database_only=database_only)
        except backups.BackupError as exc:
            raise CommandError(f"Restore failed: {exc}") from None
        for line in done:
            self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("Restored. Now run: manage.py verify_audit_trail"))
