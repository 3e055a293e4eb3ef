"""Cohorts that run over several academic years.

A two-year Extended Certificate cohort starting in 2026/27 is registered once, in the
2026/27 round. In 2027/28 its learners are continuing: the round lists them so, the
programme leader confirms them against this year's groups, the entry check never calls
them "not entered", and nobody is pushed to register them twice.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from learners.models import Cohort
from registrations import changes, entry_check, services
from registrations.models import (
    CentreCalendar,
    ChangeRequest,
    Discrepancy,
    EntryList,
    Registration,
    RegistrationStep,
)
from signatures import services as signing

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    make_uln,
)

R = Role
K = Discrepancy.Kind
YEAR1, YEAR2 = "2026/27", "2027/28"


@pytest.fixture
def cohort(own_centre, cast):
    q = QualificationFactory(title="BTEC National Extended Certificate in Cohorts", typical_years=2)
    return CohortFactory(
        centre=own_centre,
        qualification=q,
        start_year=YEAR1,
        years=2,
        leader=cast[R.PROGRAMME_LEADER],
    )


def _calendar(centre, year):
    start = int(year[:4])
    CentreCalendar.objects.get_or_create(
        centre=centre,
        academic_year=year,
        defaults={
            "term_starts": dt.date(start, 9, 3),
            "october_half_term_starts": dt.date(start, 10, 26),
        },
    )


def _through_the_round(cohort, year, cast, *, new=()):
    """Request, propose or confirm, enter, return, sign and submit one cohort's list."""
    eo, pl = cast[R.EXAMS_OFFICER], cast[R.PROGRAMME_LEADER]
    rnd = services.open_round(centre=cohort.centre, academic_year=year, by=eo)
    req = services.request_entries(
        rnd, cohort=cohort, due_date=dt.date(int(year[:4]), 9, 30), by=eo
    )
    for learner in new:
        services.propose_entry(req, learner=learner, by=pl)
    services.finish_proposals(req, by=pl)
    entry_list = services.entry_list_for(cohort, rnd)
    services.make_entries(
        entry_list, registrations=list(cohort.registrations.filter(round=rnd)), by=eo
    )
    services.return_entry_list(entry_list, by=eo)
    entry_list.refresh_from_db()
    services.sign_entry_list(
        entry_list, user=pl, password=PASSWORD, seen_sha256=signing.current_sha256(entry_list)
    )
    entry_list.refresh_from_db()
    services.submit_entry_list(entry_list, by=eo, submitted_on=timezone.localdate())
    return rnd, req, EntryList.objects.get(pk=entry_list.pk)


@pytest.fixture
def year_one(cohort, cast, own_centre):
    """Ada and Ben registered in the cohort's first year; their 2026/27 group is 12C."""
    ada = LearnerFactory(centre=own_centre, last_name="Ashby", first_name="Ada", uln=make_uln(1))
    ben = LearnerFactory(centre=own_centre, last_name="Brook", first_name="Ben", uln=make_uln(2))
    TeachingGroupFactory(cohort=cohort, academic_year=YEAR1, name="12C").learners.add(ada, ben)
    with time_machine.travel(dt.datetime(2026, 9, 15, 10, 0), tick=True):
        rnd, _, entry_list = _through_the_round(cohort, YEAR1, cast, new=[ada, ben])
    Registration.objects.filter(cohort=cohort).update(status=Registration.Status.REGISTERED)
    return {"ada": ada, "ben": ben, "round": rnd, "list": entry_list}


def test_a_cohort_runs_for_its_qualifications_usual_length_and_completes_at_the_end(cohort):
    assert cohort.academic_years == [YEAR1, YEAR2]
    assert cohort.span == "2026/27–2027/28"
    assert cohort.planned_completion == dt.date(2028, 8, 31)
    assert list(Cohort.objects.covering(YEAR2)) == [cohort]
    assert list(Cohort.objects.covering("2028/29")) == []
    assert cohort.year_number(YEAR2) == 2


