from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import LegalHold, RetentionItem


@admin.register(RetentionItem)
class RetentionItemAdmin(ReadOnlyAdmin):
    list_display = ("label", "kind", "centre", "status", "due_on", "disposed_at")
    list_filter = ("status", "kind")


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "centre", "placed_at", "lifted_at")
