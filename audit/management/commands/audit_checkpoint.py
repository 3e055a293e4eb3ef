from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints


class Command(BaseCommand):
    help = (
        "Write the signed audit checkpoint to media storage now (as each commit and the beat "
        "job do). Refused when the database no longer extends the stored checkpoint. After a "
        "restore whose later events are truly lost, --accept-loss REASON records that on the "
        "trail and starts a new checkpoint, keeping the old one beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accept-loss", metavar="REASON")
        parser.add_argument("--by", metavar="USERNAME", help="who accepts the loss")

    def handle(self, *args, accept_loss=None, by=None, **options):
        try:
            if accept_loss is not None:
                user = None
                if by:
                    user = get_user_model().objects.filter(username=by).first()
                    if user is None:
                        raise CommandError(f"No user {by!r}.")
                written = checkpoints.accept_loss(by=user, reason=accept_loss)
            else:
                written = checkpoints.write()
        except (checkpoints.CheckpointRefused, ValueError) as exc:
            raise CommandError(f"Audit checkpoint not written: {exc}", returncode=2) from None
        self.stdout.write(str(written))
        self.stdout.write(f"  {written.checkpoint.to_json()}")
