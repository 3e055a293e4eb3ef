from django.contrib import admin

from btecqa.forms import ModelForm

from .models import AuditChainHead, AuditEvent, AuditEventDetail


class ReadOnlyAdmin(admin.ModelAdmin):
    """The trail is read-only everywhere, the admin included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "actor_repr", "action", "object_repr", "learner_repr"]
    list_filter = ["action"]
    search_fields = ["actor_repr", "detail__object_repr", "detail__learner_repr", "action"]
    date_hierarchy = "occurred_at"
    actions = None


@admin.register(AuditEventDetail)
class AuditEventDetailAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "learner_repr", "object_repr", "erased_at", "erased_by_seq"]
    actions = None

    def get_object(self, request, object_id, from_field=None):
        # The key is the event's id (a one-to-one key): Django's range check for integer
        # lookups does not cover it, so an id the database cannot hold stops here.
        from btecqa.params import to_int

        if to_int(object_id) is None:
            return None
        return super().get_object(request, object_id, from_field)


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["id", "count", "last_hash", "key_id", "updated_at"]
    actions = None


class AuditedAdminMixin:
    """Admin edits go on the trail like any other change, and are checked like any form's."""

    form = ModelForm

    def _snapshot(self, obj):
        from django.forms.models import model_to_dict

        return {k: v for k, v in model_to_dict(obj).items() if not isinstance(v, (list, tuple))}

    def save_model(self, request, obj, form, change):
        from . import record

        before = self._snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.{'changed' if change else 'created'}_in_admin"
        record(request.user, action, obj, before=before, after=self._snapshot(obj))

    def delete_model(self, request, obj):
        from . import record

        record(
            request.user,
            f"{obj._meta.model_name}.deleted_in_admin",
            obj,
            before=self._snapshot(obj),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
