"""The assessment plans pages' part of the URL × role × centre matrix.

`fill` adds this area's records to one matrix site (into `site.extra`); `makers` maps
each of this area's URL names to its targets, through the matrix's `site(make, model)`.
"""

from accounts.roles import Role


def fill(world, key, site) -> None:
    """Add this area's records for centre `key` to `site.extra`: a plan with one row."""
    from assessment.models import AssessmentPlan
    from assessment.models_briefs import AssignmentBrief, BriefVersion
    from qualifications.models import Unit

    from .factories import planned_row, unit_with_criteria

    qualification = site.cohort.qualification
    unit = Unit.objects.filter(qualification=qualification, number="91").first()
    if unit is None:
        unit = unit_with_criteria(qualification, 91, ["A.P1", "A.M1"])
    plan = AssessmentPlan.objects.create(cohort=site.cohort, academic_year="2026/27")
    site.extra["plan"] = plan
    site.extra["plan_unit"] = unit
    site.extra["plan_row"] = planned_row(
        plan,
        unit,
        assessor=world.user(key, Role.ASSESSOR_IV),
        iv=world.user(key, Role.LEAD_IV),
        title="Matrix assignment",
    )

    brief = AssignmentBrief.objects.create(
        assignment=site.extra["plan_row"],
        vocational_scenario="Matrix scenario",
        tasks="Matrix task",
        evidence="Matrix evidence",
    )
    site.extra["brief"] = brief
    from django.core.files.base import ContentFile

    site.extra["brief_version"] = version = BriefVersion.objects.create(
        brief=brief,
        number=1,
        vocational_scenario="Matrix scenario",
        tasks="Matrix task",
        evidence="Matrix evidence",
        made_by=world.user(key, Role.ASSESSOR_IV),
        file_type="pdf",
    )
    version.file.save(f"mx-brief-{version.pk}.pdf", ContentFile(b"%PDF-1.4 matrix"))


def makers(site) -> dict:
    from assessment.models import AssessmentPlan, PlannedAssignment
    from assessment.models_briefs import AssignmentBrief, BriefVersion

    def plan(s):
        return {"pk": s.extra["plan"].pk}

    def row(s):
        return {"pk": s.extra["plan"].pk, "row": s.extra["plan_row"].pk}

    return {
        **{
            name: site(plan, AssessmentPlan)
            for name in (
                "assessment:plan_detail",
                "assessment:plan_submit",
                "assessment:plan_approve",
                "assessment:plan_return",
                "assessment:plan_reopen",
                "assessment:plan_pdf",
                "assessment:plan_versions",
            )
        },
        "assessment:assignment_add": site(
            lambda s: {"pk": s.extra["plan"].pk, "unit": s.extra["plan_unit"].pk}, AssessmentPlan
        ),
        "assessment:assignment_edit": site(row, AssessmentPlan),
        "assessment:assignment_remove": site(row, AssessmentPlan),
        "assessment:brief_edit": site(lambda s: {"row": s.extra["plan_row"].pk}, PlannedAssignment),
        **{
            name: site(lambda s: {"pk": s.extra["brief"].pk}, AssignmentBrief)
            for name in (
                "assessment:brief_detail",
                "assessment:brief_verify",
                "assessment:brief_sign",
                "assessment:brief_issue",
            )
        },
        "assessment:brief_file": site(lambda s: {"pk": s.extra["brief_version"].pk}, BriefVersion),
    }
