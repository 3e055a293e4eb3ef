from django.contrib import admin

from btecqa.forms import ModelForm

from .models import ReminderDigest, ToDo


@admin.register(ToDo)
class ToDoAdmin(admin.ModelAdmin):
    form = ModelForm
    list_display = ["title", "centre", "assignee", "role", "due_date", "closed_at"]
    list_filter = ["kind", "role", "centre"]
    search_fields = ["title"]


@admin.register(ReminderDigest)
class ReminderDigestAdmin(admin.ModelAdmin):
    form = ModelForm
    list_display = ["user", "date", "items", "sent_at"]
