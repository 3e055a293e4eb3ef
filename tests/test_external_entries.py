"""External assessment entries per series (issue 13 part 3; policy 004-cert-4): the series
and their deadlines come from the year's configuration; the exams officer enters a cohort's
registered learners for external units, late entries are marked, very late ones refused
unless confirmed, resits are a new entry in a later series, and the entries file reads back.

The world: a National with an internal unit 1 and external units 2 and 3, three learners
registered on it, and one withdrawn.
"""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from audit.models import AuditEvent
from claims import config
from claims import services_entries as services
from claims.models import ExternalEntry, ExternalResult
from qualifications.models import Unit
from tests.factories import (
    CohortFactory,
    LearnerFactory,
    RoleAssignmentFactory,
    UserFactory,
    make_uln,
    register_on,
)

pytestmark = pytest.mark.django_db

YEAR = "2026/27"


class World:
    def __init__(self):
        self.cohort = CohortFactory()
        self.centre = self.cohort.centre
        q = self.cohort.qualification
        self.internal = Unit.objects.create(
            qualification=q, number="1", title="Coursework", glh=90, assessment="internal"
        )
        self.exam = Unit.objects.create(
            qualification=q, number="2", title="Exam", glh=90, assessment="external"
        )
        self.task = Unit.objects.create(
            qualification=q, number="3", title="Set task", glh=120, assessment="external"
        )
        self.eo = UserFactory()
        RoleAssignmentFactory(user=self.eo, centre=self.centre, role=Role.EXAMS_OFFICER)
        self.learners = []
        for i, (first, last) in enumerate([("Amara", "Okafor"), ("Ben", "Hale"), ("Cara", "Lim")]):
            learner = LearnerFactory(
                centre=self.centre,
                first_name=first,
                last_name=last,
                uln=make_uln(8000 + i),
                candidate_number=f"{201 + i:04d}",
            )
            register_on(self.cohort, learner)
            self.learners.append(learner)
        # a candidate number of its own: the factory's sequence can reach 0201-0203
        self.gone = LearnerFactory(
            centre=self.centre, first_name="Dan", last_name="Gone", candidate_number="0204"
        )
        register_on(self.cohort, self.gone, status="withdrawn")


@pytest.fixture
def world():
    return World()


def test_series_and_deadlines_come_from_the_year_file():
    names = [s.name for s in config.external_series(YEAR)]
    assert names == ["January 2027", "May/June 2027"]
    june = config.external_series_named(YEAR, "May/June 2027")
    assert june.entry_deadline == dt.date(2027, 2, 21)
    assert june.late_deadline == dt.date(2027, 3, 21)
    assert june.unconfirmed


def test_changing_the_configured_deadline_changes_lateness(world, settings):
    year = "2030/31"  # no year file: the settings fallback
    settings.BTECQA_EXTERNAL_SERIES = [("May/June {next}", "02-21", "03-21", 1)]
    day = dt.date(2031, 3, 1)
    first = services.make_entries(
        world.cohort,
        year,
        "May/June 2031",
        [(world.learners[0].pk, world.exam.pk)],
        by=world.eo,
        today=day,
    )
    assert first[0].late
    settings.BTECQA_EXTERNAL_SERIES = [("May/June {next}", "03-10", "04-10", 1)]
    second = services.make_entries(
        world.cohort,
        year,
        "May/June 2031",
        [(world.learners[1].pk, world.exam.pk)],
        by=world.eo,
        today=day,
    )
    assert not second[0].late


def test_entries_on_time_late_and_refused_after_the_late_deadline(world):
    a, b, c = world.learners
    on_time = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 10),
    )
    assert not on_time[0].late
    late = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(b.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 3, 1),
    )
    assert late[0].late
    with pytest.raises(ValidationError, match="late-entry deadline"):
        services.make_entries(
            world.cohort,
            YEAR,
            "May/June 2027",
            [(c.pk, world.exam.pk)],
            by=world.eo,
            today=dt.date(2027, 4, 1),
        )
    assert not ExternalEntry.objects.filter(learner=c).exists()
    confirmed = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(c.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 4, 1),
        confirm_very_late=True,
    )
    assert confirmed[0].late
    codes = set(AuditEvent.objects.values_list("action", flat=True))
    assert "claims.external_entry.made" in codes


