"""The exams officer's MIS import: upload, (map columns), preview, commit, history.

Every page needs IMPORT_LEARNERS; an import at a centre where the user lacks it is a 404.
The logic lives in learners/imports.py; these views only collect input and show results.
"""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import get_object, requires, scope
from btecqa.forms import Form
from btecqa.params import int_param
from centres.models import Centre
from tabular import rowlog
from tabular.columns import normalise_heading
from tabular.files import MAX_IMPORT_BYTES, MB

from . import imports
from .models import Cohort, LearnerImport
from .permissions import IMPORT_LEARNERS


def _centres(user):
    return scope(user, IMPORT_LEARNERS, Centre.objects.filter(is_active=True)).order_by("name")


class UploadForm(Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        choices=LearnerImport.Kind.choices,
        initial=imports.LEARNERS,
        label="What the file holds",
        help_text="Learners: one row per learner. Class list: a learner identifier "
        "and a teaching group per row.",
    )
    file = forms.FileField(
        label="MIS export (CSV or XLSX)",
        help_text=f"Up to {MAX_IMPORT_BYTES // MB} MB. Nothing is written "
        "until you have checked the preview.",
    )
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        help_text="Class lists only: the programme the groups belong to.",
    )
    mark_leavers = forms.BooleanField(
        required=False,
        initial=False,
        label="Mark learners missing from the file as leavers",
        help_text="Only for a full learner file with admission numbers: every learner on "
        "roll whom the file leaves out is marked as having left today.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        centres = _centres(user)
        self.fields["centre"].queryset = centres
        self.fields["cohort"].queryset = Cohort.objects.filter(centre__in=centres).select_related(
            "qualification", "centre"
        )
        self.fields["cohort"].label_from_instance = lambda p: f"{p} \u2013 {p.centre.number}"

    def clean(self):
        data = super().clean()
        kind, cohort, centre = data.get("kind"), data.get("cohort"), data.get("centre")
        if kind == imports.CLASS_LIST:
            if cohort is None:
                self.add_error("cohort", "Choose the programme this class list is for.")
            elif centre is not None and cohort.centre_id != centre.pk:
                self.add_error("cohort", "This programme is at another centre.")
        return data


class MappingForm(Form):
    """One choice per heading of the file's header row."""

    def __init__(self, *args, preview, **kwargs):
        super().__init__(*args, **kwargs)
        kind = preview.kind
        self.layout = layout = imports.LAYOUTS[kind]
        choices = [("", "\u2014 not used \u2014")] + [
            (f, imports.FIELD_LABELS[f]) for f in imports.KIND_FIELDS[kind]
        ]
        self.headings = []
        resolved = {c.index: c.field for c in preview.columns}
        mapping = layout.mapping_index(preview.mapping_used)
        for index, heading in enumerate(preview.headings):
            if not heading:
                continue
            name = f"col_{index}"
            initial = resolved.get(index)
            if index not in resolved:
                initial = layout.recognise(heading, mapping)[0]
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=heading,
                initial=initial if initial in imports.KIND_FIELDS[kind] else "",
            )
            self.headings.append((name, heading))
        self.kind = kind

    def clean(self):
        data = super().clean()
        # A mapping goes by heading: two columns headed alike cannot be told apart by it.
        alike = defaultdict(list)
        for name, heading in self.headings:
            alike[normalise_heading(heading)].append((name, heading))
        for columns in alike.values():
            if len(columns) > 1 and any(data.get(name) for name, _ in columns):
                name, heading = columns[0]
                self.add_error(
                    name,
                    f"{len(columns)} columns are {'both' if len(columns) == 2 else 'all'} "
                    f"headed \u201c{heading}\u201d, and a "
                    "mapping goes by heading: rename one of them in the file (or leave them "
                    "all unused).",
                )
        chosen = {}
        for name, heading in self.headings:
            f = data.get(name)
            if f:
                if f in chosen:
                    self.add_error(
                        name,
                        f"{heading} and {chosen[f]} are both set to {imports.FIELD_LABELS[f]}.",
                    )
                chosen[f] = heading
        missing = self.layout.missing_columns(chosen)
        if missing:
            labels = ", ".join(self.layout.label_of(f) for f in missing)
            raise forms.ValidationError(f"Choose a column for: {labels}.")
        data["mapping"] = {
            heading: data.get(name) or imports.IGNORE for name, heading in self.headings
        }
        return data


def _imports_for(user):
    return scope(
        user, IMPORT_LEARNERS, LearnerImport.objects.select_related("centre", "uploaded_by")
    )


def _next_step(preview):
    obj = preview.import_obj
    if preview.needs_mapping and obj.stored_file:
        return redirect("learner_imports:mapping", pk=obj.pk)
    return redirect("learner_imports:preview", pk=obj.pk)


@requires(IMPORT_LEARNERS)
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        preview = imports.preview_import(
            centre=data["centre"],
            kind=data["kind"],
            uploaded_file=data["file"],
            file_name=data["file"].name,
            user=request.user,
            cohort=data["cohort"] if data["kind"] == imports.CLASS_LIST else None,
            mark_leavers=data["mark_leavers"],
        )
        return _next_step(preview)
    return render(request, "learners/imports/upload.html", {"form": form})


