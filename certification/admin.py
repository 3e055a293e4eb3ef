"""Certificates change only through the services (checked, audited); the admin only reads."""

from django.contrib import admin

from audit.admin import ReadOnlyAdmin

from .models import (
    Certificate,
    CertificateBatch,
    CertificateException,
    CertificateImport,
    CertificateIssue,
)


@admin.register(CertificateBatch)
class CertificateBatchAdmin(ReadOnlyAdmin):
    list_display = ["centre", "received_on", "how", "file_name", "recorded_by"]
    list_filter = ["how"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["certificate_number", "surname", "forenames", "qualification_number", "status"]
    list_filter = ["status"]


@admin.register(CertificateException)
class CertificateExceptionAdmin(ReadOnlyAdmin):
    list_display = ["description", "kind", "status", "reported_on", "pearson_reference"]
    list_filter = ["kind", "status"]


@admin.register(CertificateIssue)
class CertificateIssueAdmin(ReadOnlyAdmin):
    list_display = ["certificate", "how", "issued_on", "recorded_by"]


@admin.register(CertificateImport)
class CertificateImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "centre", "status", "uploaded_by", "created_at"]
    list_filter = ["status"]
