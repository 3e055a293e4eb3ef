"""The September registration cycle, as the second seed policy runs it.

RegistrationYear holds Pearson's facts for a year (deadline, late-fee bands,
refund window, the gap before a claim): configuration data, loaded from
registrations/year_data/, never constants. CentreCalendar holds the centre's
own dates (start of term, October half term, the entry-check deadline).

A RegistrationRound is one centre's September round for a year. The exams
officer sends an EntryRequest to each programme leader; the leader proposes
Registrations; the exams officer enters them and returns the EntryList for
signing; the list is signed and versioned through the signatures app. The
Quality Nominee's EntryCheck records Discrepancies; in-year ChangeRequests
(new starters, withdrawals, transfers, changes of details) are actioned at
Pearson with a date and reference. Every step appends to the learner's
RegistrationStep history and to the audit trail.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from accounts.roles import Role
from tabular.models import ImportRecord


class RegistrationYear(models.Model):
    """Pearson's registration facts for one academic year (yearly configuration data)."""

    academic_year = models.CharField(max_length=7, unique=True, help_text="e.g. 2026/27")
    registration_deadline = models.DateField(
        help_text="Last day for standard-fee registration (1 November for Nationals)"
    )
    fee_bands = models.JSONField(
        default=list,
        help_text='Late-fee bands: [{"from": "2026-11-02", "multiplier": "1.05"}, ...]',
    )
    refund_window_days = models.PositiveIntegerField(
        default=90, help_text="Days after registration in which a deletion is refunded"
    )
    claim_gap_weeks = models.PositiveIntegerField(
        default=10, help_text="Weeks that must separate registration and a certification claim"
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the figures came from")
    unconfirmed = models.CharField(
        max_length=300, blank=True, help_text="Which figures are not confirmed for this year"
    )

    class Meta:
        ordering = ["-academic_year"]

    def __str__(self) -> str:
        return self.academic_year

    def deadline_for(self, family):
        """Pearson's deadline and fee bands for one qualification family this year: its own
        FamilyDeadline row, else the year's (a qualification without a family too)."""
        from .calendar import Deadline

        row = self.family_rows().get(family.pk) if family is not None else None
        return Deadline(self, family if row else None, row)

    def family_rows(self) -> dict:
        """The year's FamilyDeadline rows by family id, read once per instance."""
        rows = getattr(self, "_family_rows", None)
        if rows is None:
            rows = self._family_rows = {
                d.family_id: d for d in self.family_deadlines.select_related("family")
            }
        return rows


class FamilyDeadline(models.Model):
    """Pearson's registration deadline for one qualification family in one year.

    Pearson's deadlines differ by suite (1 November for Nationals, Firsts and Tech Awards;
    15 November for HNC/HND and Art and Design diplomas): yearly configuration, falling
    back to the RegistrationYear's deadline for a family without a row.
    """

    year = models.ForeignKey(
        RegistrationYear, on_delete=models.CASCADE, related_name="family_deadlines"
    )
    family = models.ForeignKey(
        "qualifications.QualificationFamily", on_delete=models.PROTECT, related_name="+"
    )
    registration_deadline = models.DateField(
        help_text="Last day for standard-fee registration for this family"
    )
    fee_bands = models.JSONField(
        default=list,
        blank=True,
        help_text="This family's late-fee bands, as the year's; empty: the year's bands",
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the date came from")
    unconfirmed = models.CharField(
        max_length=300, blank=True, help_text="What is not confirmed for this year"
    )

    class Meta:
        ordering = ["year", "family__name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "family"], name="one_deadline_per_family_year")
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.year}: {self.registration_deadline:%d/%m/%Y}"


class CentreCalendar(models.Model):
    """A centre's own dates for a year: the October half term is entered by the centre."""

    centre = models.ForeignKey("centres.Centre", on_delete=models.CASCADE, related_name="calendars")
    academic_year = models.CharField(max_length=7)
    term_starts = models.DateField()
    october_half_term_starts = models.DateField(help_text="First weekday of the October half term")
    entry_check_deadline = models.DateField(
        null=True,
        blank=True,
        help_text="Leave blank for the Friday before the October half term",
    )

    access = Access(centre="centre", view="registrations.view")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "academic_year"], name="one_calendar_per_centre_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.academic_year}"


class RegistrationRound(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="rounds")
    academic_year = models.CharField(max_length=7)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(centre="centre", view="registrations.view")

    class Meta:
        ordering = ["-academic_year", "centre__name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "academic_year"], name="one_round_per_year")
        ]

    def __str__(self) -> str:
        return f"Registrations {self.academic_year}, {self.centre.name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:round_detail", args=[self.pk])


