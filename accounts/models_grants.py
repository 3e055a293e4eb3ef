"""The Standards Verifier's grant (domain.md 3.10): Pearson's SV reads the sampled cohorts.

The Quality Nominee grants a personal, read-only account for named cohorts until a set
date. The grant holds the Standards Verifier role at the centre (a RoleAssignment); the
access layer limits that role to the cohorts of the live grants (accounts/permissions.py
GRANTED_COHORTS), so the role stops applying the day after `expires_on` without any job.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .permissions import Access


class VerifierGrantQuerySet(models.QuerySet):
    def live(self, today=None):
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True, expires_on__gte=today)


class VerifierGrant(models.Model):
    """One centre's grant of read-only access to its sampled cohorts, to one SV."""

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.PROTECT, related_name="verifier_grants"
    )
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="verifier_grants",
        help_text="The Standards Verifier's own account (never shared).",
    )
    cohorts = models.ManyToManyField("learners.Cohort", related_name="verifier_grants")
    expires_on = models.DateField(help_text="The last day the account may sign in.")
    granted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="verifier_grants_made"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verifier_grants_revoked",
    )

    objects = VerifierGrantQuerySet.as_manager()

    access = Access(centre="centre", view="accounts.view_verifier_grants")

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="verifier_grant_revoked_by_someone",
            )
        ]

    def __str__(self) -> str:
        return f"Standards Verifier access for {self.user} at {self.centre}"

    def status(self, today=None) -> str:
        today = today or timezone.localdate()
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_on < today else "live"

    @classmethod
    def live_cohorts(cls, user) -> list[tuple[int, int, int]]:
        """(centre, cohort, qualification) of each cohort in the user's live grants."""
        through = cls.cohorts.through
        return list(
            through.objects.filter(
                verifiergrant__user_id=user.pk,
                verifiergrant__revoked_at__isnull=True,
                verifiergrant__expires_on__gte=timezone.localdate(),
                verifiergrant__centre__is_active=True,
            )
            .order_by()
            .values_list("verifiergrant__centre_id", "cohort_id", "cohort__qualification_id")
            .distinct()
        )
