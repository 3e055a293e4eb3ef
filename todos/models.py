from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from accounts.permissions import Access
from accounts.roles import Role


class ToDo(models.Model):
    """An action owed by a person, or by whoever holds a role at a centre.

    Opened and closed by the services that do the work (never by hand), so the
    dashboard and the reminder e-mails always read the truth.
    """

    kind = models.CharField(
        max_length=100, db_index=True, help_text="e.g. arrangement.tell_pearson"
    )
    title = models.CharField(max_length=300)
    centre = models.ForeignKey("centres.Centre", on_delete=models.CASCADE, related_name="todos")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="todos",
    )
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    due_date = models.DateField(null=True, blank=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # The target's page, kept when the action is opened, so a dashboard of fifty actions
    # links them all without loading fifty objects.
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_note = models.CharField(max_length=300, blank=True)

    access = Access(centre="centre", view="todos.view_todos")

    class Meta:
        ordering = ["due_date", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assignee__isnull=False) | ~models.Q(role=""),
                name="todo_owed_by_person_or_role",
            ),
            models.UniqueConstraint(
                fields=["kind", "centre", "target_type", "target_id", "assignee", "role"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_todo_per_kind_target_owner",
            ),
        ]
        indexes = [models.Index(fields=["centre", "role", "closed_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today

    def owner_label(self) -> str:
        if self.assignee_id:
            return str(self.assignee)
        return f"{self.get_role_display()}, {self.centre.name}"

    def link(self) -> str:
        if self.url or not self.target_id:
            return self.url
        # Opened before links were kept (one query each); every new action has its url.
        target = self.target
        return target.get_absolute_url() if hasattr(target, "get_absolute_url") else ""

    @property
    def kind_label(self) -> str:
        from .kinds import all_kinds

        kind = all_kinds().get(self.kind)
        return kind.label if kind else self.kind


class ReminderDigest(models.Model):
    """One row per person per day a digest was sent: the guard against sending twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="one_digest_per_person_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.date:%d/%m/%Y}"
