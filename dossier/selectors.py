"""A learner's dossier: every registered section's rows for this reader, and the check of
the learner's audit events (`audit.verification.verify_events`).

Which events: the learner's events recorded at centres where the reader holds
VIEW_DOSSIER (as the learner page's timeline: the home centre its own trail, a delivering
centre what it recorded), and the trail against the signed checkpoint kept in media
storage. A fixed number of queries whatever the number of events: each section's own few,
and five for the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.permissions import has_perm, scope
from audit import checkpoints
from audit.models import AuditEvent
from audit.verification import EventsVerification, Problem, verify_events

from .permissions import VIEW_DOSSIER
from .sections import Row, Section, sections


@dataclass
class SectionRows:
    section: Section
    rows: list[Row] = field(default_factory=list)
    allowed: bool = True

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def empty_text(self) -> str:
        if not self.allowed:
            return "Your role does not show this part of the record."
        return "Nothing recorded that you may see."


@dataclass
class ChainCheck:
    result: EventsVerification

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def summary(self) -> str:
        n = self.result.checked
        events = f"{n} event{'' if n == 1 else 's'}"
        if self.ok:
            if not n:
                return "There are no audit events for this learner that you may see."
            return f"The audit trail for this learner's {events} verifies."
        return (
            f"The audit trail for this learner's {events} does NOT verify: "
            f"{len(self.result.problems)} problem"
            f"{'' if len(self.result.problems) == 1 else 's'} found."
        )

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.result.problems]


@dataclass
class Dossier:
    learner: object
    sections: list[SectionRows]
    check: ChainCheck

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def learner_events(learner, viewer, perm: str = VIEW_DOSSIER):
    return scope(viewer, perm, AuditEvent.objects.filter(learner_id=learner.pk))


def learner_dossier(learner, viewer, perm: str = VIEW_DOSSIER) -> Dossier:
    out = []
    for section in sections():
        if not has_perm(viewer, section.permission):
            out.append(SectionRows(section, allowed=False))
            continue
        rows = sorted(section.function(learner, viewer), key=lambda r: r.sort_key)
        out.append(SectionRows(section, rows))
    return Dossier(learner, out, ChainCheck(check_events(learner_events(learner, viewer, perm))))


def check_events(events) -> EventsVerification:
    """verify_events() against the checkpoint kept in media storage, when there is one."""
    try:
        checkpoint = checkpoints.read()
    except checkpoints.CheckpointError as exc:
        result = verify_events(events)
        result.problems.append(Problem(f"the checkpoint in media storage is unreadable: {exc}"))
        return result
    return verify_events(events, checkpoint)
