"""A slow mail server for the real-worker tests: each message is its own file, after a pause.

The pause (SLOW_MAIL_SECONDS, default 1) comes before the write, so a worker killed during
it has not had that message "accepted"; a file that exists is a message that went. The
worker process selects it with EMAIL_BACKEND=tests.slow_mail.Backend and EMAIL_FILE_PATH.
"""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        pause = float(os.environ.get("SLOW_MAIL_SECONDS", "1"))
        for message in email_messages:
            time.sleep(pause)
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.eml"
            partial = folder / f".{name}.part"
            partial.write_bytes(message.message().as_bytes())
            partial.replace(folder / name)  # whole or not at all
        return len(email_messages)
