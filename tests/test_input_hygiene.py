"""Bad input at every form and import; XLSX that never breaks on stored text; plausible dates.

One validator (btecqa/validators.py) refuses control characters everywhere: every form
inherits btecqa.forms.CleanInput (walked below, so a new form cannot forget), and the three
importers call it for every text cell. Old rows that already hold such a character still
export: btecqa/spreadsheets.py shows it as a visible symbol instead of raising.
"""

import datetime as dt
import importlib
import io
import pkgutil
from pathlib import Path

import django_filters
import pytest
import time_machine
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Value
from django.db.models.functions import Concat
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from btecqa.forms import CleanInput
from btecqa.spreadsheets import storable_text, xlsx_bytes
from btecqa.validators import academic_year_problem, text_problem
from learners import imports
from learners.models import Cohort, Learner
from qualifications import catalogue
from qualifications.models import Qualification, Unit
from registrations import number_import, services
from registrations.models import EntryList, RegistrationRound, RegistrationYear

from .factories import CohortFactory, LearnerFactory, QualificationFactory, UserFactory
from .test_learner_import import csv_bytes
from .test_learner_import import xlsx_bytes as xlsx_bytes_of

R = Role
VT = "\x0b"
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --------------------------------------------------------------------------- the validator


@pytest.mark.parametrize(
    "text, found",
    [
        (f"Hale{VT}Wood", "a control character (vertical tab, U+000B)"),
        ("nul\x00l", "a control character (null, U+0000)"),
        ("esc\x1b[0m", "a control character (escape, U+001B)"),
        ("del\x7f", "a control character (delete, U+007F)"),
        ("next\x85line", "a control character (next line, U+0085)"),
        ("tab\there", "a control character (tab, U+0009)"),
        ("two\nlines", "a control character (line feed, U+000A)"),
        ("broken\ud800", "a broken character (an unpaired surrogate, U+D800)"),
        ("non\uffff", "a character that cannot be stored (a non-character, U+FFFF)"),
    ],
)
def test_the_validator_names_the_character_it_refuses(text, found):
    assert text_problem(text) == f"contains {found}"


def test_names_accents_punctuation_and_line_breaks_in_notes_are_kept():
    for text in ("Zoë O’Brien-Łukasik", "Nguyễn Thị", "李小龍", "A & B <c>", "🙂"):
        assert text_problem(text) is None
    assert text_problem("First line\r\nsecond\tline", multiline=True) is None
    assert text_problem(f"First line{VT}", multiline=True) is not None


# --------------------------------------------------------------------------- every form


def _project_modules():
    """Import every module of btecqa's own apps, so every form class they define exists."""
    names = []
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.parent != ROOT:
            continue  # a library (btecqa's own apps are top-level folders of the repository)
        for info in pkgutil.walk_packages([str(path)], prefix=f"{config.name}."):
            if ".migrations" in info.name or ".tests" in info.name:
                continue
            importlib.import_module(info.name)
            names.append(info.name)
    return names


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _own(cls, prefixes) -> bool:
    return cls.__module__.split(".")[0] in prefixes


def test_every_form_in_the_project_checks_its_input():
    modules = _project_modules()
    prefixes = {m.split(".")[0] for m in modules}
    found = {c for c in _subclasses(forms.BaseForm) if _own(c, prefixes)} - {
        c for c in _subclasses(forms.BaseForm) if c.__module__ == "btecqa.forms"
    }
    names = {f"{c.__module__}.{c.__qualname__}" for c in found}
    # The walk really finds forms, in forms modules and in views alike.
    assert {
        "learners.forms.LearnerForm",
        "registrations.forms.RoundOpenForm",
        "registrations.views_check.QuestionForm",
        "learners.views_import.UploadForm",
    } <= names
    missing = sorted(
        f"{c.__module__}.{c.__qualname__}" for c in found if not issubclass(c, CleanInput)
    )
    assert not missing, f"these forms skip btecqa.forms (use Form or ModelForm from it): {missing}"

    filtersets = [c for c in _subclasses(django_filters.FilterSet) if _own(c, prefixes)]
    assert filtersets, "the audit trail's filter is found"
    for fs in filtersets:
        assert issubclass(fs._meta.form, CleanInput), f"{fs.__qualname__}.Meta.form"


@pytest.mark.django_db
def test_every_form_the_admin_can_save_checks_its_input():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    checked = 0
    own = {m.split(".")[0] for m in _project_modules()}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in own:
            continue  # Django's groups, axes' records
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
            form = model_admin.get_form(request)
            assert issubclass(form, CleanInput), f"{type(model_admin).__qualname__}.form"
            checked += 1
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            assert issubclass(formset.form, CleanInput), f"{type(inline).__qualname__}.form"
    assert checked >= 10


