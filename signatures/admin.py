from django.contrib import admin

from .models import RecordVersion, Signature


class ReadOnly(admin.ModelAdmin):
    """Signed history is evidence: never changed, not even by a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RecordVersion)
class RecordVersionAdmin(ReadOnly):
    list_display = ["content_type", "object_id", "number", "created_by_repr", "created_at"]


@admin.register(Signature)
class SignatureAdmin(ReadOnly):
    list_display = ["version", "signer_name", "role_label", "signed_at"]
