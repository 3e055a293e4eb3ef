from django.contrib import admin

from .models import ReminderDigest, ToDo


@admin.register(ToDo)
class ToDoAdmin(admin.ModelAdmin):
    list_display = ["title", "centre", "assignee", "role", "due_date", "closed_at"]
    list_filter = ["kind", "role", "centre"]
    search_fields = ["title"]


@admin.register(ReminderDigest)
class ReminderDigestAdmin(admin.ModelAdmin):
    list_display = ["user", "date", "items", "sent_at"]
