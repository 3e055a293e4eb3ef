from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import Job


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Read-only: what ran, for whom, how far, and why it failed."""

    list_display = ["created_at", "kind", "centre", "status", "done", "total", "attempts"]
    list_filter = ["status", "kind"]
    ordering = ["-created_at", "-pk"]
    actions = None