def test_refusals_name_the_learner_and_unit_and_enter_nothing(world):
    a = world.learners[0]
    with pytest.raises(ValidationError) as err:
        services.make_entries(
            world.cohort,
            YEAR,
            "May/June 2027",
            [(a.pk, world.exam.pk), (a.pk, world.internal.pk), (world.gone.pk, world.task.pk)],
            by=world.eo,
            today=dt.date(2027, 2, 1),
        )
    text = " ".join(err.value.messages)
    assert "OKAFOR, Amara, Unit 1 Coursework: the unit is internally assessed" in text
    assert "GONE, Dan, Unit 3 Set task" in text and "not registered" in text
    assert not ExternalEntry.objects.exists()


def test_a_resit_is_a_second_entry_in_a_later_series_showing_the_earlier_result(world):
    a = world.learners[0]
    (jan,) = services.make_entries(
        world.cohort,
        YEAR,
        "January 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2026, 10, 1),
    )
    ExternalResult.objects.create(
        learner=a, unit=world.exam, series="January 2027", grade="U", imported_by=world.eo
    )
    (june,) = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    rows, unmatched = services.entries_with_results([jan, june])
    assert rows[0][1].grade == "U"
    assert rows[1][1] is None and [r.grade for r in rows[1][2]] == ["U"]
    assert unmatched == []
    # the same entry again in the same series is left as it is
    again = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    assert again == []


def test_a_result_with_no_entry_is_a_warning(world):
    b = world.learners[1]
    ExternalResult.objects.create(
        learner=b, unit=world.task, series="January 2027", grade="P", imported_by=world.eo
    )
    (entry,) = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(b.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    _, unmatched = services.entries_with_results([entry])
    assert [(r.unit.number, r.series) for r in unmatched] == [("3", "January 2027")]


def test_withdrawing_keeps_the_entry_with_who_and_when_and_allows_a_new_one(world):
    a = world.learners[0]
    (entry,) = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    services.withdraw_entry(entry, by=world.eo)
    entry.refresh_from_db()
    assert entry.withdrawn_at and entry.withdrawn_by == world.eo
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw_entry(entry, by=world.eo)
    again = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    assert len(again) == 1


def test_the_entries_file_reads_back_with_openpyxl(world):
    entries = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(lr.pk, world.exam.pk) for lr in world.learners],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    services.withdraw_entry(entries[2], by=world.eo)
    qs = ExternalEntry.objects.select_related("learner__centre", "unit").order_by(
        "learner__last_name"
    )
    ws = openpyxl.load_workbook(io.BytesIO(services.entries_file(qs))).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == services.HEADINGS
    assert [r[4] for r in rows[1:]] == ["HALE", "OKAFOR"]
    assert rows[1][0] == world.centre.number and rows[1][1] == "0202"
    assert rows[1][7] == "2" and rows[1][8] == "May/June 2027"


def test_a_teacher_cannot_make_entries(world):
    from django.core.exceptions import PermissionDenied

    teacher = UserFactory()
    RoleAssignmentFactory(user=teacher, centre=world.centre, role=Role.ASSESSOR_IV)
    with pytest.raises(PermissionDenied):
        services.make_entries(
            world.cohort,
            YEAR,
            "May/June 2027",
            [(world.learners[0].pk, world.exam.pk)],
            by=teacher,
            today=dt.date(2027, 2, 1),
        )


