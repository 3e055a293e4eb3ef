"""The yearly claims audit's part of the URL × role × centre matrix (see tests/matrix_plans.py).

Each site gets a submitted claim with one line for its learner, in its centre's audit of
2026/27 (sites at one centre share the audit), and that line in the audit's sample."""


def fill(world, key, site) -> None:
    from accounts.roles import Role
    from claims.models import Claim, ClaimLine, ClaimsAudit, ClaimsAuditLine

    eo = world.user(key, Role.EXAMS_OFFICER)
    claim = Claim.objects.create(
        centre=site.centre,
        cohort=site.cohort,
        academic_year="2026/27",
        kind=Claim.Kind.FINAL,
        status=Claim.Status.SUBMITTED,
        created_by=eo,
    )
    line = ClaimLine.objects.create(
        claim=claim,
        learner=site.learner,
        qualification=site.cohort.qualification,
        last_name=site.learner.last_name,
        first_name=site.learner.first_name,
    )
    audit, _ = ClaimsAudit.objects.get_or_create(
        centre=site.centre,
        academic_year="2026/27",
        defaults={"seed": 7, "sample_rate": 10, "sample_minimum": 5},
    )
    site.extra["claims_audit"] = audit
    site.extra["claims_audit_line"] = ClaimsAuditLine.objects.create(
        audit=audit, line=line, how=ClaimsAuditLine.How.DRAWN, added_by=eo
    )


def makers(site) -> dict:
    from claims.models import ClaimsAudit, ClaimsAuditLine

    def audit(s):
        return {"pk": s.extra["claims_audit"].pk}

    return {
        **{
            name: site(audit, ClaimsAudit)
            for name in (
                "claims:audit_detail",
                "claims:audit_draw",
                "claims:audit_add_line",
                "claims:audit_sign",
                "claims:audit_reopen",
                "claims:audit_pdf",
                "claims:audit_xlsx",
            )
        },
        "claims:audit_finding": site(
            lambda s: {"pk": s.extra["claims_audit_line"].pk}, ClaimsAuditLine
        ),
    }
