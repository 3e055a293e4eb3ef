"""manage.py open_waiting_todos [--kind KIND ...]: open the to-dos of records already
waiting (todos.backfill). Safe to run any number of times: nothing is opened twice."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from todos.backfill import all_backfills, open_waiting_todos


class Command(BaseCommand):
    help = "Open the missing to-dos of records already waiting for work (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            help=f"Only this to-do kind (repeatable); one of: {', '.join(sorted(all_backfills()))}",
        )

    def handle(self, *args, **o):
        try:
            opened = open_waiting_todos(kinds=o["kind"] or None)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        for kind, count in opened.items():
            self.stdout.write(f"{kind}: {count} opened")
        self.stdout.write(f"{sum(opened.values())} to-dos opened.")
