from celery import shared_task

from . import checkpoints


@shared_task
def write_checkpoint() -> str:
    """The beat job: checkpoint the head outside the database, in case a commit's own write
    was lost. A refusal fails the task, so it shows in the worker's log and monitoring."""
    return str(checkpoints.write())
