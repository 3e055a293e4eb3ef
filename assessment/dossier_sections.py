"""The assessment parts of a learner's dossier: the plans and briefs of the learner's
programmes, and every version of every criterion decision about them."""

from django.db.models import Q
from django.urls import reverse

from accounts.permissions import scope
from dossier.sections import Row, name, register_section
from learners.models import TeachingGroup
from registrations.models import Registration

from .models import AssessmentPlan, Attempt, CriterionDecision
from .models_briefs import AssignmentBrief, BriefVersion
from .permissions import VIEW_DECISIONS, VIEW_PLANS

ATTEMPTS = dict(Attempt.choices)


def _learner_cohorts(learner) -> Q:
    """The plans of the programmes the learner is taught or registered on (subqueries)."""
    return Q(cohort_id__in=TeachingGroup.objects.filter(learners=learner).values("cohort_id")) | Q(
        cohort_id__in=Registration.objects.filter(learner=learner).values("cohort_id")
    )


def plan_rows(learner, viewer) -> list[Row]:
    plans = scope(viewer, VIEW_PLANS, AssessmentPlan.objects.filter(_learner_cohorts(learner)))
    rows = []
    for plan in plans.select_related("cohort__qualification", "written_by", "reviewed_by"):
        url = reverse("assessment:plan_detail", args=[plan.pk])
        title = f"assessment plan {plan.academic_year}, {plan.cohort.qualification.title}"
        if plan.submitted_at:
            rows.append(
                Row(f"Submitted the {title}", name(plan.written_by), plan.submitted_at, url)
            )
        if plan.reviewed_at:
            verdict = "Approved" if plan.status == plan.Status.APPROVED else "Reviewed"
            if plan.status == plan.Status.RETURNED:
                verdict = "Returned"
            rows.append(
                Row(f"{verdict} the {title}", name(plan.reviewed_by), plan.reviewed_at, url)
            )
    in_plans = {"assignment__plan__in": plans.values("pk")}
    briefs = scope(viewer, VIEW_PLANS, AssignmentBrief.objects.filter(**in_plans))
    for brief in briefs.select_related("assignment__unit", "verified_by", "issued_by"):
        url = reverse("assessment:brief_detail", args=[brief.pk])
        title = f"the brief “{brief.assignment.title}” (unit {brief.assignment.unit.number})"
        if brief.verified_at:
            rows.append(
                Row(f"Internally verified {title}", name(brief.verified_by), brief.verified_at, url)
            )
        if brief.issued_at:
            rows.append(Row(f"Issued {title}", name(brief.issued_by), brief.issued_at, url))
    versions = scope(
        viewer,
        VIEW_PLANS,
        BriefVersion.objects.filter(brief__assignment__plan__in=plans.values("pk")),
    ).select_related("brief__assignment", "made_by")
    for version in versions:
        rows.append(
            Row(
                f"Brief “{version.brief.assignment.title}” version {version.number} written",
                name(version.made_by),
                version.made_at,
                reverse("assessment:brief_detail", args=[version.brief_id]),
            )
        )
    return rows


def decision_rows(learner, viewer) -> list[Row]:
    decisions = scope(
        viewer, VIEW_DECISIONS, CriterionDecision.objects.filter(learner_id=learner.pk)
    ).select_related("criterion", "assessor", "assignment__unit", "assignment__internal_verifier")
    url = reverse("assessment:learner_progress", args=[learner.pk])
    rows = []
    for d in decisions.order_by("recorded_at", "pk"):
        what = (
            f"{d.criterion.code} {'achieved' if d.achieved else 'not yet achieved'} on "
            f"“{d.assignment.title}” (unit {d.assignment.unit.number}), "
            f"{ATTEMPTS.get(d.attempt, d.attempt).lower()}, version {d.version}"
        )
        if d.version > 1 and d.reason:
            what += f": {d.reason}"
        if not d.current:
            what += " (since replaced)"
        rows.append(Row(what, name(d.assessor), d.recorded_at, url))
        if d.verified_at:
            rows.append(
                Row(
                    f"{d.criterion.code} decision (version {d.version}) internally verified "
                    "and frozen",
                    name(d.assignment.internal_verifier),
                    d.verified_at,
                    url,
                )
            )
    return rows


register_section("plans", "Assessment plan and briefs", 20, plan_rows, permission=VIEW_PLANS)
register_section(
    "decisions",
    "Assessment decisions (every version)",
    30,
    decision_rows,
    permission=VIEW_DECISIONS,
)
