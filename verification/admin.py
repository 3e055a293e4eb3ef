"""Lead IV appointments and standardisation are kept through the Quality Nominee's and Lead
IV's pages (checked, audited); the admin only reads them."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import (
    AssessorRating,
    DecisionFlag,
    IVPlan,
    IVRecord,
    LeadIVAppointment,
    SampleItem,
    SamplingStrategy,
    StandardisationRecord,
    StandardisationRule,
)


@admin.register(LeadIVAppointment)
class LeadIVAppointmentAdmin(ReadOnlyAdmin):
    list_display = ["qualification", "centre", "academic_year", "lead_iv", "cover"]
    list_filter = ["academic_year"]


@admin.register(StandardisationRecord)
class StandardisationRecordAdmin(ReadOnlyAdmin):
    list_display = ["qualification", "unit", "centre", "academic_year", "held_on", "kind"]
    list_filter = ["academic_year", "kind"]


@admin.register(StandardisationRule)
class StandardisationRuleAdmin(ReadOnlyAdmin):
    list_display = ["centre", "block", "changed_by", "changed_at"]


for model in (SamplingStrategy, AssessorRating, IVPlan, SampleItem, IVRecord, DecisionFlag):
    admin.site.register(model, ReadOnlyAdmin)

from .models_sv import SVAction, SVSample, SVVisit  # noqa: E402

for model in (SVVisit, SVSample, SVAction):
    admin.site.register(model, ReadOnlyAdmin)
