"""The Quality Nominee's yearly policy monitoring report (seed 000, section 4).

A `PolicyMonitoringReport` is one version of a centre's report on one academic year: one
`MonitoringClause` per clause of the policy, with what the evidence readers found when the
report was drafted (status, evidence and exceptions, kept as they were) and the Quality
Nominee's action for it. The QN signs it through `signatures.sign`; a signed version never
changes (the models refuse it). A change after signing is a new version, made from the
signed one with a reason, drafted afresh from the records and signed again; the signed
version stays, with its signature, for Pearson.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.permissions import Access

VIEW_MONITORING = "policies.view_monitoring_report"
SIGNED_REFUSAL = (
    "This monitoring report is signed, so it no longer changes. To change it, make a new "
    "version with a reason (the signed version is kept with its signature)."
)


class PolicyMonitoringReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: the Quality Nominee is writing the actions"
        SIGNED = "signed", "Signed by the Quality Nominee"
        SUPERSEDED = "superseded", "Signed, then replaced by a later version"

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="policy_monitoring_reports"
    )
    academic_year = models.CharField(max_length=7, help_text="The year monitored, e.g. 2025/26")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        help_text="The signed version this one replaces",
    )
    reason = models.CharField(
        "why a new version", max_length=500, blank=True, help_text="Given for version 2 on"
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(centre="centre", view=VIEW_MONITORING, paths={"status": "status"})

    signing_statement = (
        "As Quality Nominee I have monitored the policy for this academic year: each clause's "
        "evidence and exceptions are as the records showed, and each exception's action is "
        "recorded here."
    )

    class Meta:
        ordering = ["centre", "-academic_year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "academic_year", "version"],
                name="one_monitoring_report_version",
            )
        ]

    def __str__(self) -> str:
        v = f" (version {self.version})" if self.version > 1 else ""
        return f"Policy monitoring report {self.academic_year}{v}"

    def save(self, *args, **kwargs):
        # Whatever calls save(), a signed version stays as signed.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored is not None and stored != self.Status.DRAFT:
                raise ValidationError(SIGNED_REFUSAL)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("policies:monitoring_report", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def snapshot(self) -> dict:
        """What the Quality Nominee signs: the year, the version and every clause row."""
        return {
            "monitoring_report": self.pk,
            "centre": self.centre_id,
            "academic_year": self.academic_year,
            "version": self.version,
            "reason": self.reason,
            "clauses": [
                {
                    "clause": c.clause,
                    "text": c.text,
                    "status": c.status,
                    "evidence": c.evidence,
                    "exceptions": c.exceptions,
                    "action": c.action,
                }
                for c in self.clauses.order_by("position", "pk")
            ],
        }


class MonitoringClause(models.Model):
    """One clause of one version: the readers' findings as drafted and the QN's action."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        EXCEPTIONS = "exceptions", "Exceptions"
        NOT_EVIDENCED = "not_evidenced", "Not evidenced"

    report = models.ForeignKey(
        PolicyMonitoringReport, on_delete=models.CASCADE, related_name="clauses"
    )
    position = models.PositiveSmallIntegerField(default=0)
    clause = models.CharField(max_length=16, help_text="The policy clause, e.g. 000-3.1.6")
    text = models.CharField(max_length=300)
    status = models.CharField(max_length=14, choices=Status.choices)
    evidence = models.JSONField(default=list, blank=True)
    exceptions = models.JSONField(default=list, blank=True)
    action = models.TextField("action", blank=True)
    action_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_at = models.DateTimeField(null=True, blank=True)

    access = Access(
        centre="report__centre", view=VIEW_MONITORING, paths={"status": "report__status"}
    )

    class Meta:
        ordering = ["report", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report", "clause"], name="one_row_per_report_clause")
        ]

    def __str__(self) -> str:
        return f"{self.clause} {self.text}"

    def save(self, *args, **kwargs):
        status = (
            PolicyMonitoringReport.objects.filter(pk=self.report_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is not None and status != PolicyMonitoringReport.Status.DRAFT:
            raise ValidationError(SIGNED_REFUSAL)
        super().save(*args, **kwargs)

    @property
    def audit_centre_id(self) -> int:
        return self.report.centre_id
