"""The qualification catalogue: list, structure, XLSX download and XLSX import.

Pearson's catalogue is the same for every centre, so these pages check the role
(any staff role reads; exams officer, quality nominee or centre admin imports)
but scope nothing by centre.
"""

from django import forms
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import has_perm, requires
from btecqa.forms import Form

from . import catalogue
from .models import AssessmentCriterion, Qualification
from .permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE


class StructureUploadForm(Form):
    file = forms.FileField(
        label="Structure workbook (.xlsx)",
        help_text=(
            "Three sheets: Qualification, Units and Criteria, as the download from a "
            f"qualification's page. At most {catalogue.MAX_UPLOAD_BYTES // 1048576} MB; "
            "no formulas or macros."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{catalogue.XLSX_CONTENT_TYPE}"}),
    )


@requires(VIEW_CATALOGUE)
@require_GET
def qualification_list(request):
    qualifications = Qualification.objects.annotate(
        unit_count=Count("units", distinct=True),
        mandatory_glh=Sum("units__glh", filter=Q(units__mandatory=True)),
    ).order_by("title")
    return render(
        request,
        "qualifications/qualification_list.html",
        {
            "qualifications": qualifications,
            "can_manage": has_perm(request.user, MANAGE_CATALOGUE),
        },
    )


@requires(VIEW_CATALOGUE)
@require_GET
def qualification_detail(request, pk):
    qualification = get_object_or_404(Qualification, pk=pk)
    structure = catalogue.structure_of(qualification)
    notes = {  # the criteria still UNCONFIRMED, marked on the page
        (unit, code): note
        for unit, code, note in AssessmentCriterion.objects.filter(
            unit__qualification=qualification
        )
        .exclude(unconfirmed="")
        .values_list("unit__number", "code", "unconfirmed")
    }
    for c in structure["criteria"]:
        c["unconfirmed"] = notes.get((c["unit"], c["code"]), "")
    units = []
    for unit in structure["units"]:
        rows = [c for c in structure["criteria"] if c["unit"] == unit["number"]]
        aims, loose = {}, []
        for c in rows:  # already in A.P1, A.P2, A.M1, AB.D1, B.P3 ... order
            if c["aim"]:
                new = {"code": c["aim"], "label": c["aim_label"], "criteria": []}
                aim = aims.setdefault(c["aim"], new)
                aim["criteria"].append(c)
            else:
                loose.append(c)
        units.append(
            {
                **unit,
                "aims": [aims[code] for code in sorted(aims)],
                "loose_criteria": loose,
                "criterion_count": len(rows),
            }
        )
    mandatory_glh = sum(u["glh"] for u in units if u["mandatory"])
    return render(
        request,
        "qualifications/qualification_detail.html",
        {
            "qualification": qualification,
            "units": units,
            "mandatory_glh": mandatory_glh,
            "optional_glh_needed": max(qualification.glh - mandatory_glh, 0),
            "can_manage": has_perm(request.user, MANAGE_CATALOGUE),
        },
    )


@requires(VIEW_CATALOGUE)
@require_GET
def qualification_export(request, pk):
    qualification = get_object_or_404(Qualification, pk=pk)
    response = HttpResponse(
        catalogue.export_structure_xlsx(qualification), content_type=catalogue.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{catalogue.export_filename(qualification)}"'
    )
    response["Cache-Control"] = "no-store"
    return response


@requires(MANAGE_CATALOGUE)
@require_http_methods(["GET", "POST"])
def structure_import(request):
    form = StructureUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = catalogue.import_structure_xlsx(upload, request.user)
        return render(
            request,
            "qualifications/import_result.html",
            {
                "result": result,
                "file_name": upload.name,
                "form": StructureUploadForm(),
            },
            status=200 if result.ok else 400,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "qualifications/import.html", {"form": form}, status=status)
