"""Reads for assessment plans: the units a plan must cover, the plan page's rows, who leads."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from centres.models import ArrangementPartner, ArrangementQualification
from qualifications.models import AssessmentCriterion, Unit
from verification.models import LeadIVAppointment

from .models import AssessmentPlan, PlannedAssignment


def internal_units(plan: AssessmentPlan) -> list[Unit]:
    """The cohort's internally assessed units: mandatory ones and its chosen optional ones,
    each with its criteria prefetched (two queries)."""
    cohort = plan.cohort
    return list(
        Unit.objects.filter(
            qualification=cohort.qualification_id, assessment=Unit.Assessment.INTERNAL
        )
        .filter(Q(mandatory=True) | Q(chosen_by_cohorts=cohort))
        .distinct()
        .order_by("sort_key", "pk")
        .prefetch_related(
            Prefetch("criteria", queryset=AssessmentCriterion.objects.order_by("code"))
        )
    )


def other_years_rows(plan: AssessmentPlan) -> list[PlannedAssignment]:
    """The assignments of the cohort's plans for its other years, with their criteria (two
    queries): a unit is planned in one year of the cohort, its criteria once in all."""
    return list(
        PlannedAssignment.objects.filter(plan__cohort_id=plan.cohort_id)
        .exclude(plan_id=plan.pk)
        .select_related("plan")
        .prefetch_related("criteria")
    )


def plan_rows(plan: AssessmentPlan) -> list[PlannedAssignment]:
    """The plan's assignments with everything the page and checks show (two queries)."""
    return list(
        plan.assignments.select_related(
            "unit", "assessor", "internal_verifier", "delivering_centre", "brief"
        ).prefetch_related(
            Prefetch(
                "criteria", queryset=AssessmentCriterion.objects.select_related("learning_aim")
            )
        )
    )


def delivering_sites(plan: AssessmentPlan) -> list:
    """The centres teaching the cohort's groups in the plan's year (the cohort's own if none)."""
    from centres.models import Centre

    ids = set(
        plan.cohort.teaching_groups.filter(academic_year=plan.academic_year).values_list(
            "delivering_centre", flat=True
        )
    )
    return list(Centre.objects.filter(pk__in=ids).order_by("name")) if ids else []


def lead_ivs(plan: AssessmentPlan) -> set[int]:
    """Who may write this plan: the Lead IV (and cover) appointed for the qualification at
    the cohort's centre in the plan's year, and the Lead IV of a consortium arrangement the
    centre takes part in for that qualification."""
    cohort = plan.cohort
    people: set[int] = set()
    for lead, cover in LeadIVAppointment.objects.filter(
        centre=cohort.centre_id,
        qualification=cohort.qualification_id,
        academic_year=plan.academic_year,
    ).values_list("lead_iv", "cover"):
        people |= {lead, cover} - {None}
    member = Q(arrangement__lead_centre=cohort.centre_id) | Q(
        arrangement__partners__centre=cohort.centre_id,
        arrangement__partners__status=ArrangementPartner.Status.ACCEPTED,
    )
    people |= set(
        ArrangementQualification.objects.filter(
            member,
            qualification=cohort.qualification_id,
            withdrawn_on__isnull=True,
            lead_iv__isnull=False,
        ).values_list("lead_iv", flat=True)
    )
    return people