@requires(IMPORT_LEARNERS)
def mapping(request, pk):
    obj = get_object(
        request.user, IMPORT_LEARNERS, LearnerImport.objects.select_related("centre"), pk=pk
    )
    if obj.status == LearnerImport.Status.COMMITTED:
        return redirect("learner_imports:result", pk=obj.pk)
    try:
        preview = imports.analyse_import(obj)
    except imports.ImportRefused as exc:
        messages.error(request, "; ".join(str(p) for p in exc.problems))
        return redirect("learner_imports:preview", pk=obj.pk)
    if not preview.headings:
        return redirect("learner_imports:preview", pk=obj.pk)
    form = MappingForm(request.POST or None, preview=preview)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["mapping"]
        remember = {h: f for h, f in chosen.items() if imports.worth_remembering(h, f, obj.kind)}
        if remember:
            imports.save_mapping(obj.centre, obj.kind, remember, user=request.user)
        settings = obj.settings
        cohort = (
            Cohort.objects.filter(pk=settings.get("cohort")).first()
            if settings.get("cohort")
            else None
        )
        new = imports.preview_import(
            centre=obj.centre,
            kind=obj.kind,
            uploaded_file=obj.read_kept(),
            file_name=obj.file_name,
            user=request.user,
            mapping=chosen,
            cohort=cohort,
            mark_leavers=settings.get("mark_leavers", False),
        )
        messages.info(
            request, f"Column mapping saved for {obj.centre}; it will be used for its next files."
        )
        return _next_step(new)
    return render(
        request, "learners/imports/mapping.html", {"import": obj, "preview": preview, "form": form}
    )


PREVIEW_ROWS_PER_PAGE = 200
SHOW = {"all": "Every row", "changes": "Changes only", "errors": "Errors and warnings"}


@requires(IMPORT_LEARNERS)
def preview(request, pk):
    """The import as its preview found it: counts, errors, and a page of its rows.

    The rows are read a page at a time from the rows log kept with the file (the file is
    not read again), so the page costs the same for ten rows or ten thousand.
    """
    obj = get_object(
        request.user,
        IMPORT_LEARNERS,
        LearnerImport.objects.select_related("centre", "uploaded_by"),
        pk=pk,
    )
    if obj.status == LearnerImport.Status.COMMITTED:
        return redirect("learner_imports:result", pk=obj.pk)
    counts = obj.counts or {}
    problems = [imports.Problem.from_dict(e) for e in obj.errors]
    error_count = max(counts.get("errors", 0), len(problems))
    show = request.GET.get("show", "all")
    show = show if show in SHOW else "all"
    rows = imports.logged_rows(obj, show) if obj.stored_file else []
    counts = obj.counts or {}  # logged_rows may have worked out the log of an older import
    page = Paginator(rows, PREVIEW_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "learners/imports/preview.html",
        {
            "import": obj,
            "problems": problems,
            "error_count": error_count,
            "errors_listed": min(error_count, rowlog.MAX_STORED_ERRORS),
            "errors_capped": error_count > rowlog.MAX_STORED_ERRORS,
            "has_rows": bool(obj.stored_file) and bool(obj.log_name),
            "page": page,
            "query": f"show={show}",
            "show": show,
            "show_choices": SHOW,
            "can_commit": obj.status == LearnerImport.Status.PREVIEWED and not error_count,
            "counts": counts,
        },
    )


@requires(IMPORT_LEARNERS)
@require_POST
def commit(request, pk):
    obj = get_object(
        request.user, IMPORT_LEARNERS, LearnerImport.objects.select_related("centre"), pk=pk
    )
    from .jobs_kinds import IMPORT_COMMIT, import_in_background

    if obj.status == LearnerImport.Status.PREVIEWED and import_in_background(obj):
        # A large file is applied by a job: the page follows its progress, not the request.
        from jobs.services import request_job

        job, _ = request_job(
            IMPORT_COMMIT, by=request.user, centre=obj.centre, params={"import": obj.pk}
        )
        return redirect("jobs:job_detail", pk=job.pk)
    try:
        imports.commit_import(obj, request.user)
    except imports.ImportRefused as exc:
        shown = "; ".join(str(p) for p in exc.problems[:5])
        more = f" (and {len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
        messages.error(request, f"Nothing was written: {shown}{more}")
        return redirect("learner_imports:preview", pk=obj.pk)
    messages.success(request, "The import has been applied.")
    return redirect("learner_imports:result", pk=obj.pk)


@requires(IMPORT_LEARNERS)
def result(request, pk):
    obj = get_object(
        request.user,
        IMPORT_LEARNERS,
        LearnerImport.objects.select_related("centre", "uploaded_by"),
        pk=pk,
    )
    if obj.status != LearnerImport.Status.COMMITTED:
        return redirect("learner_imports:preview", pk=obj.pk)
    return render(request, "learners/imports/result.html", {"import": obj, "counts": obj.counts})


@requires(IMPORT_LEARNERS)
def history(request):
    centres = _centres(request.user)
    qs = _imports_for(request.user)
    centre_id = int_param(request.GET, "centre")
    if centre_id:
        qs = qs.filter(centre_id=centre_id)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "learners/imports/history.html",
        {
            "page": page,
            "centres": centres,
            "centre_id": str(centre_id or ""),
            "query": f"centre={centre_id}" if centre_id else "",
            "upload_url": reverse("learner_imports:upload"),
        },
    )