def learner_data(learner, **changes):
    return {
        "first_name": learner.first_name,
        "last_name": learner.last_name,
        "preferred_name": "",
        "date_of_birth": f"{learner.date_of_birth:%d/%m/%Y}",
        "sex": learner.sex,
        "uln": "",
        "uci": "",
        "candidate_number": learner.candidate_number,
        "admission_number": "",
        "email": "",
        "on_roll": "on",
        "left_on": "",
        "reason": "",
    } | changes


def test_the_learner_form_refuses_a_vertical_tab_in_the_surname(client, exams_officer, own_centre):
    learner = LearnerFactory(centre=own_centre, last_name="Hale")
    client.force_login(exams_officer)
    response = client.post(
        reverse("learners:learner_edit", args=[learner.pk]),
        learner_data(learner, last_name=f"Hale{VT}Wood"),
    )
    assert response.status_code == 200
    assert (
        "Legal last name contains a control character (vertical tab, U+000B): delete it and "
        "type the text again." in response.content.decode()
    )
    learner.refresh_from_db()
    assert learner.last_name == "Hale"


@pytest.mark.parametrize(
    "born, reason",
    [
        ("01/01/0001", "makes the learner"),
        ("01/01/2999", "01/01/2999 is in the future"),
        ("01/01/1900", "older than 100"),
    ],
)
def test_the_learner_form_refuses_an_implausible_date_of_birth(
    client, exams_officer, own_centre, born, reason
):
    learner = LearnerFactory(centre=own_centre)
    client.force_login(exams_officer)
    response = client.post(
        reverse("learners:learner_edit", args=[learner.pk]),
        learner_data(learner, date_of_birth=born),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Date of birth {born}" in page and reason in page
    assert "Learners are 10 to 100 years old." in page
    learner.refresh_from_db()
    assert learner.date_of_birth == dt.date(2009, 5, 17)


def test_the_age_bounds_are_settings(client, exams_officer, own_centre, settings):
    settings.BTECQA_LEARNER_MAX_AGE = 130
    learner = LearnerFactory(centre=own_centre)
    client.force_login(exams_officer)
    response = client.post(
        reverse("learners:learner_edit", args=[learner.pk]),
        learner_data(learner, date_of_birth="01/01/1900"),
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.date_of_birth == dt.date(1900, 1, 1)


def test_a_multi_line_field_keeps_line_breaks_and_refuses_a_vertical_tab():
    from registrations.views_check import QuestionForm

    kept = QuestionForm({"question": "Which group?\r\nAnd which date?", "lock": "0"})
    assert kept.is_valid(), kept.errors
    refused = QuestionForm({"question": f"Which{VT}group?", "lock": "0"})
    assert not refused.is_valid()
    assert refused.errors["question"] == [
        "Question for the programme leader contains a control character (vertical tab, "
        "U+000B): delete it and type the text again."
    ]


def test_numbers_and_choices_beyond_the_database_are_form_errors(own_centre):
    from learners.forms_cohorts import TeachingGroupForm
    from registrations.forms import ReasonForm

    huge = "9" * 30
    reason = ReasonForm({"reason": "typo", "lock": huge})
    assert not reason.is_valid() and "less than or equal to" in str(reason.errors["lock"])
    group = TeachingGroupForm(
        {"name": "12A", "delivering_centre": huge, "learners": [huge]},
        cohort=CohortFactory(centre=own_centre),
    )
    assert not group.is_valid()  # answered, not an OverflowError
    assert "Select a valid choice" in str(group.errors["delivering_centre"])
    assert "Select a valid choice" in str(group.errors["learners"])


# --------------------------------------------------------------------------- academic years


@pytest.mark.usefixtures("_september")
def test_academic_years_are_checked_by_one_function_with_the_range_in_the_message():
    assert academic_year_problem("2026/27") is None
    assert academic_year_problem("2000/01") is None and academic_year_problem("2028/29") is None
    assert academic_year_problem("9999/00") == (
        "9999/00 is outside the years btecqa accepts today: 2000/01 to 2028/29"
    )
    assert "outside" in academic_year_problem("1999/00")
    assert "outside" in academic_year_problem("2029/30")
    assert "the second part follows the first (2026/27)" in academic_year_problem("2026/28")
    assert "write it like 2026/27" in academic_year_problem("26/27")


@pytest.mark.usefixtures("_september")
def test_a_round_for_9999_00_is_refused_by_the_page_and_the_service(client, cast, own_centre):
    client.force_login(cast[R.EXAMS_OFFICER])
    response = client.post(
        reverse("registrations:round_open"), {"centre": own_centre.pk, "academic_year": "9999/00"}
    )
    assert response.status_code == 200
    assert "9999/00 is outside the years btecqa accepts today: 2000/01 to 2028/29." in (
        response.content.decode()
    )
    with pytest.raises(ValidationError, match="outside the years"):
        services.open_round(centre=own_centre, academic_year="9999/00", by=cast[R.EXAMS_OFFICER])
    assert not RegistrationRound.objects.exists()


@pytest.mark.usefixtures("_september")
def test_cohorts_arrangements_and_centre_dates_refuse_far_off_years(client, cast, own_centre):
    client.force_login(cast[R.EXAMS_OFFICER])
    qualification = QualificationFactory()
    page = client.post(
        reverse("learners:cohort_create"),
        {"qualification": qualification.pk, "centre": own_centre.pk, "start_year": "9999/00"},
    ).content.decode()
    assert "9999/00 is outside the years btecqa accepts today: 2000/01 to 2028/29." in page
    assert not Cohort.objects.exists()

    page = client.post(
        reverse("registrations:calendar_edit"),
        {
            "centre": own_centre.pk,
            "academic_year": "2035/36",
            "term_starts": "03/09/2035",
            "october_half_term_starts": "22/10/2035",
        },
    ).content.decode()
    assert "2035/36 is outside the years btecqa accepts today" in page

    client.force_login(cast[R.QUALITY_NOMINEE])
    page = client.post(
        reverse("centres:arrangement_create"),
        {
            "lead_centre": own_centre.pk,
            "name": "Far",
            "first_year": "2026/27",
            "last_year": "9999/00",
        },
    ).content.decode()
    assert "9999/00 is outside the years btecqa accepts today" in page


@pytest.mark.usefixtures("_september")
def test_the_yearly_figures_command_refuses_a_far_off_year(tmp_path, db):
    bad = tmp_path / "9999-00.json"
    bad.write_text('{"academic_year": "9999/00", "registration_deadline": "2999-11-01"}')
    with pytest.raises(CommandError, match=r"9999-00.json: 9999/00 is outside the years"):
        call_command("load_registration_years", str(bad), verbosity=0)
    assert not RegistrationYear.objects.exists()


# --------------------------------------------------------------------------- the importers


def _mis_messages(centre, data, name):
    preview = imports.preview_import(
        centre=centre, kind="learners", uploaded_file=data, file_name=name, user=None
    )
    assert not preview.ok
    return [str(p) for p in preview.errors]


def test_the_mis_import_names_row_column_and_the_control_character(own_centre):
    head = ["Surname", "Forename", "DOB", "Sex"]
    rows = [head, ["Hale", "Amy", "04/03/2009", "F"], [f"Hale{VT}Wood", "Ben", "21/07/2009", "M"]]
    assert _mis_messages(own_centre, csv_bytes(rows), "mis.csv") == [
        "row 3, column Surname: contains a control character (vertical tab, U+000B)"
    ]
    # XML cannot hold a vertical tab, but an XLSX can hold a C1 control such as NEL.
    rows = [head, ["Hale", "A\x85my", "04/03/2009", "F"]]
    assert _mis_messages(own_centre, xlsx_bytes_of(rows), "mis.xlsx") == [
        "row 2, column Forename: contains a control character (next line, U+0085)"
    ]
    assert not Learner.objects.exists()


def test_the_mis_import_refuses_dates_of_birth_of_0001_and_2999(own_centre):
    rows = [
        ["Surname", "Forename", "DOB", "Sex"],
        ["Old", "Amy", "01/01/0001", "F"],
        ["New", "Ben", "01/01/2999", "M"],
    ]
    msgs = _mis_messages(own_centre, csv_bytes(rows), "mis.csv")
    assert msgs[0].startswith("row 2, column DOB: 01/01/0001 makes the learner")
    assert msgs[0].endswith("older than 100")
    assert msgs[1] == "row 3, column DOB: 01/01/2999 is in the future"


@pytest.mark.usefixtures("_september")
def test_the_registration_number_import_names_the_control_character(cast, own_centre):
    LearnerFactory(centre=own_centre, last_name="Hale", first_name="Amy")
    rows = [
        ["Centre Number", "Registration Number", "Surname", "Forename", "Date of Birth"],
        ["40001", "REG1", f"HA{VT}LE", "AMY", "17/05/2009"],
        ["40001", "REG2", "HALE", "AMY", "01/01/0001"],
    ]
    imp = number_import.preview_registration_numbers(
        csv_bytes(rows), own_centre, cast[R.EXAMS_OFFICER], file_name="eo.csv"
    )
    problems = {
        r.row: [(p.column, p.reason) for p in r.problems] for r in number_import.logged_rows(imp)
    }
    assert ("Surname", "contains a control character (vertical tab, U+000B)") in problems[2]
    assert any(
        column == "Date of Birth" and reason.startswith("01/01/0001 makes the learner")
        for column, reason in problems[3]
    )


def test_the_catalogue_import_names_sheet_row_column_and_the_character(cast):
    catalogue.load_shipped_qualifications()
    business = Qualification.objects.get(number="601/7159/5")
    wb = load_workbook(io.BytesIO(catalogue.export_structure_xlsx(business)))
    wb["Units"]["B2"] = "Exploring\x85Business"
    out = io.BytesIO()
    wb.save(out)
    result = catalogue.import_structure_xlsx(out.getvalue(), cast[R.EXAMS_OFFICER])
    assert "Units row 2, column B (Title): contains a control character (next line, U+0085)" in (
        " | ".join(str(e) for e in result.errors)
    )
    assert not Unit.objects.filter(title__contains="\x85").exists()


# --------------------------------------------------------------------------- XLSX out


def test_stored_control_characters_are_shown_not_raised():
    assert storable_text(f"Hale{VT}Wood") == "Hale\u240bWood"
    assert (
        storable_text("bell\x07 del\x7f nel\x85 \ud800") == "bell\u2407 del\u2421 nel\ufffd \ufffd"
    )
    assert storable_text("line\nbreak\ttab") == "line\nbreak\ttab"
    data = xlsx_bytes(
        [("Sheet", ["Name"], [[f"Hale{VT}Wood"], [f"={VT}1+1"], [dt.date(2026, 9, 1)]])]
    )
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]
    assert rows[1:] == [["Hale\u240bWood"], ["=\u240b1+1"], [dt.datetime(2026, 9, 1)]]
    cell = load_workbook(io.BytesIO(data)).active["A3"]
    assert cell.data_type == "s" and cell.quotePrefix  # still never a formula


def _xlsx_names(response) -> str:
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return " ".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


@pytest.mark.django_db
def test_old_data_with_a_vertical_tab_exports_from_both_centres_of_the_consortium(client):
    """Every XLSX export, as each centre's exams officer, with the character already stored."""
    from accounts.models import User
    from btecqa.demo import load_demo

    load_demo()
    # Written straight to the database, as rows saved before the validator would be.
    Learner.objects.update(last_name=Concat("last_name", Value(f"{VT}X")))
    Unit.objects.filter(pk=Unit.objects.order_by("pk").first().pk).update(
        title=Concat("title", Value(VT))
    )
    consortium = Learner.objects.filter(
        teaching_groups__delivering_centre__number="91234", centre__number="91567"
    ).first()
    assert consortium is not None and VT in consortium.last_name

    fetched = []
    for username in ("eo", "partner_eo"):
        user = User.objects.get(username=username)
        client.force_login(user)
        centres = set(user.role_assignments.values_list("centre_id", flat=True))
        urls = [reverse("learners:learners_export"), reverse("learners:cohorts_export")]
        urls += [
            reverse("learners:class_list_export", args=[p.pk])
            for p in Cohort.objects.filter(centre_id__in=centres)
        ]
        # the delivering centre's class list of the consortium students' programme
        urls += [
            reverse("learners:class_list_export", args=[g.cohort_id])
            for g in consortium.teaching_groups.filter(delivering_centre_id__in=centres)
        ]
        for entry_list in EntryList.objects.filter(cohort__centre_id__in=centres):
            urls += [
                reverse("registrations:entry_list_xlsx", args=[entry_list.pk]),
                reverse("registrations:pearson_xlsx", args=[entry_list.pk]),
                reverse("registrations:entry_list_pdf", args=[entry_list.pk]),
            ]
        urls += [
            reverse("catalogue:qualification_export", args=[q.pk])
            for q in Qualification.objects.filter(units__isnull=False).distinct()
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            if response["Content-Type"].startswith("application/vnd.openxmlformats"):
                fetched.append((username, url, _xlsx_names(response)))
    kinds = {url.rsplit("/", 1)[-1] for _, url, _ in fetched}
    assert {"export.xlsx", "class-list.xlsx", "entry-list.xlsx", "structure.xlsx"} <= kinds
    assert any(u.endswith("pearson.xlsx") for _, u, _ in fetched)
    shown = f"{consortium.last_name.replace(VT, '␋')}"
    for username in ("eo", "partner_eo"):
        exports = " ".join(text for who, url, text in fetched if who == username)
        assert shown.upper() in exports.upper(), username  # at both centres, made visible
