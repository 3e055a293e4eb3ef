"""Reads for standards verification: the list, the visit page, the cohort's learners,
and the claims gate the Certification issue reads (domain.md 3.10)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from accounts.permissions import scope

from .models_sv import SVAction, SVSample, SVVisit, sv_config


def _cohort_learners_q(cohort) -> Q:
    from registrations.models import Registration

    return Q(registrations__cohort=cohort, registrations__status__in=Registration.ACTIVE) | Q(
        teaching_groups__cohort=cohort
    )


def cohort_learners(cohort):
    """The cohort's learners: a live registration on it, or in one of its teaching groups."""
    from learners.models import Learner

    return (
        Learner.objects.filter(_cohort_learners_q(cohort))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def cohort_learner_ids(cohort, ids) -> set[int]:
    """Which of these learner ids are on the cohort (one query)."""
    from learners.models import Learner

    return set(
        Learner.objects.filter(_cohort_learners_q(cohort), pk__in=list(ids)).values_list(
            "pk", flat=True
        )
    )


def sv_visits(user, perm: str, *, centre, academic_year: str) -> list[SVVisit]:
    """The centre's standards verifications for a year, with open-action counts."""
    qs = (
        SVVisit.objects.filter(cohort__centre=centre, academic_year=academic_year)
        .select_related("cohort__qualification")
        .annotate(open_actions=Count("actions", filter=Q(actions__closed_at__isnull=True)))
    )
    return list(scope(user, perm, qs))


def cohorts_without_visit(centre, academic_year: str):
    """The centre's cohorts taught that year with no standards verification recorded."""
    from learners.models import Cohort

    return list(
        Cohort.objects.covering(academic_year)
        .filter(centre=centre)
        .exclude(sv_visits__academic_year=academic_year)
        .select_related("qualification")
        .order_by("qualification__title", "start_year")
    )


def visit_detail(visit: SVVisit) -> dict:
    """The visit page's samples (with learners) and actions (with owners and the events
    they name), in a fixed number of queries."""
    from audit.models import AuditEvent

    samples = list(
        SVSample.objects.filter(visit=visit).prefetch_related(
            Prefetch("learners", queryset=_learner_order())
        )
    )
    actions = list(
        SVAction.objects.filter(visit=visit).select_related("owner", "closed_by", "created_by")
    )
    seqs = {s for a in actions for s in a.changed_events}
    linked = {
        e.seq: e for e in AuditEvent.objects.filter(seq__in=seqs, centre_id=visit.cohort.centre_id)
    }
    for action in actions:
        action.linked = [linked[s] for s in action.changed_events if s in linked]
    return {"samples": samples, "actions": actions}


def _learner_order():
    from learners.models import Learner

    return Learner.objects.order_by("last_name", "first_name", "pk")


@dataclass(frozen=True)
class ClaimsGate:
    """Whether claims for a cohort may proceed, and why not, in the status's own words.

    `clear` (the report is released): full-award claims proceed. Otherwise claims are
    warned, not hard-stopped (interim claims can still be useful), unless the year's
    configuration marks the status as blocking."""

    academic_year: str
    status: str  # the status code, "" when no SV is recorded
    status_label: str
    clear: bool
    blocks: bool
    reason: str
    sample_number: int = 1
    open_actions: int = 0

    @property
    def may_proceed(self) -> bool:
        return self.clear

    def allows(self, *, interim: bool = False) -> bool:
        """May this claim go ahead (perhaps with the warning)?"""
        return self.clear or (interim and not self.blocks)

    @property
    def warning(self) -> str:
        if self.clear:
            return ""
        text = f"Standards verification {self.academic_year}: {self.status_label}. {self.reason}"
        if self.open_actions:
            text += f" {self.open_actions} action{'s' if self.open_actions > 1 else ''} open."
        return text


def sv_claims_gate(cohort, academic_year: str) -> ClaimsGate:
    """The claims gate for a cohort and year (the Certification issue reads it)."""
    config = sv_config(academic_year)
    visit = (
        SVVisit.objects.filter(cohort=cohort, academic_year=academic_year)
        .annotate(open_actions=Count("actions", filter=Q(actions__closed_at__isnull=True)))
        .first()
    )
    if visit is None:
        return ClaimsGate(
            academic_year,
            "",
            "No standards verification recorded",
            False,
            False,
            config.no_visit_reason,
        )
    status = config.status(visit.status)
    label = status.label if status else visit.status
    return ClaimsGate(
        academic_year=academic_year,
        status=visit.status,
        status_label=label,
        clear=bool(status and status.claims == "clear"),
        blocks=bool(status and status.claims == "block"),
        reason=status.reason if status else "",
        sample_number=visit.sample_number,
        open_actions=visit.open_actions,
    )
