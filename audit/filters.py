import django_filters
from django import forms

from btecqa.forms import Form
from btecqa.params import to_int

from . import actions
from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    learner = django_filters.CharFilter(
        label="Learner", method="filter_learner", help_text="Name, or the learner's record number"
    )
    person = django_filters.CharFilter(
        field_name="actor_repr", lookup_expr="icontains", label="Person"
    )
    action = django_filters.ChoiceFilter(
        label="Action", method="filter_action", empty_label="Any action"
    )
    date_from = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label="From (dd/mm/yyyy)",
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label="To (dd/mm/yyyy)",
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
    )

    class Meta:
        model = AuditEvent
        fields = []
        form = Form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["action"].extra["choices"] = actions.choices()

    def filter_action(self, queryset, name, value):
        return queryset.filter(action__in=actions.codes_for(value))

    def filter_learner(self, queryset, name, value):
        value = value.strip()
        if (learner_id := to_int(value)) is not None:
            return queryset.filter(learner_id=learner_id)
        return queryset.filter(detail__learner_repr__icontains=value)
