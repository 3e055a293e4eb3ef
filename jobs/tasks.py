"""Job tasks: thin. Safe to run twice: a finished job is left alone, and a second run of a
running job takes it over from its checkpoint (the first stops at its next one)."""

from celery import shared_task

from . import services


@shared_task(
    name="jobs.tasks.run_job",
    ignore_result=True,
    acks_late=True,
    # The run continues from its checkpoint, so a pool process that dies mid-job has its
    # task re-run at once rather than acknowledged as failed.
    reject_on_worker_lost=True,
)
def run_job(pk: int) -> str:
    return services.run_job(pk)


@shared_task(name="jobs.tasks.sweep", ignore_result=True, reject_on_worker_lost=True)
def sweep() -> list[int]:
    """Beat, every minute: jobs whose worker died (no heartbeat) are queued again."""
    return services.sweep()