class EntryRequest(models.Model):
    """The exams officer asks one programme leader for the programme's entries, by a date."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        PROPOSED = "proposed", "Proposed by the programme leader"

    round = models.ForeignKey(RegistrationRound, on_delete=models.CASCADE, related_name="requests")
    cohort = models.ForeignKey(
        "learners.Cohort", on_delete=models.PROTECT, related_name="entry_requests"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)

    access = Access(
        centre="round__centre",
        view="registrations.view",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "cohort"], name="one_request_per_cohort_round")
        ]

    def __str__(self) -> str:
        return f"Entry request: {self.cohort} ({self.round.academic_year})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:proposals", args=[self.pk])

    @property
    def centre_id(self):
        return self.cohort.centre_id

    @property
    def continuing(self) -> bool:
        """The cohort started in an earlier year: its learners are registered already."""
        return self.cohort.start_year != self.round.academic_year


class Registration(models.Model):
    """One learner on one programme, from proposal to Pearson's registration number.

    Never edited in place once submitted: changes after submission go through
    a ChangeRequest, and every step is a RegistrationStep and an audit event.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ENTERED = "entered", "Entered"
        SUBMITTED = "submitted", "Submitted to Pearson"
        REGISTERED = "registered", "Registered"
        WITHDRAWN = "withdrawn", "Withdrawn"
        TRANSFERRED = "transferred", "Transferred"
        DELETED = "deleted", "Deleted"
        DROPPED = "dropped", "Not entered"

    ACTIVE = (Status.PROPOSED, Status.ENTERED, Status.SUBMITTED, Status.REGISTERED)
    ON_LIST = (Status.ENTERED, Status.SUBMITTED, Status.REGISTERED)

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="registrations"
    )
    cohort = models.ForeignKey(
        "learners.Cohort", on_delete=models.PROTECT, related_name="registrations"
    )
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.PROTECT,
        related_name="registrations",
        help_text="The home centre: registrations go through the learner's own centre number",
    )
    pathway = models.CharField(max_length=100, blank=True)
    optional_units = models.ManyToManyField("qualifications.Unit", blank=True, related_name="+")
    programme_code = models.CharField(
        max_length=30, blank=True, help_text="Consortium programme code or sub-site, if any"
    )
    new_starter = models.BooleanField(default=False)
    round = models.ForeignKey(
        "RegistrationRound",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The round whose entry list first entered it; later rounds list it as continuing",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    registration_number = models.CharField(max_length=20, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    entered_at = models.DateTimeField(null=True, blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    registered_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(
        null=True, blank=True, help_text="Withdrawn, transferred or deleted"
    )
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="centre",
        view="registrations.view",
        learner="learner",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["learner__last_name", "learner__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "cohort"],
                condition=models.Q(status__in=["proposed", "entered", "submitted", "registered"]),
                name="one_live_registration_per_learner_cohort",
            )
        ]
        indexes = [models.Index(fields=["cohort", "status"])]

    def __str__(self) -> str:
        return f"{self.learner} on {self.cohort}"

    @property
    def audit_learner(self):
        return self.learner

    @property
    def is_live(self) -> bool:
        return self.status in self.ACTIVE


