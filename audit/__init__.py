"""The audit trail. Use `audit.record(actor, action, obj, learner=…, before=…, after=…)`."""


def record(*args, **kwargs):
    from .services import record as _record

    return _record(*args, **kwargs)


def batch():
    from .services import batch as _batch

    return _batch()


def erase_personal_details(learner_id, *, by, reason):
    """Erase a learner's personal details from the trail after retention (see services)."""
    from .services import erase_personal_details as _erase

    return _erase(learner_id, by=by, reason=reason)
