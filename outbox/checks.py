"""Settings that would let an e-mail be held for ever, or sent twice, are reported."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.compatibility)
def outbox_settings(app_configs=None, **kwargs):
    problems = []
    timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    if not timeout:
        problems.append(
            Warning(
                "EMAIL_TIMEOUT is not set: a mail server that never answers holds an "
                "outgoing e-mail's claim until OUTBOX_CLAIM_TIMEOUT.",
                id="outbox.W001",
            )
        )
    elif settings.OUTBOX_CLAIM_TIMEOUT <= 2 * timeout:
        problems.append(
            Warning(
                f"OUTBOX_CLAIM_TIMEOUT ({settings.OUTBOX_CLAIM_TIMEOUT}s) must be longer than "
                f"twice EMAIL_TIMEOUT ({timeout}s): the sweep would release an e-mail a live "
                "worker is still sending, and it could go twice.",
                id="outbox.W002",
            )
        )
    visibility = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("visibility_timeout")
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None)
    if visibility and limit and visibility <= limit:
        problems.append(
            Warning(
                f"The Redis visibility timeout ({visibility}s) must be longer than "
                f"CELERY_TASK_TIME_LIMIT ({limit}s): Redis would hand a running task to a "
                "second worker.",
                id="outbox.W003",
            )
        )
    return problems
