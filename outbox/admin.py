from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    """Read-only: what went, what waits and why. Sending is the worker's job."""

    list_display = ["created_at", "kind", "recipients", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "key", "to"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = None

    @admin.display(description="to")
    def recipients(self, obj):
        return ", ".join(obj.to)
