"""Outbox tasks: thin, as every task here. Both are safe to run twice or on two workers."""

from celery import shared_task

from . import services


def _node(task) -> str | None:
    """The worker's node name; None when run in-process (eager), where no claim is freed."""
    return None if task.request.is_eager else task.request.hostname


@shared_task(
    bind=True,
    name="outbox.tasks.send_pending",
    ignore_result=True,
    # Claims make a re-run harmless, so a pool process that dies mid-task is re-run now
    # rather than acknowledged as failed.
    reject_on_worker_lost=True,
)
def send_pending(self) -> int:
    """Queued on commit by queue_email: send what is due, and go on if the budget ran out.

    Run again because a pool process died, it first frees that process's claims.
    """
    node = _node(self)
    if node:
        services.release_orphaned_claims(node)
    sent, more = services.send_pending(node=node)
    if more:
        send_pending.delay()
    return sent


@shared_task(bind=True, name="outbox.tasks.sweep", ignore_result=True, reject_on_worker_lost=True)
def sweep(self) -> dict:
    """Beat, every minute: dead senders' claims back, then send what is due."""
    result = services.sweep(node=_node(self))
    if result["more"]:
        send_pending.delay()
    return result


def on_worker_ready(node: str) -> None:
    """A worker (re)started: free what its earlier self claimed and send it now, not later."""
    services.release_orphaned_claims(node)
    sweep.delay()
