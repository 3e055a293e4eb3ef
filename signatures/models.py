"""Versions and signatures of any record: built once, used by every app.

A record that can be signed (an entry list today; assessment plans, IV
sign-offs, claims and the annual declaration later) implements `snapshot()`,
a JSON-able dict of exactly what the signer vouches for. Each frozen state is
a RecordVersion holding that snapshot and its SHA-256; a Signature names the
version it signs. A change after signing never edits the signed version: it
makes a new one, with who, when and why, and the difference is computed from
the two snapshots.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class RecordVersion(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_repr = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["content_type", "object_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "number"], name="one_version_number_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"version {self.number}"


class Signature(models.Model):
    version = models.ForeignKey(RecordVersion, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    role_label = models.CharField(max_length=100)
    signed_at = models.DateTimeField(default=timezone.now)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the signed content")
    statement = models.CharField(max_length=300)

    class Meta:
        ordering = ["signed_at"]

    def __str__(self) -> str:
        return f"{self.signer_name} ({self.role_label}) {self.signed_at:%d/%m/%Y %H:%M}"