class RegistrationStep(models.Model):
    """The learner's registration history: every step, never rewritten."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    by_repr = models.CharField(max_length=200)
    what = models.CharField(max_length=60)
    detail = models.CharField(max_length=500, blank=True)

    access = Access(
        centre="registration__centre", view="registrations.view", learner="registration__learner"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y} {self.what}"


class EntryList(models.Model):
    """A programme's entries for the round, returned to the programme leader to sign.

    Its content is `snapshot()`; it is signed and versioned by the signatures app.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Being prepared"
        AWAITING_SIGNATURE = "awaiting_signature", "Awaiting the programme leader's signature"
        SIGNED = "signed", "Signed"
        AMENDED = "amended", "Amended since signing"
        SUBMITTED = "submitted", "Submitted to Pearson"

    FROZEN = (Status.SUBMITTED,)

    round = models.ForeignKey(RegistrationRound, on_delete=models.CASCADE, related_name="lists")
    cohort = models.ForeignKey(
        "learners.Cohort", on_delete=models.PROTECT, related_name="entry_lists"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    returned_at = models.DateTimeField(null=True, blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pearson_order_number = models.CharField(max_length=12, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "cohort"], name="one_list_per_cohort_round")
        ]

    access = Access(
        centre="cohort__centre",
        view="registrations.view",
        qualification="cohort__qualification",
        paths={"cohort": "cohort"},
    )

    signing_statement = (
        "I have checked these entries against my class lists and confirm they are correct."
    )
    signing_role = Role.PROGRAMME_LEADER

    def __str__(self) -> str:
        return f"Entry list: {self.cohort}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:entry_list", args=[self.pk])

    @property
    def centre_id(self):
        return self.cohort.centre_id

    @property
    def continuing(self) -> bool:
        """A later year of the cohort: its learners are registered already (continuing)."""
        return self.cohort.start_year != self.round.academic_year

    def rows(self):
        return (
            self.cohort.registrations.filter(status__in=Registration.ON_LIST)
            .select_related("learner")
            .prefetch_related("optional_units")
            .order_by("learner__last_name", "learner__first_name", "learner_id")
        )

    def snapshot(self, rows: list[dict] | None = None) -> dict:
        """Exactly what the programme leader signs: the programme and every row.

        `rows` lets a page that has already read snapshot_rows() hash the same content.
        """
        c = self.cohort
        return {
            "cohort": {
                "centre": c.centre.number,
                "qualification": c.qualification.number,
                "title": c.qualification.title,
                "start_year": c.start_year,
                "years": c.years,
            },
            "round": self.round.academic_year,
            "rows": snapshot_rows(self.cohort_id, round_id=self.round_id) if rows is None else rows,
        }


SNAPSHOT_FIELDS = (
    "pk",
    "learner_id",
    "learner__last_name",
    "learner__first_name",
    "learner__date_of_birth",
    "learner__sex",
    "learner__uln",
    "learner__uci",
    "learner__candidate_number",
    "pathway",
    "programme_code",
    "new_starter",
    "round_id",
)


def snapshot_rows(
    cohort_id: int, extra: tuple[str, ...] = (), *, round_id: int | None = None
) -> list[dict]:
    """The entry list's rows as signed: two queries, no model instances (300 rows stay cheap).

    A row entered in an earlier round than `round_id` is marked continuing: the learner is
    registered for the whole cohort and is confirmed, not entered again. With `extra`
    fields, each row also carries them under "_extra" (for the page), which is not part
    of what is hashed or signed.
    """
    live = {"cohort_id": cohort_id, "status__in": Registration.ON_LIST}
    units: dict[int, list[str]] = {}
    for reg_id, number in Registration.optional_units.through.objects.filter(
        **{f"registration__{k}": v for k, v in live.items()}
    ).values_list("registration_id", "unit__number"):
        units.setdefault(reg_id, []).append(number)
    rows = []
    for values in (
        Registration.objects.filter(**live)
        .order_by("learner__last_name", "learner__first_name", "learner_id")
        .values_list(*SNAPSHOT_FIELDS, *extra)
    ):
        pk, learner, last, first, dob, sex, uln, uci, cand, pathway, code, new, entered_in = values[
            :13
        ]
        row = {
            "key": str(pk),
            "learner": learner,
            "last_name": last,
            "first_name": first,
            "date_of_birth": dob.isoformat(),
            "sex": sex,
            "uln": uln or "",
            "uci": uci or "",
            "candidate_number": cand,
            "pathway": pathway,
            "optional_units": sorted(units.get(pk, [])),
            "programme_code": code,
            "new_starter": new,
            "continuing": bool(round_id and entered_in and entered_in != round_id),
        }
        if extra:
            row["_extra"] = dict(zip(extra, values[13:], strict=True))
        rows.append(row)
    return rows


