"""The kinds of background job: each app registers its own in a `jobs_kinds.py`.

`register_job(kind, label, permission, run=fn)`: `permission` is the one a person needs
to ask for the work and to see and download its result; `run(context)` does the work
through a `services.JobContext` (progress, checkpoints, parts) and returns a `JobResult`.
The jobs app imports no feature app: kinds come to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File

from accounts.permissions import get_permission


@dataclass(frozen=True)
class JobResult:
    name: str  # the file name the download gets
    content_type: str
    data: bytes | File  # a File (e.g. over a temporary file) for a result too big to hold


@dataclass(frozen=True)
class JobKind:
    code: str
    label: str
    permission: str
    run: Callable
    # Where the person goes back to from the job page (a URL from the parameters), if any.
    back: Callable[[dict], str] | None = None


_KINDS: dict[str, JobKind] = {}


def register_job(
    kind: str, label: str, permission: str, *, run: Callable, back: Callable | None = None
) -> str:
    get_permission(permission)  # refuses an undeclared permission at start-up
    spec = JobKind(kind, label, permission, run, back)
    existing = _KINDS.get(kind)
    if existing and (existing.label, existing.permission) != (label, permission):
        raise ImproperlyConfigured(f"Job kind {kind} registered twice differently.")
    _KINDS[kind] = spec
    return kind


def get_kind(kind: str) -> JobKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown job kind {kind!r}.") from None


def kinds() -> dict[str, JobKind]:
    return dict(_KINDS)
