"""The data migrations of the import framework, run on rows made before them.

learners/0005 copies the column mappings to tabular and fills every learner's search
name; registrations/0004 writes each registration-number import's rows to its rows log.
Each test migrates back, makes rows with the models as they were, and migrates forward.
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registrations import number_import

LEARNERS_BEFORE = ("learners", "0004_remove_learningaim_unit_and_more")
NUMBERS_BEFORE = ("registrations", "0003_alter_registration_optional_units")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))
    return executor.loader.project_state(list(targets)).apps


def latest():
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes()]


def test_learners_0005_moves_the_mappings_and_fills_the_search_names():
    old = migrate(LEARNERS_BEFORE)
    Centre = old.get_model("centres", "Centre")
    centre = Centre.objects.create(number="40101", name="Before the framework")
    old.get_model("learners", "ColumnMapping").objects.create(
        centre=centre, kind="learners", mapping={"pupil surname": "last_name"}
    )
    old.get_model("learners", "Learner").objects.create(
        centre=centre,
        first_name="Zoë",
        last_name="O\u2019Neill",
        date_of_birth=dt.date(2009, 2, 2),
        sex="F",
    )
    new = migrate(*latest())
    mapping = new.get_model("tabular", "ColumnMapping").objects.get()
    assert (mapping.centre_id, mapping.kind, mapping.mapping) == (
        centre.pk,
        "learners",
        {"pupil surname": "last_name"},
    )
    assert new.get_model("learners", "Learner").objects.get().search_name == "o'neill / zoe / "


def test_registrations_0004_writes_each_imports_rows_to_its_log():
    old = migrate(NUMBERS_BEFORE)
    centre = old.get_model("centres", "Centre").objects.create(number="40102", name="Old rows")
    user = old.get_model("accounts", "User").objects.create(username="eo_before")
    rows = [
        {
            "row": 2,
            "outcome": "matched",
            "registration_number": "R1",
            "learner_id": None,
            "learner": "QUILL, Amy",
            "identifiers": "ULN 1000000043",
            "matched_by": "ULN",
            "registration_id": None,
            "programme": "Business 2026/27",
            "problems": [],
            "values": {"registration_number": "R1", "date_of_birth": "2009-03-04"},
            "value_errors": [],
        },
        {
            "row": 3,
            "outcome": "unmatched",
            "registration_number": "R2",
            "learner_id": None,
            "learner": "NOBODY, Nemo",
            "identifiers": "ULN 1000000051",
            "matched_by": "",
            "registration_id": None,
            "cohort": "",
            "problems": [
                {
                    "row": 3,
                    "column": "ULN",
                    "value": "R2",
                    "reason": "unknown learner: no learner at centre 40102 has ULN 1000000051",
                }
            ],
            "values": {"registration_number": "R2"},
            "value_errors": [],
        },
    ]
    old.get_model("registrations", "RegistrationNumberImport").objects.create(
        centre=centre,
        file_name="eol.csv",
        file_sha256="0" * 64,
        uploaded_by=user,
        rows=rows,
        counts={"matched": 1, "unmatched": 1, "rows": 2, "columns": {"uln": "ULN"}},
    )
    migrate(*latest())
    from registrations.models import RegistrationNumberImport

    imp = RegistrationNumberImport.objects.get()
    assert imp.counts["settings"]["names"] == {"uln": "ULN"}
    assert imp.open_log(verify=True) is not None  # its hash recorded with it
    logged = list(number_import.logged_rows(imp))
    assert [(r.row, r.outcome, r.registration_number, r.learner) for r in logged] == [
        (2, "matched", "R1", "QUILL, Amy"),
        (3, "unmatched", "R2", "NOBODY, Nemo"),
    ]
    assert logged[0].values["date_of_birth"] == dt.date(2009, 3, 4)
    assert [(p.column, p.reason) for p in logged[1].problems] == [
        ("ULN", "unknown learner: no learner at centre 40102 has ULN 1000000051")
    ]
    assert number_import.left_over(imp) == {"R2"}