def test_the_page_ticks_and_saves_in_one_request_and_shows_results(client, world):
    from django.urls import reverse

    client.force_login(world.eo)
    url = reverse("claims:entries", kwargs={"pk": world.cohort.pk})
    a, b, _ = world.learners
    ExternalResult.objects.create(
        learner=b, unit=world.task, series="January 2027", grade="P", imported_by=world.eo
    )
    # the series' deadline is in the past by the page's clock only if today is later; make
    # the confirmation explicit so the test does not depend on the day it runs
    response = client.post(
        url + "save/?year=2026/27&series=May/June 2027",
        {"enter": [f"{a.pk}-{world.exam.pk}", f"{b.pk}-{world.task.pk}"], "confirm_very_late": "1"},
    )
    assert response.status_code == 302
    assert ExternalEntry.objects.filter(series="May/June 2027").count() == 2
    page = client.get(url, {"year": YEAR, "series": "May/June 2027"}).content.decode()
    assert "has no entry" in page and "Entered" in page
    xlsx = client.get(
        reverse("claims:entries_xlsx", kwargs={"pk": world.cohort.pk}),
        {"year": YEAR, "series": "May/June 2027"},
    )
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.max_row == 3


def test_the_page_runs_the_same_queries_at_two_sizes(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(world.eo)
    url = reverse("claims:entries", kwargs={"pk": world.cohort.pk})

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"year": YEAR, "series": "May/June 2027"}).status_code == 200
        return len(ctx.captured_queries)

    ExternalEntry.objects.create(
        learner=world.learners[0],
        cohort=world.cohort,
        unit=world.exam,
        academic_year=YEAR,
        series="May/June 2027",
        entered_by=world.eo,
    )
    small = count()
    for i in range(8):
        learner = LearnerFactory(centre=world.centre, uln=make_uln(8100 + i))
        register_on(world.cohort, learner)
        ExternalEntry.objects.create(
            learner=learner,
            cohort=world.cohort,
            unit=world.exam,
            academic_year=YEAR,
            series="May/June 2027",
            entered_by=world.eo,
        )
        ExternalResult.objects.create(
            learner=learner,
            unit=world.exam,
            series="January 2027",
            grade="U",
            imported_by=world.eo,
        )
    assert count() == small


def test_the_exams_officer_withdraws_an_entry_from_the_page_and_a_sat_one_is_refused(client, world):
    from django.urls import reverse

    a, b, _ = world.learners
    withdraw, sat = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk), (b.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    ExternalResult.objects.create(
        learner=b, unit=world.exam, series="May/June 2027", grade="M", imported_by=world.eo
    )
    page_url = reverse("claims:entries", kwargs={"pk": world.cohort.pk})
    client.force_login(world.eo)
    page = client.get(page_url, {"year": YEAR, "series": "May/June 2027"}).content.decode()
    assert f"Withdraw {a}'s entry" in page  # the live entry has its button
    assert f"Withdraw {b}'s entry" not in page  # the sat one has a result instead
    # the exams officer may enter the learner not yet entered (the boxes were once hidden)
    assert f'aria-label="Enter {world.learners[2]} for unit {world.exam.number}"' in page

    response = client.post(
        reverse("claims:entry_withdraw", kwargs={"pk": withdraw.pk}), follow=True
    )
    withdraw.refresh_from_db()
    assert withdraw.withdrawn_at is not None and withdraw.withdrawn_by == world.eo
    assert "is withdrawn" in response.content.decode()
    assert "withdrawn " in response.content.decode()  # the list says when
    assert AuditEvent.objects.filter(action="claims.external_entry.withdrawn").exists()

    response = client.post(reverse("claims:entry_withdraw", kwargs={"pk": sat.pk}), follow=True)
    sat.refresh_from_db()
    assert sat.withdrawn_at is None
    assert "has a result from Pearson already" in response.content.decode()

    teacher = UserFactory()
    RoleAssignmentFactory(user=teacher, centre=world.centre, role=Role.ASSESSOR_IV)
    client.force_login(teacher)
    (again,) = services.make_entries(
        world.cohort,
        YEAR,
        "May/June 2027",
        [(a.pk, world.exam.pk)],
        by=world.eo,
        today=dt.date(2027, 2, 1),
    )
    response = client.post(reverse("claims:entry_withdraw", kwargs={"pk": again.pk}))
    assert response.status_code == 403
