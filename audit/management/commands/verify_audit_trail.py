from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints
from audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail: its keyed hash chain, its head, its personal details, and "
        "that it still holds the signed checkpoint kept in media storage (or --checkpoint "
        "FILE, a copy kept elsewhere). Prints the checkpoint; exits non-zero naming what is "
        "wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="verify against this copy of a checkpoint instead of the one in media storage",
        )

    def handle(self, *args, checkpoint=None, **options):
        if checkpoint:
            try:
                text = Path(checkpoint).read_text()
            except OSError as exc:
                raise CommandError(f"Cannot read the checkpoint {checkpoint}: {exc}") from None
            where = checkpoint
        else:
            where = f"media storage, {checkpoints.name()}"
        try:
            kept = checkpoints.Checkpoint.from_json(text) if checkpoint else checkpoints.read()
        except checkpoints.CheckpointError as exc:
            raise CommandError(
                f"The checkpoint in {where} is unreadable: {exc}", returncode=2
            ) from None
        if kept is None:
            self.stdout.write(f"No checkpoint in {where}.")
        else:
            self.stdout.write(f"Checkpoint ({where}): {kept}")
            self.stdout.write(f"  {kept.to_json()}")
        result = verify_chain(checkpoint=kept)
        if not result.ok:
            raise CommandError(str(result), returncode=2)
        if kept is None and result.checked:
            raise CommandError(
                f"{result} But there is no checkpoint in {where}: nothing shows whether the "
                "newest events were deleted. One is written after every commit and by the beat "
                "job; `manage.py audit_checkpoint` writes one now.",
                returncode=2,
            )
        self.stdout.write(self.style.SUCCESS(str(result)))