class RowQuery(models.Model):
    """The programme leader questions one row before signing; the exams officer answers."""

    entry_list = models.ForeignKey(EntryList, on_delete=models.CASCADE, related_name="queries")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="queries")
    reason = models.CharField(max_length=500)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    access = Access(
        centre="entry_list__cohort__centre",
        view="registrations.view",
        learner="registration__learner",
        paths={"cohort": "entry_list__cohort"},
    )

    class Meta:
        ordering = ["raised_at"]

    def __str__(self) -> str:
        return f"Query on {self.registration.learner}: {self.reason[:40]}"

    def get_absolute_url(self):
        return self.entry_list.get_absolute_url()

    @property
    def audit_learner(self):
        return self.registration.learner


class RegistrationNumberImport(ImportRecord):
    """An Edexcel Online export of registration numbers: previewed, then confirmed.

    Its rows (each with its match and outcome) are in the rows log kept with the file.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    applied_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="centre", view="registrations.view")

    class Meta(ImportRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"Registration numbers {self.file_name} ({self.created_at:%d/%m/%Y})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:numbers_preview", args=[self.pk])


class EntryCheck(models.Model):
    """The Quality Nominee's check of entries against class lists, before October half term."""

    round = models.OneToOneField(
        RegistrationRound, on_delete=models.CASCADE, related_name="entry_check"
    )
    deadline = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who last ran the check against the class lists",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    access = Access(centre="round__centre", view="registrations.view")

    def __str__(self) -> str:
        return f"Entry check {self.round}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:check_detail", args=[self.pk])

    @property
    def centre_id(self):
        return self.round.centre_id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_late(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and today > self.deadline


class Discrepancy(models.Model):
    class Kind(models.TextChoices):
        NOT_ENTERED = "not_entered", "In a teaching group but not entered"
        NO_GROUP = "no_group", "Entered but in no teaching group"
        WRONG_QUALIFICATION = "wrong_qualification", "Wrong qualification or pathway"
        DUPLICATE = "duplicate", "Duplicate registration"
        DETAILS_DIFFER = "details_differ", "Details differ from the MIS record"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WITH_PROGRAMME_LEADER = "with_pl", "Asked the programme leader"
        ANSWERED = "answered", "Answered by the programme leader"
        WITH_EXAMS_OFFICER = "with_eo", "Passed to the exams officer to amend"
        AMENDED = "amended", "Amended by the exams officer"
        RESOLVED = "resolved", "Resolved"

    entry_check = models.ForeignKey(
        EntryCheck, on_delete=models.CASCADE, related_name="discrepancies"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    learner = models.ForeignKey("learners.Learner", on_delete=models.PROTECT, related_name="+")
    cohort = models.ForeignKey("learners.Cohort", on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    found_at = models.DateTimeField(default=timezone.now)
    question = models.CharField(max_length=500, blank=True)
    answer = models.CharField(max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    amendment = models.CharField(max_length=500, blank=True)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=0)

    access = Access(
        centre="entry_check__round__centre",
        view="registrations.view",
        learner="learner",
        paths={"cohort": "cohort"},
    )

    class Meta:
        ordering = ["found_at", "pk"]
        verbose_name_plural = "discrepancies"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.learner}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:discrepancy_detail", args=[self.pk])

    @property
    def audit_learner(self):
        return self.learner

    @property
    def centre_id(self):
        return self.cohort.centre_id


class ChangeRequest(models.Model):
    """A change during the year, actioned at Pearson by the exams officer."""

    class Kind(models.TextChoices):
        NEW_STARTER = "new_starter", "New starter"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        TRANSFER = "transfer", "Transfer"
        DETAILS = "details", "Change of learner details"

    class Reason(models.TextChoices):
        LEFT_SCHOOL = "left_school", "Left the school"
        CHANGED_COURSE = "changed_course", "Changed course"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the exams officer"
        HANDED_OVER = "handover", "Handed over: waiting for the receiving centre"
        DECLINED = "declined", "Declined by the receiving centre: waiting for the exams officer"
        DONE = "done", "Done at Pearson"
        CANCELLED = "cancelled", "Cancelled"

    class Achievement(models.TextChoices):
        """What was reported to Pearson of the learner's achievement to date (domain 4.4:
        reported on transfer or withdrawal, even when nothing was achieved)."""

        REPORTED = "reported", "Achievement to date reported to Pearson"
        NONE = "none", "Nothing achieved yet: reported to Pearson as no units achieved"
        NOT_REPORTED = "not_reported", "Not reported to Pearson yet"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="change_requests"
    )
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    cohort = models.ForeignKey(
        "learners.Cohort",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a new starter: the programme joined",
    )
    to_cohort = models.ForeignKey(
        "learners.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_centre = models.ForeignKey(
        "centres.Centre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    details = models.CharField(max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    actioned_on = models.DateField(null=True, blank=True)
    pearson_reference = models.CharField(max_length=50, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    achievement = models.CharField(
        "achievement to date", max_length=12, choices=Achievement.choices, blank=True
    )
    achievement_detail = models.CharField(
        max_length=500, blank=True, help_text="The units achieved and results reported, or why not"
    )
    no_results_confirmed = models.BooleanField(
        default=False, help_text="A deletion for a refund: no unit results were reported"
    )

    access = Access(
        centre="centre",
        view="registrations.view",
        learner="learner",
        paths={"requested_by": "requested_by"},
    )

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.learner}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:change_detail", args=[self.pk])

    @property
    def audit_learner(self):
        return self.learner


class TransferHandover(models.Model):
    """What the sending centre hands over when a learner transfers to another centre.

    Pearson's "Transfer from another centre" is done by the receiving centre, reusing the
    learner's UCI and registration number (domain 4.4a). This record is all the receiving
    centre sees: a copy of the learner's identity, the UCI, the registration number and
    the achievement to date, never the sending centre's own records.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the receiving centre"
        DONE = "done", "Transfer completed"
        CANCELLED = "cancelled", "Cancelled by the sending centre"
        DECLINED = "declined", "Declined by the receiving centre"

    change = models.OneToOneField(ChangeRequest, on_delete=models.PROTECT, related_name="handover")
    from_centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    to_centre = models.ForeignKey("centres.Centre", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, blank=True)
    uci = models.CharField("UCI", max_length=13)
    uln = models.CharField("ULN", max_length=10, blank=True)
    registration_number = models.CharField(max_length=20)
    qualification = models.ForeignKey(
        "qualifications.Qualification", on_delete=models.PROTECT, related_name="+"
    )
    submitted_on = models.DateField(null=True, blank=True)
    registered_on = models.DateField(null=True, blank=True)
    achievement = models.CharField(max_length=12, choices=ChangeRequest.Achievement.choices)
    achievement_detail = models.CharField(max_length=500, blank=True)
    handed_over_on = models.DateField()
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_on = models.DateField(null=True, blank=True, help_text="Done at Pearson")
    pearson_reference = models.CharField(max_length=50, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why the receiving centre declined it, shown to the sending centre",
    )
    learner = models.ForeignKey(
        "learners.Learner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The learner at the receiving centre",
    )
    registration = models.ForeignKey(
        Registration,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The registration at the receiving centre",
    )

    access = Access(centre="to_centre", view="registrations.view")

    class Meta:
        ordering = ["-handed_over_on", "-pk"]

    def __str__(self) -> str:
        return f"Transfer in: {self.last_name.upper()}, {self.first_name} from {self.from_centre}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registrations:transfer_detail", args=[self.pk])

    @property
    def centre_id(self):
        return self.to_centre_id

    @property
    def audit_learner(self):
        return self.learner


class LearnerNotice(models.Model):
    """The learner is told what they are registered for: e-mailed or printed."""

    class Method(models.TextChoices):
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Printed letter"

    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="notices"
    )
    round = models.ForeignKey(RegistrationRound, on_delete=models.PROTECT, related_name="notices")
    method = models.CharField(max_length=10, choices=Method.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    content_sha256 = models.CharField(max_length=64)
    content = models.TextField(blank=True, help_text="The notice exactly as sent, for reprints")
    batch = models.CharField(
        max_length=40, blank=True, help_text="The letters batch it was printed in"
    )

    access = Access(centre="round__centre", view="registrations.view", learner="learner")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"Notice to {self.learner} ({self.get_method_display()})"

    @property
    def audit_learner(self):
        return self.learner
