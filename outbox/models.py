from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutgoingEmail(models.Model):
    """One e-mail, written in the transaction that caused it and sent after commit.

    A row is claimed (status "sending", a claim token, who and when) before the mail server
    is spoken to, and marked "sent" in its own transaction just after the server accepts.
    A claim that is never finished (the worker died) is released by the sweep.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Given up"

    kind = models.CharField(max_length=60, help_text="What the e-mail is, e.g. todos.digest")
    key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="Idempotency key: a second e-mail with the same key is never queued",
    )
    from_email = models.CharField(max_length=254)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500)
    body = models.TextField()
    html = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a sender claimed it")
    created_at = models.DateTimeField(default=timezone.now)
    not_before = models.DateTimeField(default=timezone.now, help_text="Next try is due at")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outgoing e-mail"
        indexes = [
            models.Index(fields=["status", "not_before"], name="outbox_due"),
            models.Index(fields=["claim_token"], name="outbox_claim"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.get_status_display()})"
