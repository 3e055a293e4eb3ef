"""One name normaliser: learner search, the MIS import and the registration-number import
all compare names through tabular.names.normalise_name, so "Zoe" is Zoë and a curly
apostrophe is a plain one, on SQLite and PostgreSQL alike (the suite runs on both)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.roles import Role
from learners import imports
from learners.models import Learner, search_name_of
from registrations import number_import
from tabular.names import normalise_name

from .factories import LearnerFactory
from .test_learner_import import csv_bytes, make_uln


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    "a, b",
    [
        ("Zoë", "Zoe"),
        ("O\u2019Neill", "O'Neill"),
        ("O\u02bcNeill", "o'neill"),
        ("Smith\u2013Jones", "Smith-Jones"),
        ("Smith\u2014Jones", "smith-jones"),
        ("  ANNE   marie ", "Anne Marie"),
        ("Ångström", "angstrom"),
        ("Søren Øvergård", "Soren Overgard"),
        ("Łukasz", "Lukasz"),
        ("Straße", "STRASSE"),
        ("Siân", "Sian"),
    ],
)
def test_two_spellings_of_one_name_normalise_alike(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_different_names_stay_different():
    assert normalise_name("Zoe") != normalise_name("Zoey")
    assert normalise_name("O'Neill") != normalise_name("ONeill")  # an apostrophe is kept
    assert normalise_name("Smith-Jones") != normalise_name("Smith Jones")


# --------------------------------------------------------------------------- search


def search(client, user, q):
    client.force_login(user)
    response = client.get(reverse("learners:learner_list"), {"q": q})
    assert response.status_code == 200
    return {lr.pk for lr in response.context["page"]}


@pytest.mark.parametrize("q", ["Zoe", "zoe", "ZOË", "Zoë", "O'Neill, Zoe", "o\u2019neill zoe"])
def test_search_finds_zoe_whatever_the_accent_and_apostrophe(client, exams_officer, own_centre, q):
    zoe = LearnerFactory(centre=own_centre, last_name="O'Neill", first_name="Zoë")
    LearnerFactory(centre=own_centre, last_name="O'Neill", first_name="Sean")
    LearnerFactory(centre=own_centre, last_name="Zoeller", first_name="Ann")
    found = search(client, exams_officer, q)
    assert zoe.pk in found
    if "neill" in q.casefold():
        assert found == {zoe.pk}


def test_a_curly_apostrophe_in_the_record_is_found_with_a_plain_one(
    client, exams_officer, own_centre
):
    curly = LearnerFactory(centre=own_centre, last_name="O\u2019Brien", first_name="Sean")
    assert search(client, exams_officer, "O'Brien") == {curly.pk}
    assert search(client, exams_officer, "o\u2018brien") == {curly.pk}


def test_search_finds_a_preferred_name_and_a_hyphenated_surname(client, exams_officer, own_centre):
    learner = LearnerFactory(
        centre=own_centre, last_name="Smith\u2013Jones", first_name="Joanne", preferred_name="Jo"
    )
    assert search(client, exams_officer, "smith-jones") == {learner.pk}
    assert search(client, exams_officer, "jo smith") == {learner.pk}


def test_the_search_name_follows_every_kind_of_write(own_centre):
    saved = LearnerFactory(centre=own_centre, last_name="Renée", first_name="Zoë")
    assert saved.search_name == "renee / zoe / "
    saved.first_name = "Chloë"
    saved.save(update_fields=["first_name"])
    saved.refresh_from_db()
    assert saved.search_name == "renee / chloe / "
    (bulk,) = Learner.objects.bulk_create(
        [
            Learner(
                centre=own_centre,
                last_name="Müller",
                first_name="Jürgen",
                date_of_birth=dt.date(2009, 1, 1),
            )
        ]
    )
    assert Learner.objects.get(pk=bulk.pk).search_name == "muller / jurgen / "
    bulk.preferred_name = "Jürg"
    Learner.objects.bulk_update([bulk], ["preferred_name"])
    assert Learner.objects.get(pk=bulk.pk).search_name == "muller / jurgen / jurg"
    Learner.objects.filter(pk=bulk.pk).update(last_name="Mœller")
    assert Learner.objects.get(pk=bulk.pk).search_name == "moeller / jurgen / jurg"
    assert search_name_of("Mœller", "Jürgen", "Jürg") == "moeller / jurgen / jurg"


def test_possible_duplicates_on_the_learner_page_see_past_accents(
    client, exams_officer, own_centre
):
    zoe = LearnerFactory(
        centre=own_centre, last_name="Hale", first_name="Zoë", date_of_birth=dt.date(2009, 2, 2)
    )
    plain = LearnerFactory(
        centre=own_centre, last_name="HALE", first_name="Zoe", date_of_birth=dt.date(2009, 2, 2)
    )
    client.force_login(exams_officer)
    page = client.get(reverse("learners:learner_detail", args=[zoe.pk]))
    assert [d.pk for d in page.context["duplicates"]] == [plain.pk]


# --------------------------------------------------------------------------- both imports


def test_the_mis_import_sees_zoe_as_zoe_with_an_accent(own_centre):
    LearnerFactory(
        centre=own_centre,
        last_name="O\u2019Neill",
        first_name="Zoë",
        date_of_birth=dt.date(2009, 2, 1),
        admission_number="Z1",
    )
    data = csv_bytes(
        [
            ["Surname", "Forename", "DOB", "Sex", "Adno"],
            ["O'NEILL", "Zoe", "01/02/2009", "F", "Z2"],
        ]
    )
    p = imports.preview_import(
        centre=own_centre, kind="learners", uploaded_file=data, file_name="mis.csv"
    )
    (row,) = p.rows
    assert row.effect == "create"
    assert [w.reason for w in row.warnings] == [
        "possible duplicate: O\u2019NEILL, Zoë, admission number Z1 has the same name and date "
        "of birth (not merged; check before committing)"
    ]


@time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True)
def test_the_registration_number_import_sees_zoe_as_zoe_with_an_accent(own_centre, cast):
    zoe = LearnerFactory(
        centre=own_centre,
        last_name="O\u2019Neill",
        first_name="Zoë",
        date_of_birth=dt.date(2009, 2, 2),
        uln=make_uln(40),
    )
    rows = [["Reg No", "Surname", "Forename", "DOB"], ["Z9", "O'NEILL", "ZOE", "02/02/2009"]]
    imp = number_import.preview_registration_numbers(
        csv_bytes(rows), own_centre, cast[Role.EXAMS_OFFICER], file_name="eol.csv"
    )
    (row,) = number_import.logged_rows(imp)
    assert (row.learner_id, row.matched_by) == (zoe.pk, "name and date of birth")
