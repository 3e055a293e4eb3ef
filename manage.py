#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "btecqa.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load settings now, to refuse cleanly
    except ImproperlyConfigured as exc:
        # One clear line instead of a traceback; for development commands set DEBUG=true.
        sys.exit(f"btecqa refuses to start: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
