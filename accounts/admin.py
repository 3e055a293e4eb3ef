from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.admin import AuditedAdminMixin, ReadOnlyAdmin
from btecqa.forms import CleanInput, ModelForm

from .models import RoleAssignment, User, VerifierGrant


class UserChangeForm(CleanInput, auth_forms.UserChangeForm):
    pass


class UserCreationForm(CleanInput, auth_forms.AdminUserCreationForm):
    pass


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    form = ModelForm
    extra = 1
    autocomplete_fields = ["centre"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = [RoleAssignmentInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_superuser"]

    def save_formset(self, request, form, formset, change):
        """Granting or removing a role is an audited act."""
        from audit import record

        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            record(
                request.user,
                "accounts.role.revoked",
                obj,
                centre=obj.centre,
                before={"user": obj.user.username, "role": obj.role},
            )
            obj.delete()
        for obj in instances:
            obj.save()
            record(
                request.user,
                "accounts.role.granted",
                obj,
                centre=obj.centre,
                after={"user": obj.user.username, "role": obj.role},
            )
        formset.save_m2m()


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "centre", "granted_at"]
    list_filter = ["role", "centre"]
    autocomplete_fields = ["user", "centre"]


@admin.register(VerifierGrant)
class VerifierGrantAdmin(ReadOnlyAdmin):
    """Granted and ended through the Quality Nominee's page (audited); read here."""

    list_display = ["user", "centre", "expires_on", "granted_by", "granted_at", "revoked_at"]
    list_filter = ["centre"]


# django-otp's own device admin adds <int:pk> pages (config, QR code) that would show the
# secret: replaced by a read-only list. Deleting a device (a lost phone) makes the
# Standards Verifier enrol again at their next sign-in.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count"]

    def has_delete_permission(self, request, obj=None):
        return bool(request.user.is_superuser)
