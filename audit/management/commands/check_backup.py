from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import backups, checkpoints


class Command(BaseCommand):
    help = (
        "Check a backup without restoring it: the manifest's signature and hashes, that the "
        "database part is readable, the audit checkpoint's signature, and the audit chain in "
        "the backup against that checkpoint, or against a newer one (--checkpoint FILE): a "
        "backup missing later events is then BEHIND it. Exits non-zero naming each problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="DIR")
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="a newer checkpoint kept elsewhere (e.g. the live one) to check against",
        )

    def handle(self, *args, folder, checkpoint=None, **options):
        against = None
        if checkpoint:
            try:
                against = checkpoints.Checkpoint.from_json(Path(checkpoint).read_text())
            except (OSError, checkpoints.CheckpointError) as exc:
                raise CommandError(f"Cannot read the checkpoint {checkpoint}: {exc}") from None
        try:
            report = backups.check(Path(folder), against)
        except backups.BackupError as exc:
            raise CommandError(f"Backup check failed: {exc}") from None
        for line in report.lines:
            if not line.startswith("PROBLEM: "):
                self.stdout.write(line)
        if not report.ok:
            raise CommandError(
                "Backup NOT good:\n" + "\n".join(f"  - {p}" for p in report.problems),
                returncode=2,
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Backup good: its parts match, its database reads, and its audit trail "
                "verifies against the checkpoint."
            )
        )