def test_the_pearson_sheet_gives_the_end_of_the_final_year_as_planned_completion(
    client, cast, year_one
):
    client.force_login(cast[R.EXAMS_OFFICER])
    with time_machine.travel(dt.datetime(2026, 10, 2, 10, 0)):
        response = client.get(reverse("registrations:pearson_xlsx", args=[year_one["list"].pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    heads = rows[0]
    completion = rows[1][heads.index("Planned completion")]
    assert completion.date() == dt.date(2028, 8, 31)


def test_in_the_second_year_the_round_lists_the_cohort_as_continuing(
    client, cohort, cast, year_one, own_centre
):
    eo = cast[R.EXAMS_OFFICER]
    TeachingGroupFactory(cohort=cohort, academic_year=YEAR2, name="13C").learners.add(
        year_one["ada"], year_one["ben"]
    )
    with time_machine.travel(dt.datetime(2027, 9, 15, 10, 0), tick=True):
        rnd = services.open_round(centre=own_centre, academic_year=YEAR2, by=eo)
        client.force_login(eo)
        page = client.get(rnd.get_absolute_url()).content.decode()
        assert "Year 2: continuing" in page
        req = services.request_entries(rnd, cohort=cohort, due_date=dt.date(2027, 9, 30), by=eo)
        client.force_login(cast[R.PROGRAMME_LEADER])
        proposals = client.get(req.get_absolute_url()).content.decode()
        assert "2 learners registered in an earlier year are continuing" in proposals
        assert "Confirm 2 continuing learners" in proposals
        # Nobody new: sending confirms the two, and they are never entered again.
        services.finish_proposals(req, by=cast[R.PROGRAMME_LEADER])
    assert cohort.registrations.count() == 2
    assert RegistrationStep.objects.filter(
        registration__learner=year_one["ada"], what=f"Continuing in {YEAR2}"
    ).exists()
    entry_list = services.entry_list_for(cohort, rnd)
    rows = entry_list.snapshot()["rows"]
    assert [(r["last_name"], r["continuing"]) for r in rows] == [("Ashby", True), ("Brook", True)]


def test_the_second_years_entry_check_never_calls_continuing_learners_not_entered(
    cohort, cast, year_one, own_centre
):
    eo, qn = cast[R.EXAMS_OFFICER], cast[R.QUALITY_NOMINEE]
    carl = LearnerFactory(centre=own_centre, last_name="Carr", first_name="Carl", uln=make_uln(3))
    # Ada is in this year's group; Ben is in none (left the class); Carl joined this year.
    TeachingGroupFactory(cohort=cohort, academic_year=YEAR2, name="13C").learners.add(
        year_one["ada"], carl
    )
    _calendar(own_centre, YEAR2)
    with time_machine.travel(dt.datetime(2027, 10, 5, 10, 0), tick=True):
        rnd = services.open_round(centre=own_centre, academic_year=YEAR2, by=eo)
        check = entry_check.start_entry_check(rnd, by=qn)
        found = {(d.learner.last_name, d.kind) for d in entry_check.run_entry_check(check, by=qn)}
    assert ("Ashby", K.NOT_ENTERED) not in found
    assert ("Carr", K.NOT_ENTERED) in found
    assert ("Brook", K.NO_GROUP) in found


def test_a_withdrawal_in_the_second_year_works_as_in_the_first(cohort, cast, year_one):
    qn, eo = cast[R.QUALITY_NOMINEE], cast[R.EXAMS_OFFICER]
    reg = cohort.registrations.get(learner=year_one["ben"])
    with time_machine.travel(dt.datetime(2027, 11, 20, 10, 0), tick=True):
        cr = changes.request_withdrawal(
            reg, reason=ChangeRequest.Reason.LEFT_SCHOOL, details="Moved away", by=qn
        )
        changes.action_change(
            cr,
            actioned_on=dt.date(2027, 11, 20),
            pearson_reference="CAS-9",
            by=eo,
            achievement="reported",
            achievement_detail="Units 1 and 2 at Merit reported in year one",
        )
    reg.refresh_from_db()
    assert reg.status == Registration.Status.WITHDRAWN


def test_a_round_closes_only_when_its_lists_are_submitted(cohort, cast, own_centre):
    eo = cast[R.EXAMS_OFFICER]
    with time_machine.travel(dt.datetime(2026, 9, 15, 10, 0), tick=True):
        rnd = services.open_round(centre=own_centre, academic_year=YEAR1, by=eo)
        services.request_entries(rnd, cohort=cohort, due_date=dt.date(2026, 9, 30), by=eo)
        with pytest.raises(ValidationError, match="still requested and not proposed"):
            services.close_round(rnd, by=eo)


def test_the_round_closes_and_then_takes_no_new_requests(client, cohort, cast, year_one):
    eo = cast[R.EXAMS_OFFICER]
    client.force_login(eo)
    rnd = year_one["round"]
    client.post(reverse("registrations:round_close", args=[rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == "closed" and rnd.closed_by == eo
    other = CohortFactory(centre=cohort.centre, start_year=YEAR1)
    with pytest.raises(ValidationError, match="This round is closed"):
        services.request_entries(rnd, cohort=other, due_date=dt.date(2099, 1, 1), by=eo)


def test_a_new_years_round_starts_its_cohorts_from_last_years(client, cohort, cast, own_centre):
    eo = cast[R.EXAMS_OFFICER]
    unit_cohort_units = list(cohort.optional_units.all())
    with time_machine.travel(dt.datetime(2027, 9, 10, 10, 0), tick=True):
        rnd = services.open_round(centre=own_centre, academic_year=YEAR2, by=eo)
        client.force_login(eo)
        page = client.get(rnd.get_absolute_url()).content.decode()
        assert "Start this year's new cohorts" in page
        client.post(
            reverse("registrations:round_start_cohorts", args=[rnd.pk]), {"cohort": [cohort.pk]}
        )
    new = Cohort.objects.get(start_year=YEAR2, qualification=cohort.qualification)
    assert (new.years, new.leader, list(new.optional_units.all())) == (
        2,
        cohort.leader,
        unit_cohort_units,
    )
    # Both are taught in 2027/28: the first in its second year, the new one in its first.
    assert set(Cohort.objects.covering(YEAR2)) == {cohort, new}


def test_the_new_starter_link_from_the_check_keeps_the_cohort_and_warns_of_another(
    client, cohort, cast, own_centre
):
    learner = LearnerFactory(centre=own_centre, last_name="Dawes")
    TeachingGroupFactory(cohort=cohort, academic_year=YEAR1).learners.add(learner)
    elsewhere = CohortFactory(centre=own_centre, start_year=YEAR1)
    TeachingGroupFactory(cohort=elsewhere).learners.add(learner)
    client.force_login(cast[R.EXAMS_OFFICER])
    url = (
        reverse("registrations:change_new")
        + f"?learner={learner.pk}&kind=new_starter&cohort={cohort.pk}"
    )
    page = client.get(url).content.decode()
    assert f'<option value="{cohort.pk}" selected>' in page
    refused = client.post(url, {"cohort": elsewhere.pk, "details": "Joined in October"})
    assert "The entry check found this learner in a group of" in refused.content.decode()
    assert not ChangeRequest.objects.exists()
    client.post(url, {"cohort": elsewhere.pk, "details": "Joined in October", "other_cohort": "on"})
    assert ChangeRequest.objects.get().cohort == elsewhere
