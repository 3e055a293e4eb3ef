"""Certificates received from Pearson, checked, issued and held (004-cert-5, 004-cert-6,
004-duty-7; domain.md 4.6, 4.7).

- a **CertificateBatch** is one delivery from Pearson to a centre: when it arrived, who
  recorded it and how (keyed in from the certificates, or imported from a file);
- a **Certificate** is one certificate in it, with what is printed on it (certificate number,
  ULN, registration number, name, date of birth, qualification, award grade and the units
  with their grades, kept as JSON ``[[number, grade], ...]``), the learner and the submitted
  claim line it answers when matched, and its status: held at the centre, issued to the
  learner, or securely destroyed (unclaimed past the holding period). After the destruction
  log's period its personal details are removed; the number and the dates stay;
- a **CertificateException** is one difference between a certificate and the submitted
  claim (or a claim line with no certificate, or a certificate nobody claimed): reported
  to Pearson on a date with Pearson's case reference, open until the amended certificate
  arrives, which resolves it;
- a **CertificateIssue** is the certificate handed over: the learner's signature on
  collection (their name typed, and who witnessed it) or the posting date and address;
- a **CertificateImport** is one upload of a certificates file (tabular's ImportRecord).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from tabular.models import ImportRecord

VIEW = "certification.view_certificates"
RECORD = "certification.record_certificates"


class CertificateBatch(models.Model):
    """One delivery of certificates from Pearson."""

    class How(models.TextChoices):
        KEYED = "keyed", "Keyed in"
        IMPORTED = "imported", "Imported from a file"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=10, choices=How.choices)
    file_name = models.CharField(max_length=255, blank=True)
    checked_at = models.DateTimeField(
        null=True, blank=True, help_text="When the claim lines with no certificate were looked for"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who looked for the claim lines with no certificate",
    )

    access = Access(centre="centre", view=VIEW)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name_plural = "certificate batches"

    def __str__(self) -> str:
        return f"Certificates received {self.received_on:%d/%m/%Y}" + (
            f" ({self.file_name})" if self.file_name else ""
        )


class Certificate(models.Model):
    """One certificate as Pearson printed it."""

    class Status(models.TextChoices):
        HELD = "held", "Held at the centre"
        ISSUED = "issued", "Issued to the learner"
        DESTROYED = "destroyed", "Securely destroyed (unclaimed)"

    batch = models.ForeignKey(
        CertificateBatch, on_delete=models.PROTECT, related_name="certificates"
    )
    learner = models.ForeignKey(
        "learners.Learner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim_line = models.ForeignKey(
        "claims.ClaimLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    certificate_number = models.CharField(max_length=30)
    uln = models.CharField(max_length=10, blank=True)
    registration_number = models.CharField(max_length=20, blank=True)
    surname = models.CharField(max_length=100, blank=True)
    forenames = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    qualification_number = models.CharField(max_length=12)
    award_grade = models.CharField(max_length=10, blank=True)
    units = models.JSONField(default=list, blank=True, help_text='[["1", "D"], ["2", "M"]]')
    received_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    destroyed_on = models.DateField(null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destroyed_how = models.CharField(max_length=200, blank=True)
    details_removed_on = models.DateField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="batch__centre", view=VIEW, learner="learner", qualification="qualification"
    )

    class Meta:
        ordering = ["batch", "surname", "forenames", "pk"]
        indexes = [models.Index(fields=["status", "received_on"])]

    def __str__(self) -> str:
        if self.details_removed_on:
            return f"Certificate {self.certificate_number}"
        return f"Certificate {self.certificate_number} for {self.name}"

    @property
    def name(self) -> str:
        return ", ".join(p for p in (self.surname, self.forenames) if p)

    @property
    def audit_learner(self):
        return self.learner


class CertificateException(models.Model):
    """One difference between what Pearson certificated and what the centre claimed."""

    class Kind(models.TextChoices):
        MISSING = "missing", "Certificate missing"
        GRADE = "grade", "Award grade differs"
        NAME = "name", "Name differs"
        DATE_OF_BIRTH = "date_of_birth", "Date of birth differs"
        UNITS = "units", "Units differ"
        UNCLAIMED = "unclaimed", "Certificate nobody claimed"

    class Status(models.TextChoices):
        OPEN = "open", "To report to Pearson"
        REPORTED = "reported", "Reported to Pearson: waiting for the amended certificate"
        RESOLVED = "resolved", "Resolved by the amended certificate"

    batch = models.ForeignKey(CertificateBatch, on_delete=models.PROTECT, related_name="exceptions")
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    claim_line = models.ForeignKey(
        "claims.ClaimLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    learner = models.ForeignKey(
        "learners.Learner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    qualification = models.ForeignKey(
        "qualifications.Qualification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What an amended certificate is matched on when no learner was found.
    uln = models.CharField(max_length=10, blank=True)
    qualification_number = models.CharField(max_length=12, blank=True)
    kind = models.CharField(max_length=15, choices=Kind.choices)
    description = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(default=timezone.now)
    reported_on = models.DateField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pearson_reference = models.CharField(max_length=60, blank=True)
    resolved_by = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="resolves"
    )
    resolved_on = models.DateField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="batch__centre", view=VIEW, learner="learner", qualification="qualification"
    )

    class Meta:
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def audit_learner(self):
        return self.learner

    @property
    def centre(self):
        return self.batch.centre


class CertificateIssue(models.Model):
    """A certificate handed to its learner: collected (signed for) or posted."""

    class How(models.TextChoices):
        COLLECTED = "collected", "Collected and signed for"
        POSTED = "posted", "Posted"

    certificate = models.OneToOneField(Certificate, on_delete=models.PROTECT, related_name="issue")
    how = models.CharField(max_length=10, choices=How.choices)
    issued_on = models.DateField()
    signed_name = models.CharField(
        max_length=200, blank=True, help_text="The learner's name as they typed it on collection"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address_line = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    access = Access(
        centre="certificate__batch__centre",
        view=VIEW,
        learner="certificate__learner",
        qualification="certificate__qualification",
    )

    def __str__(self) -> str:
        return f"{self.certificate} {self.get_how_display().lower()} {self.issued_on:%d/%m/%Y}"


class CertificateImport(ImportRecord):
    """One upload of a certificates file: previewed, then committed once."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        COMMITTED = "committed", "Committed"
        DISCARDED = "discarded", "Discarded"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        CertificateBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    access = Access(centre="centre", view=RECORD)

    class Meta(ImportRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Certificate import {self.file_name} ({self.status})"
