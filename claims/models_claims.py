"""Certification claims (policy 004-cert-3; 000-3.1.6): what the centre claims from Pearson.

- a **Claim** is one claim for one cohort, of one kind: *interim* (unit certificates for
  the units finished so far), *final* (the full award) or *fallback* (a smaller
  qualification of the same suite for learners who did not complete the one they were
  registered on). It is prepared by the exams officer from the claim readiness, approved
  by the programme leader and by the exams officer, two different people (the policy: the
  exams officer "will meet with the programme leader"), each through `signatures.sign`,
  laid out as a file for keying into Edexcel Online, and then submitted with its date and
  Pearson's reference. A submitted claim never changes: an amendment is a new Claim with
  `amends` pointing at it, the next `version` and a reason; the old one is kept and marked
  superseded;
- a **ClaimLine** is one learner on the claim: the qualification claimed (the cohort's,
  or the fallback qualification), the award grade code as Edexcel Online takes it (final
  and fallback claims), the estimate shown beside it (points and grade, always labelled an
  estimate) and the consortium programme code or sub-site a partner's learner goes under;
  the learner's name, date of birth, ULN and registration number are copied as claimed, so
  the certificate check compares the certificate with what was sent, not with what the
  learner record says today;
- a **ClaimUnit** is one unit claimed on a line with its grade code (U, N, P, M, D, or a
  Level 1/2 grade as the qualification grades it).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access


class Claim(models.Model):
    """One claim for a cohort: prepared, approved by two people, submitted, then immutable."""

    class Kind(models.TextChoices):
        INTERIM = "interim", "Interim (unit) claim"
        FINAL = "final", "Final (full award) claim"
        FALLBACK = "fallback", "Fallback claim"

    class Status(models.TextChoices):
        DRAFT = "draft", "Being prepared"
        APPROVED = "approved", "Approved (programme leader and exams officer)"
        SUBMITTED = "submitted", "Submitted to Pearson"
        SUPERSEDED = "superseded", "Superseded by an amendment"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="claims")
    academic_year = models.CharField(max_length=7, help_text="The year claimed in, e.g. 2026/27")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveSmallIntegerField(default=1)
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    amendment_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pearson_reference = models.CharField(max_length=60, blank=True)
    late = models.BooleanField(default=False, help_text="Submitted after the year's claim deadline")
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="centre",
        view="claims.view_claims",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["amends"],
                condition=models.Q(amends__isnull=False),
                name="one_amendment_per_claim",
            )
        ]

    def __str__(self) -> str:
        v = f" v{self.version}" if self.version > 1 else ""
        return f"{self.get_kind_display()} for {self.cohort}{v}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("claims:claim_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        """Submitted (or superseded) claims are immutable."""
        return self.status in (self.Status.SUBMITTED, self.Status.SUPERSEDED)

    signing_statement = (
        "I approve this claim: each learner and unit on it is ready to be claimed, every "
        "internal grade rests on internally verified decisions, and it matches the records."
    )

    def snapshot(self) -> dict:
        """What the approvers vouch for: the kind, the cohort and every line and unit."""
        lines = []
        for line in self.lines.select_related("learner", "qualification").prefetch_related(
            "units__unit"
        ):
            lines.append(
                {
                    "learner": line.learner_id,
                    "uln": line.uln,
                    "name": f"{line.last_name}, {line.first_name}",
                    "date_of_birth": line.date_of_birth.isoformat() if line.date_of_birth else "",
                    "registration_number": line.registration_number,
                    "qualification": line.qualification.number,
                    "award_grade": line.award_grade,
                    "programme_code": line.programme_code,
                    "units": [[u.unit.number, u.grade] for u in line.units.all()],
                }
            )
        lines.sort(key=lambda r: (r["uln"], r["learner"]))
        return {
            "claim": self.pk,
            "kind": self.kind,
            "cohort": self.cohort_id,
            "academic_year": self.academic_year,
            "version": self.version,
            "amends": self.amends_id,
            "amendment_reason": self.amendment_reason,
            "lines": lines,
        }

    @property
    def is_full(self) -> bool:
        """A final or fallback claim: the full award, which waits for the SV report."""
        return self.kind != self.Kind.INTERIM


class ClaimLine(models.Model):
    """One learner on a claim, with their details as claimed."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    learner = models.ForeignKey("learners.Learner", on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        "registrations.Registration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The cohort's qualification, or the fallback qualification claimed",
    )
    uln = models.CharField(max_length=10, blank=True)
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    registration_number = models.CharField(max_length=20, blank=True)
    home_centre_number = models.CharField(max_length=5, blank=True)
    programme_code = models.CharField(
        max_length=40, blank=True, help_text="The consortium programme code or sub-site"
    )
    award_grade = models.CharField(
        max_length=10, blank=True, help_text="The award grade code as Edexcel Online takes it"
    )
    estimated_points = models.PositiveIntegerField(null=True, blank=True)
    estimated_grade = models.CharField(max_length=10, blank=True)

    access = Access(
        centre="claim__centre",
        view="claims.view_claims",
        learner="learner",
        qualification="claim__cohort__qualification",
        paths={"cohort": "claim__cohort"},
    )

    class Meta:
        ordering = ["claim", "last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "learner"], name="one_line_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.uln})"


class ClaimUnit(models.Model):
    """One unit claimed on a line, with its grade code."""

    line = models.ForeignKey(ClaimLine, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey("qualifications.Unit", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=10)

    class Meta:
        ordering = ["line", "unit__sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["line", "unit"], name="one_claim_unit_per_line")
        ]

    def __str__(self) -> str:
        return f"Unit {self.unit.number}: {self.grade}"


class ClaimFile(models.Model):
    """One claim file made for keying into Edexcel Online: which claim, which format, its
    SHA-256, who made it and when (a claims audit report traces each claim to its file)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel workbook (XLSX)"
        CSV = "csv", "CSV"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(max_length=4, choices=Format.choices)
    sha256 = models.CharField(max_length=64)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="claim__centre",
        view="claims.view_claims",
        qualification="claim__cohort__qualification",
        paths={"cohort": "claim__cohort"},
    )

    class Meta:
        ordering = ["claim", "-made_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} of {self.claim} ({self.sha256[:12]})"
