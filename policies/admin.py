"""The register is kept through the Quality Nominee's pages (checked, audited); the admin reads."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import ChairSignature, MonitoringRecord, Policy, PolicyVersion, RegisterSettings


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["title", "centre", "coordinator", "last_reviewed", "next_review"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "number", "reviewed_on", "next_review", "file_type"]


@admin.register(MonitoringRecord)
class MonitoringRecordAdmin(ReadOnlyAdmin):
    list_display = ["policy", "academic_year", "monitored_on", "outcome"]
    list_filter = ["academic_year", "outcome"]


for model in (ChairSignature, RegisterSettings):
    admin.site.register(model, ReadOnlyAdmin)


from .models_monitoring import MonitoringClause, PolicyMonitoringReport  # noqa: E402


@admin.register(PolicyMonitoringReport)
class PolicyMonitoringReportAdmin(ReadOnlyAdmin):
    list_display = ["centre", "academic_year", "version", "status", "signed_at"]
    list_filter = ["academic_year", "status"]


@admin.register(MonitoringClause)
class MonitoringClauseAdmin(ReadOnlyAdmin):
    list_display = ["report", "clause", "status"]
    list_filter = ["status"]
