from django.conf import settings
from django.core.management.base import BaseCommand

from btecqa.demo import DEMO_PASSWORD, LEAD, PARTNER, load_demo


class Command(BaseCommand):
    help = "Create the invented demo centres, users, programmes and learners. Safe to run twice."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(
            f"Demo data: {result.created} new objects "
            f"({LEAD[1]} {LEAD[0]}, partner {PARTNER[1]} {PARTNER[0]})."
        )
        if settings.DEBUG:
            self.stdout.write(
                self.style.SUCCESS(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
            )
            for username, roles in result.users:
                self.stdout.write(f"  {username:<12} {roles}")
        else:
            self.stdout.write("Demo passwords are printed only when DEBUG is on.")
