"""What learners reads for the Quality Nominee's yearly policy monitoring report
(policies/monitoring.py): policy 000-3.1.7, access to the quality assurance documentation
of the centre's learners taught in another centre's (the lead centre's) cohort.

The access is the permission layer's learners' home reach (groups.py): the centre's staff
read the plan, briefs, IV and SV of another centre's cohort whose groups hold its learners,
worked out from the groups' `visiting_learners` flag (`cohorts_reached_for`, the reach's
own read). The reader sets the year's groups holding the centre's learners beside it, with
the arrangements the centre accepted (the declaration's shared read) and the QA records
kept for those cohorts. Learners all taught at home: nothing to read (the home reach)."""

from __future__ import annotations

from collections import defaultdict

from policies.monitoring import Reading, register_reader

from .groups import cohorts_reached_for
from .models import TeachingGroup

Membership = TeachingGroup.learners.through


def _cohort(cohort) -> str:
    return f"{cohort.qualification.title} ({cohort.start_year} cohort) at {cohort.centre.name}"


def _learners(n: int) -> str:
    return f"{n} of our learners {'is' if n == 1 else 'are'} taught there"


def _consented(arrangements) -> set[tuple[int, int]]:
    """(centre, qualification) pairs the centre shares through an arrangement it takes
    part in (led, or accepted as a partner) that runs this year."""
    pairs = set()
    for arr in arrangements:
        centres = {arr.lead_centre_id} | {p.centre_id for p in arr.current_partners}
        for aq in arr.current_qualifications:
            pairs.update((c, aq.qualification_id) for c in centres)
    return pairs


def learners_qa_access(ctx) -> Reading:
    """000-3.1.7: each cohort of another centre teaching our learners in the year reached by
    the learners' home reach, under an arrangement we accepted, with QA records to read."""
    from assessment.models import AssessmentPlan
    from assessment.models_briefs import AssignmentBrief
    from verification.models_sampling import SampleItem
    from verification.models_sv import SVVisit

    places = list(
        Membership.objects.filter(
            learner__centre=ctx.centre, teachinggroup__academic_year=ctx.academic_year
        )
        .exclude(teachinggroup__cohort__centre=ctx.centre)
        .values_list("teachinggroup_id", "learner_id")
    )
    if not places:
        return Reading(evidenced=False)
    by_group: dict[int, set[int]] = defaultdict(set)
    for group_id, learner_id in places:
        by_group[group_id].add(learner_id)
    groups = list(
        TeachingGroup.objects.filter(pk__in=sorted(by_group))
        .select_related("cohort__qualification", "cohort__centre")
        .order_by("cohort__qualification__title", "cohort__start_year", "cohort_id", "name")
    )
    cohorts, by_cohort = {}, defaultdict(set)
    for g in groups:
        cohorts[g.cohort_id] = g.cohort
        by_cohort[g.cohort_id] |= by_group[g.pk]
    reached = set(cohorts_reached_for([ctx.centre.pk], [ctx.centre.pk]))
    consented = _consented(ctx.check_context.arrangements)
    ids = sorted(cohorts)
    planned = set(
        AssessmentPlan.objects.filter(cohort__in=ids, academic_year=ctx.academic_year).values_list(
            "cohort_id", flat=True
        )
    )
    briefs = AssignmentBrief.objects.filter(
        assignment__plan__cohort__in=ids, assignment__plan__academic_year=ctx.academic_year
    ).count()
    sampled = SampleItem.objects.filter(
        plan__cohort__in=ids, plan__academic_year=ctx.academic_year, learner__centre=ctx.centre
    ).count()
    visits = SVVisit.objects.filter(cohort__in=ids, academic_year=ctx.academic_year).count()

    exceptions = []
    for g in groups:
        if g.cohort_id not in reached:
            exceptions.append(
                f"{g.name}, {_cohort(g.cohort)}: {_learners(len(by_group[g.pk]))}, but the "
                "group is not marked as holding another centre's learners, so our staff "
                "cannot read the cohort's QA documentation"
            )
    for cohort_id, cohort in cohorts.items():
        where = f"{_cohort(cohort)}: {_learners(len(by_cohort[cohort_id]))}"
        if (cohort.centre_id, cohort.qualification_id) not in consented:
            exceptions.append(
                f"{where} outside any collaborative arrangement we accepted for "
                f"{cohort.qualification.title} in {ctx.academic_year}"
            )
        if cohort_id not in planned:
            exceptions.append(
                f"{where}, but no assessment plan for {ctx.academic_year} is kept for the "
                "cohort: there is no QA documentation for us to read"
            )
    return Reading(
        counts=[
            ("learners taught at another centre", len({lid for _, lid in places})),
            ("cohorts", len(cohorts)),
            ("open to our staff", len(reached & set(cohorts))),
            ("assessment plans", len(planned)),
            ("briefs", briefs),
            ("our learners' work sampled for IV", sampled),
            ("SV visits", visits),
        ],
        exceptions=exceptions,
    )


register_reader(
    "000-3.1.7", "learners.qa_access", "Our learners' QA records kept elsewhere", learners_qa_access
)
