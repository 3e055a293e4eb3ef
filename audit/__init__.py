"""The audit trail. Use `audit.record(actor, action, obj, learner=…, before=…, after=…)`."""


def record(*args, **kwargs):
    from .services import record as _record

    return _record(*args, **kwargs)


def batch():
    from .services import batch as _batch

    return _batch()
