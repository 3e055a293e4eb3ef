"""Admin: the yearly figures are configuration (editable, audited); the round is evidence.

Rounds, entry lists, registrations and their history are changed only through the
services, which keep versions, steps and the audit trail; here they can be read, not
changed, so no superuser edit slips past the rules.
"""

from django.contrib import admin

from audit.admin import AuditedAdminMixin

from . import models


@admin.register(models.FamilyDeadline)
class FamilyDeadlineAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A family whose deadline differs from the year's (HNC/HND: 15 November). Its own
    page, not an inline, so each change is audited like the year's."""

    list_display = ["year", "family", "registration_deadline"]
    list_filter = ["year"]


@admin.register(models.RegistrationYear)
class RegistrationYearAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "academic_year",
        "registration_deadline",
        "refund_window_days",
        "claim_gap_weeks",
    ]


@admin.register(models.CentreCalendar)
class CentreCalendarAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "centre",
        "academic_year",
        "term_starts",
        "october_half_term_starts",
        "entry_check_deadline",
    ]
    list_filter = ["academic_year"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, columns in (
    (models.RegistrationRound, ["centre", "academic_year", "status", "opened_at"]),
    (models.EntryRequest, ["cohort", "status", "due_date", "requested_at"]),
    (models.Registration, ["learner", "cohort", "status", "registration_number"]),
    (models.RegistrationStep, ["registration", "at", "what", "by_repr"]),
    (models.EntryList, ["cohort", "status", "submitted_on"]),
    (models.RowQuery, ["registration", "raised_at", "answered_at"]),
    (models.RegistrationNumberImport, ["centre", "file_name", "status", "created_at"]),
    (models.EntryCheck, ["round", "deadline", "closed_at"]),
    (models.Discrepancy, ["entry_check", "kind", "learner", "status"]),
    (models.ChangeRequest, ["kind", "learner", "status", "requested_at"]),
    (models.LearnerNotice, ["learner", "method", "sent_at", "batch"]),
    (
        models.TransferHandover,
        ["change", "from_centre", "to_centre", "status", "handed_over_on", "declined_at"],
    ),
):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (ReadOnlyAdmin,),
            {
                "list_display": columns,
            },
        ),
    )
