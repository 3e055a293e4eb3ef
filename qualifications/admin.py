from django.contrib import admin

from audit.admin import AuditedAdminMixin
from btecqa.forms import ModelForm

from .models import (
    AssessmentCriterion,
    EligibilityRule,
    GradeThreshold,
    GradingTable,
    LearningAim,
    Qualification,
    QualificationFamily,
    Unit,
    UnitPoints,
    grading_rows,
)


@admin.register(Qualification)
class QualificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "number", "level", "glh", "family"]
    search_fields = ["title", "number"]


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["qualification", "number", "title", "glh", "assessment", "mandatory"]
    list_filter = ["qualification"]


@admin.register(LearningAim)
class LearningAimAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "code", "label"]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "code", "label"]


@admin.register(QualificationFamily)
class QualificationFamilyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "transferable"]


class UnitPointsInline(admin.TabularInline):
    model = UnitPoints
    form = ModelForm
    extra = 0


class GradeThresholdInline(admin.TabularInline):
    model = GradeThreshold
    form = ModelForm
    extra = 0


class EligibilityRuleInline(admin.TabularInline):
    model = EligibilityRule
    form = ModelForm
    extra = 0
    fields = ["position", "kind", "units", "minimum_grade", "minimum", "note"]


ROW_INLINES = {
    GradingTable.Kind.UNIT_POINTS: UnitPointsInline,
    GradingTable.Kind.THRESHOLDS: GradeThresholdInline,
    GradingTable.Kind.ELIGIBILITY: EligibilityRuleInline,
}


@admin.register(GradingTable)
class GradingTableAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Where UNCONFIRMED figures are corrected from the specification.

    A table saved here is marked `edited`, so loading the shipped catalogue again keeps it.
    Its rows are edited inline (the inline for its kind, once the table is saved), and the
    rows before and after go on the trail with the table.
    """

    list_display = ["qualification", "kind", "from_cohort", "unconfirmed_flag", "edited"]
    list_filter = ["kind", "qualification"]
    readonly_fields = ["edited"]

    @admin.display(boolean=True, description="UNCONFIRMED figures")
    def unconfirmed_flag(self, obj):
        return obj.is_unconfirmed

    def get_inlines(self, request, obj):
        return [ROW_INLINES[obj.kind]] if obj else []

    def save_model(self, request, obj, form, change):
        self._rows_before = grading_rows(GradingTable.objects.get(pk=obj.pk)) if change else []
        obj.edited = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        from audit import record

        super().save_related(request, form, formsets, change)
        after = grading_rows(form.instance)
        if after != self._rows_before:
            record(
                request.user,
                "gradingtable.changed_in_admin",
                form.instance,
                before={"rows": self._rows_before},
                after={"rows": after},
            )


# --- Tech Award series and mark-to-grade configuration (tracking area) -------------------
# Edited here: the raw-mark boundaries change every series and are UNCONFIRMED until
# checked against Pearson's marks converter (domain.md §2.2).

from .models import AssessmentSeries, ComponentBoundary, SeriesComponent  # noqa: E402


@admin.register(AssessmentSeries)
class AssessmentSeriesAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["qualification", "academic_year", "window", "marks_due"]
    list_filter = ["window", "academic_year"]


class ComponentBoundaryInline(admin.TabularInline):
    model = ComponentBoundary
    form = ModelForm
    extra = 0


@admin.register(SeriesComponent)
class SeriesComponentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["series", "unit", "max_mark", "unconfirmed"]
    inlines = [ComponentBoundaryInline]
