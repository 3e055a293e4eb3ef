from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import backups


class Command(BaseCommand):
    help = (
        "Back up everything the office would lose into a new folder: the database (pg_dump, or "
        "SQLite's online backup), the media files, the latest audit checkpoint, and a signed "
        "manifest with the SHA-256 of each part. Check it with check_backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="DIR", help="a new, empty folder")

    def handle(self, *args, out, **options):
        try:
            manifest = backups.make(Path(out))
        except backups.BackupError as exc:
            raise CommandError(f"Backup failed: {exc}") from None
        for name, part in sorted(manifest["parts"].items()):
            self.stdout.write(f"  {name}: {part['bytes']:,} bytes, SHA-256 {part['sha256']}")
        cp = manifest["checkpoint"]
        if cp:
            self.stdout.write(f"  audit checkpoint: {cp['count']} events, head {cp['last_hash']}")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {out}."))
        self.stdout.write(f"Check it with: manage.py check_backup {out}")
