"""One workflow step for every state change on a record (see workflow.steps)."""

from .steps import Close, Open, StaleRecord, step

__all__ = ["Close", "Open", "StaleRecord", "step"]
