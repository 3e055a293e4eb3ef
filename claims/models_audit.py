"""The yearly audit of certification claims (policy 004-duty-6: "certificate claims audited").

- a **ClaimsAudit** is one centre's audit of one academic year's claims: built from every
  submitted or superseded claim of the year, each line traced (claims.audit_traces) to its
  internally verified decisions, its approvers, its submission, its claim file and its
  certificate. The Quality Nominee draws a sample (a configured rate and minimum, random
  but reproducible from the stored `seed`), may add lines by hand, records a finding on
  each sampled line and signs the audit off through `signatures.sign`. A signed audit
  never changes: reopening it freezes the signed version (it stays, with its signature)
  and the audit goes on as the next `version`, to be signed again;
- a **ClaimsAuditLine** is one sampled claim line with how it came into the sample (drawn
  or added by hand) and its finding: traced correctly, or a problem with a note and an
  action.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class ClaimsAudit(models.Model):
    """One centre's yearly audit of its claims, sampled and signed off by the QN."""

    class Status(models.TextChoices):
        OPEN = "open", "Being audited"
        SIGNED = "signed", "Signed off by the Quality Nominee"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    version = models.PositiveSmallIntegerField(default=1)
    seed = models.PositiveIntegerField(help_text="The random sample's seed (reproducible)")
    sample_rate = models.PositiveSmallIntegerField(help_text="Per cent of the lines sampled")
    sample_minimum = models.PositiveSmallIntegerField(help_text="At least this many lines")
    sample_drawn_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(centre="centre", view="claims.view_claims_audit")

    class Meta:
        ordering = ["-academic_year", "centre__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "academic_year"], name="one_claims_audit_per_centre_year"
            )
        ]

    def __str__(self) -> str:
        v = f" v{self.version}" if self.version > 1 else ""
        return f"Claims audit {self.academic_year}{v}"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    signing_statement = (
        "I have audited this year's certification claims: the sampled lines were traced to "
        "their internally verified decisions, approvers, submission, file and certificate, "
        "and each finding and action is recorded here."
    )

    def snapshot(self, report=None) -> dict:
        """What the QN vouches for: the year, the sample and each finding, and what each
        sampled line was traced to as the page showed it (text and whether it holds, per
        trace), so a trace that reads otherwise later is not what was signed. `report`:
        the page's own `audit_report(self)`, so it is not read twice."""
        if report is None:
            from .selectors_audit import audit_report

            report = audit_report(self)
        codes = [t.code for t in report.traces]
        traced = {
            r.line.pk: {code: [a.text, a.ok] for code, a in zip(codes, r.traces, strict=True)}
            for c in report.claims
            for r in c.lines
            if r.sampled is not None
        }
        lines = [
            {
                "line": s.line_id,
                "claim": s.line.claim_id,
                "learner": s.line.learner_id,
                "name": f"{s.line.last_name}, {s.line.first_name}",
                "how": s.how,
                "finding": s.finding,
                "note": s.note,
                "action": s.action,
                "traces": traced.get(s.line_id, {}),
            }
            for s in self.sample.select_related("line").order_by("line_id")
        ]
        return {
            "claims_audit": self.pk,
            "centre": self.centre_id,
            "academic_year": self.academic_year,
            "version": self.version,
            "seed": self.seed,
            "sample_rate": self.sample_rate,
            "sample_minimum": self.sample_minimum,
            "sample": lines,
        }


class ClaimsAuditLine(models.Model):
    """One sampled claim line and the Quality Nominee's finding on it."""

    class How(models.TextChoices):
        DRAWN = "drawn", "Drawn at random"
        ADDED = "added", "Added by hand"

    class Finding(models.TextChoices):
        NONE = "", "No finding yet"
        TRACED = "traced", "Traced correctly"
        PROBLEM = "problem", "Problem"

    audit = models.ForeignKey(ClaimsAudit, on_delete=models.CASCADE, related_name="sample")
    line = models.ForeignKey("claims.ClaimLine", on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=6, choices=How.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    finding = models.CharField(max_length=8, choices=Finding.choices, blank=True, default="")
    note = models.CharField(max_length=1000, blank=True)
    action = models.CharField(max_length=1000, blank=True)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="audit__centre",
        view="claims.view_claims_audit",
        learner="line__learner",
    )

    class Meta:
        ordering = ["audit", "line__last_name", "line__first_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "line"], name="one_sample_row_per_line")
        ]

    def __str__(self) -> str:
        return f"{self.line} in {self.audit}"

    @property
    def audit_learner(self):
        return self.line.learner
