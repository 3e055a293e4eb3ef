"""Pearson's Standards Verification (SV) per cohort and academic year (policy 000-3.1.11,
000-3.1.13; domain.md 3.10).

Pearson allocates a subject-expert standards verifier; the verifier asks first for the
assessment plans, then names the learners whose work they sample, by a deadline. The
report's status on Edexcel Online decides whether certification can be released. When
the verifier finds inaccurate assessment, actions are agreed and a second sample is
needed before certificates are issued.

The routes (standard or enhanced sampling, moderation, LSV) and the report statuses in
Edexcel Online's words are configuration (`verification/sv_config.json`, overridable per
year), stored on the records as codes; what a status means (claims clear or warned, an
action needed, a second sample opened) is said by its flags there, not by code here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from accounts.permissions import Access

CONFIG_FILE = Path(__file__).with_name("sv_config.json")


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    claims: str = "warn"  # statuses: "clear" lets claims proceed; "warn" warns
    reason: str = ""
    needs_action: bool = False
    opens_second_sample: bool = False
    families: tuple[str, ...] = ()


@dataclass(frozen=True)
class SVConfig:
    routes: tuple[Choice, ...]
    statuses: tuple[Choice, ...]
    default_route: str
    default_route_by_family: dict = field(default_factory=dict)
    initial_status: str = ""
    no_visit_reason: str = ""

    def route(self, code: str) -> Choice | None:
        return next((r for r in self.routes if r.code == code), None)

    def status(self, code: str) -> Choice | None:
        return next((s for s in self.statuses if s.code == code), None)

    def route_for_family(self, family_code: str | None) -> str:
        return self.default_route_by_family.get(family_code or "", self.default_route)


def _choices(rows) -> tuple[Choice, ...]:
    out = []
    for row in rows:
        row = dict(row)
        row["families"] = tuple(row.get("families", ()))
        out.append(Choice(**row))
    return tuple(out)


@lru_cache(maxsize=16)
def sv_config(academic_year: str = "") -> SVConfig:
    """The SV routes and statuses for a year: the file's, with that year's overrides."""
    try:
        data = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"{CONFIG_FILE.name}: {exc}") from exc
    data = {**data, **data.get("years", {}).get(academic_year, {})}
    config = SVConfig(
        routes=_choices(data["routes"]),
        statuses=_choices(data["statuses"]),
        default_route=data["default_route"],
        default_route_by_family=dict(data.get("default_route_by_family", {})),
        initial_status=data.get("initial_status", data["statuses"][0]["code"]),
        no_visit_reason=data.get("no_visit_reason", ""),
    )
    codes = {s.code for s in config.statuses}
    if config.initial_status not in codes or config.route(config.default_route) is None:
        raise ImproperlyConfigured(f"{CONFIG_FILE.name}: the initial status or route is unknown.")
    return config


def _cohort_access(prefix: str) -> Access:
    return Access(
        centre=f"{prefix}cohort__centre",
        view="verification.view_sv",
        qualification=f"{prefix}cohort__qualification",
        paths={"cohort": f"{prefix}cohort"},
    )


class SVVisit(models.Model):
    """The standards verification of one cohort in one academic year: who Pearson
    allocated, the route (control measure), the report's status and the sample it is on."""

    cohort = models.ForeignKey(
        "learners.Cohort", on_delete=models.PROTECT, related_name="sv_visits"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    verifier_name = models.CharField("standards verifier", max_length=200, blank=True)
    verifier_email = models.EmailField("verifier's e-mail", blank=True)
    verifier_phone = models.CharField("verifier's phone", max_length=40, blank=True)
    allocated_on = models.DateField(null=True, blank=True)
    route = models.CharField(max_length=20, help_text="A route code from sv_config.json")
    status = models.CharField(max_length=40, help_text="A status code from sv_config.json")
    sample_number = models.PositiveSmallIntegerField(default=1)
    report_received_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    access = _cohort_access("")

    class Meta:
        ordering = ["-academic_year", "cohort__qualification__title", "cohort__start_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "academic_year"], name="one_sv_visit_per_cohort_year"
            ),
            models.CheckConstraint(
                condition=models.Q(sample_number__gte=1, sample_number__lte=2),
                name="sv_sample_number_one_or_two",
            ),
        ]

    def __str__(self) -> str:
        return f"Standards verification: {self.cohort}, {self.academic_year}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("verification:sv_detail", args=[self.pk])

    @property
    def audit_centre_id(self) -> int:
        return self.cohort.centre_id

    @property
    def config(self) -> SVConfig:
        return sv_config(self.academic_year)

    @property
    def route_label(self) -> str:
        route = self.config.route(self.route)
        return route.label if route else self.route

    @property
    def status_label(self) -> str:
        status = self.config.status(self.status)
        return status.label if status else self.status


class SVSample(models.Model):
    """One sample the verifier asks for: the plans sent, the learners they name (from the
    cohort), the deadline, and when the learners' work was sent. Sample 2 is the second
    sample after "certification pending"."""

    visit = models.ForeignKey(SVVisit, on_delete=models.CASCADE, related_name="samples")
    number = models.PositiveSmallIntegerField(default=1)
    plans_sent_on = models.DateField("assessment plans sent", null=True, blank=True)
    learners = models.ManyToManyField("learners.Learner", blank=True, related_name="+")
    learners_named_on = models.DateField(null=True, blank=True)
    deadline = models.DateField("work due to the verifier by", null=True, blank=True)
    work_submitted_on = models.DateField("learners' work sent", null=True, blank=True)
    work_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who recorded that the work was sent (the dossier's who)",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    access = _cohort_access("visit__")

    class Meta:
        ordering = ["visit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "number"], name="one_sv_sample_per_number"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=2), name="sv_sample_one_or_two"
            ),
        ]

    def __str__(self) -> str:
        return f"{'First' if self.number == 1 else 'Second'} sample: {self.visit.cohort}"

    def get_absolute_url(self):
        return self.visit.get_absolute_url()

    @property
    def audit_centre_id(self) -> int:
        return self.visit.cohort.centre_id


class SVAction(models.Model):
    """An action agreed with the verifier: who owns it, by when; closed with a note naming
    what changed, linked to the audit events of the records it changed."""

    visit = models.ForeignKey(SVVisit, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sv_actions"
    )
    due_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(blank=True)
    changed_events = models.JSONField(
        default=list,
        blank=True,
        help_text="The audit event numbers (seq) of the changes the action made",
    )

    access = _cohort_access("visit__")

    class Meta:
        ordering = ["visit", "closed_at", "due_on", "pk"]

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 60 else self.description[:57] + "…"
        return f"SV action: {text}"

    def get_absolute_url(self):
        return self.visit.get_absolute_url()

    @property
    def audit_centre_id(self) -> int:
        return self.visit.cohort.centre_id
