from celery import shared_task


@shared_task
def run_retention() -> dict:
    """List what fell due for disposal and dispose of what the Quality Nominee approved."""
    from .services import run

    return run()
