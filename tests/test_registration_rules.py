"""Registration corrections (issue 10, item 6): the rule of combination, Pearson's deadline
per qualification family, and a partner's learner only under the consortium code."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from centres import services as arrangements
from qualifications.catalogue import export_structure_xlsx, import_structure_xlsx
from qualifications.models import Qualification, QualificationFamily, Unit
from registrations import services
from registrations.models import CentreCalendar, EntryList, FamilyDeadline, RegistrationYear
from signatures import services as signing

from .factories import (
    PASSWORD,
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    TeachingGroupFactory,
    UserFactory,
    approve,
    centre_qn,
    join,
)

R = Role
TODAY = dt.date(2026, 9, 14)
pytestmark = pytest.mark.usefixtures("_september")


@pytest.fixture
def _september():
    with time_machine.travel(dt.datetime(2026, 9, 14, 10, 0), tick=True):
        yield


@pytest.fixture
def ext_cert(db):
    """An Extended Certificate (360 GLH): 240 GLH mandatory, two 60-GLH optional units."""
    q = QualificationFactory(
        title="Extended Certificate in Rules", glh=360, optional_units_required=2
    )
    for number, glh in (("1", 90), ("2", 90), ("3", 60)):
        Unit.objects.create(
            qualification=q, number=number, title=f"Core {number}", glh=glh, assessment="internal"
        )
    for number in ("4", "5", "6"):
        Unit.objects.create(
            qualification=q,
            number=number,
            title=f"Option {number}",
            glh=60,
            assessment="internal",
            mandatory=False,
        )
    return q


def _options(q, *numbers):
    return list(q.units.filter(number__in=numbers))


@pytest.fixture
def rnd(own_centre, cast):
    return services.open_round(centre=own_centre, academic_year="2026/27", by=cast[R.EXAMS_OFFICER])


def _cohort(own_centre, cast, q, *defaults, learners=("Ashworth",)):
    cohort = CohortFactory(centre=own_centre, qualification=q, leader=cast[R.PROGRAMME_LEADER])
    cohort.optional_units.set(_options(q, *defaults))
    group = TeachingGroupFactory(cohort=cohort, name="12R")
    for name in learners:
        group.learners.add(LearnerFactory(centre=own_centre, last_name=name))
    return cohort


def _proposed(rnd, cohort, cast):
    req = services.request_entries(rnd, cohort=cohort, due_date=TODAY, by=rnd.opened_by)
    for learner in cohort.teaching_groups.get().learners.all():
        services.propose_entry(req, learner=learner, by=cast[R.PROGRAMME_LEADER])
    return req


def _returned(rnd, cohort, cast):
    req = _proposed(rnd, cohort, cast)
    services.finish_proposals(req, by=cast[R.PROGRAMME_LEADER])
    entry_list = cohort.entry_lists.get()
    services.make_entries(
        entry_list, registrations=list(cohort.registrations.all()), by=cast[R.EXAMS_OFFICER]
    )
    services.return_entry_list(entry_list, by=cast[R.EXAMS_OFFICER])
    entry_list.refresh_from_db()
    return entry_list


# --- 1. the rule of combination --------------------------------------------------------


def test_options_breaking_the_rule_of_combination_are_refused_naming_learner_and_figures(
    client, cast, rnd, own_centre, ext_cert
):
    cohort = _cohort(own_centre, cast, ext_cert)
    req = _proposed(rnd, cohort, cast)
    reg = cohort.registrations.get()
    url = reverse("registrations:proposal_options", args=[req.pk, reg.pk])
    client.force_login(cast[R.PROGRAMME_LEADER])
    three = [u.pk for u in _options(ext_cert, "4", "5", "6")]
    page = client.post(url, {"pathway": "", "optional_units": three}).content.decode()
    assert (
        f"{reg.learner}: 3 optional units of 60 GLH chosen (units 4, 5, 6: 180 GLH); "
        "the Extended Certificate in Rules needs 2 (120 GLH)."
    ) in page.replace("&#x27;", "'")
    assert reg.optional_units.count() == 0
    two = [u.pk for u in _options(ext_cert, "4", "6")]
    client.post(url, {"pathway": "", "optional_units": two})
    assert sorted(reg.optional_units.values_list("number", flat=True)) == ["4", "6"]


def test_optional_glh_must_add_up_to_the_qualification_without_a_unit_count(
    cast, rnd, own_centre, ext_cert
):
    """Only the GLH configured: 240 mandatory + one 60-GLH option is 300, not 360."""
    ext_cert.optional_units_required = None
    ext_cert.optional_glh_required = 120
    ext_cert.save()
    cohort = _cohort(own_centre, cast, ext_cert)
    _proposed(rnd, cohort, cast)
    reg = cohort.registrations.get()
    with pytest.raises(ValidationError) as refused:
        services.choose_options(
            reg, by=cast[R.PROGRAMME_LEADER], pathway="", optional_units=_options(ext_cert, "5")
        )
    assert "1 optional unit of 60 GLH chosen (unit 5: 60 GLH)" in str(refused.value)
    assert "needs 120 GLH" in str(refused.value)


def test_a_rule_that_does_not_add_up_to_the_qualification_says_so(ext_cert):
    """Written past the admin's check: the refusal points at the configuration."""
    from qualifications.services import combination_problems

    Qualification.objects.filter(pk=ext_cert.pk).update(
        optional_units_required=None, optional_glh_required=60
    )
    ext_cert.refresh_from_db()
    (problem,) = combination_problems(ext_cert, _options(ext_cert, "4"))
    assert "make 300 GLH, not the Extended Certificate in Rules's 360" in problem


def test_without_a_configured_rule_only_membership_is_checked(cast, rnd, own_centre, ext_cert):
    ext_cert.optional_units_required = None
    ext_cert.save()
    cohort = _cohort(own_centre, cast, ext_cert)
    _proposed(rnd, cohort, cast)
    reg = cohort.registrations.get()
    services.choose_options(
        reg,
        by=cast[R.PROGRAMME_LEADER],
        pathway="",
        optional_units=_options(ext_cert, "4", "5", "6"),
    )
    assert reg.optional_units.count() == 3
    mandatory = _options(ext_cert, "1")
    with pytest.raises(
        ValidationError, match="not an optional unit of Extended Certificate in Rules"
    ):
        services.choose_options(
            reg, by=cast[R.PROGRAMME_LEADER], pathway="", optional_units=mandatory
        )


def test_an_amendment_that_breaks_the_rule_is_refused(client, cast, rnd, own_centre, ext_cert):
    cohort = _cohort(own_centre, cast, ext_cert, "4", "5")
    entry_list = _returned(rnd, cohort, cast)
    reg = cohort.registrations.get()
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.post(
        reverse("registrations:row_amend", args=[entry_list.pk, reg.pk]),
        {
            "pathway": "",
            "programme_code": "",
            "optional_units": [u.pk for u in _options(ext_cert, "4")],
            "reason": "Dropped an option",
            "lock": entry_list.lock_version,
        },
    ).content.decode()
    assert "1 optional unit of 60 GLH chosen (unit 4: 60 GLH)" in page
    assert "needs 2 (120 GLH)" in page
    assert sorted(reg.optional_units.values_list("number", flat=True)) == ["4", "5"]
    assert not AuditEvent.objects.filter(action="registrations.entry_list.amended").exists()


def test_signing_is_refused_while_a_learners_units_break_the_rule(
    client, cast, rnd, own_centre, ext_cert
):
    """The cohort's defaults (three options) went onto the list; the leader cannot sign it."""
    cohort = _cohort(own_centre, cast, ext_cert, "4", "5", "6", learners=("Ashworth", "Brindley"))
    entry_list = _returned(rnd, cohort, cast)
    client.force_login(cast[R.PROGRAMME_LEADER])
    page = client.get(entry_list.get_absolute_url()).content.decode()
    assert "Optional units that break the rule of combination" in page
    response = client.post(
        reverse("registrations:entry_list_sign", args=[entry_list.pk]),
        {"password": PASSWORD, "seen": signing.current_sha256(entry_list)},
        follow=True,
    )
    page = response.content.decode().replace("&#x27;", "'")
    assert "cannot be signed" in page
    for reg in cohort.registrations.all():
        assert f"{reg.learner}: 3 optional units of 60 GLH chosen" in page
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.AWAITING_SIGNATURE
    # Amended to two options each, the list is signed.
    for reg in cohort.registrations.all():
        services.amend_registration(
            reg,
            by=cast[R.EXAMS_OFFICER],
            reason="Two options",
            optional_units=_options(ext_cert, "4", "5"),
        )
    entry_list.refresh_from_db()
    services.sign_entry_list(
        entry_list,
        user=cast[R.PROGRAMME_LEADER],
        password=PASSWORD,
        seen_sha256=signing.current_sha256(entry_list),
    )
    entry_list.refresh_from_db()
    assert entry_list.status == EntryList.Status.SIGNED


def test_the_admin_refuses_an_optional_glh_that_does_not_add_up(client, ext_cert):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:qualifications_qualification_change", args=[ext_cert.pk])
    form = {
        "title": ext_cert.title,
        "number": ext_cert.number,
        "level": ext_cert.level,
        "glh": 360,
        "grading_scheme": "nationals",
        "family": "",
        "typical_years": 1,
        "resubmission_working_days": 15,
        "optional_units_required": 2,
        "optional_glh_required": 180,
        "combination_source": "Specification issue 5, section 2",
        "combination_unconfirmed": "",
    }
    page = client.post(url, form).content.decode()
    assert "The mandatory units are 240 GLH; with 180 optional GLH that is 420" in page
    form["optional_glh_required"] = 120
    assert client.post(url, form).status_code == 302
    ext_cert.refresh_from_db()
    assert ext_cert.optional_glh_required == 120
    assert ext_cert.combination_source == "Specification issue 5, section 2"


def test_the_catalogue_workbook_carries_the_rule_of_combination(ext_cert):
    ext_cert.optional_glh_required = 120
    ext_cert.save()
    data = export_structure_xlsx(ext_cert)
    Qualification.objects.filter(pk=ext_cert.pk).update(
        optional_units_required=None, optional_glh_required=None
    )
    result = import_structure_xlsx(SimpleUploadedFile("rules.xlsx", data), None)
    assert result.ok, result.errors
    ext_cert.refresh_from_db()
    assert (ext_cert.optional_units_required, ext_cert.optional_glh_required) == (2, 120)


# --- 2. Pearson's deadline per qualification family ---------------------------------------


@pytest.fixture
def years(db):
    call_command("load_registration_years", verbosity=0)
    return RegistrationYear.objects.get(academic_year="2026/27")


@pytest.fixture
def hn_family(db):
    return QualificationFamily.objects.create(code="hn-test", name="Higher Nationals (test)")


def test_a_familys_own_deadline_decides_the_round_page_and_late_fees(
    client, cast, rnd, own_centre, years, hn_family
):
    FamilyDeadline.objects.create(
        year=years,
        family=hn_family,
        registration_deadline=dt.date(2026, 11, 15),
        fee_bands=[{"from": "2026-11-16", "multiplier": "1.05"}],
        unconfirmed="15 November is Pearson's 2024/25 HNC/HND date",
    )
    hn = QualificationFactory(title="HNC in Deadlines", family=hn_family)
    CohortFactory(centre=own_centre, qualification=hn)
    with time_machine.travel(dt.datetime(2026, 11, 5, 10, 0)):
        client.force_login(cast[R.EXAMS_OFFICER])
        page = client.get(rnd.get_absolute_url()).content.decode()
    assert "Pearson registration deadline: Higher Nationals (test)" in page
    assert "15/11/2026 (today: standard fee)" in page
    assert "Registrations made today pay" not in page  # not late for this family
    assert "From 16/11/2026 (in 11 days) registrations pay the late fee × 1.05" in page

    # A qualification with no family of its own falls back to the year's 1 November.
    CohortFactory(centre=own_centre, qualification=QualificationFactory(title="No family"))
    with time_machine.travel(dt.datetime(2026, 11, 5, 10, 0)):
        client.force_login(cast[R.EXAMS_OFFICER])
        page = client.get(rnd.get_absolute_url()).content.decode()
    assert "01/11/2026 (today: late fee × 1.05)" in page
    assert "qualifications without a family: Registrations made today pay the late fee" in page
    assert "15/11/2026 (today: standard fee)" in page


def test_round_and_calendar_pages_warn_when_the_entry_check_ends_after_a_familys_deadline(
    client, cast, rnd, own_centre, years, hn_family
):
    FamilyDeadline.objects.create(
        year=years, family=hn_family, registration_deadline=dt.date(2026, 10, 16)
    )
    CohortFactory(centre=own_centre, qualification=QualificationFactory(family=hn_family))
    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    expected = (
        "The entry check deadline, 23/10/2026, falls after Pearson&#x27;s registration "
        "deadline for Higher Nationals (test) (16/10/2026)"
    )
    assert expected in client.get(rnd.get_absolute_url()).content.decode()
    assert expected in client.get(reverse("registrations:calendar_edit")).content.decode()
    # An earlier entry check: no warning.
    CentreCalendar.objects.filter(centre=own_centre).update(
        entry_check_deadline=dt.date(2026, 10, 15)
    )
    assert "falls after" not in client.get(rnd.get_absolute_url()).content.decode()
    assert "falls after" not in client.get(reverse("registrations:calendar_edit")).content.decode()


def test_a_family_on_the_years_deadline_gives_no_warning(client, cast, rnd, own_centre, years):
    CohortFactory(centre=own_centre, qualification=QualificationFactory())
    CentreCalendar.objects.create(
        centre=own_centre,
        academic_year="2026/27",
        term_starts=dt.date(2026, 9, 3),
        october_half_term_starts=dt.date(2026, 10, 26),
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(rnd.get_absolute_url()).content.decode()
    assert "01/11/2026" in page and "falls after" not in page


def test_load_registration_years_loads_family_deadlines(tmp_path, db, hn_family):
    path = tmp_path / "2026-27.json"
    data = {
        "academic_year": "2026/27",
        "registration_deadline": "2026-11-01",
        "fee_bands": [{"from": "2026-11-02", "multiplier": "1.05"}],
        "family_deadlines": [
            {
                "family": "hn-test",
                "registration_deadline": "2026-11-15",
                "source": "Pearson vocational registrations page",
                "unconfirmed": "2024/25 date carried forward",
            }
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("load_registration_years", str(path), verbosity=0)
    row = FamilyDeadline.objects.get()
    assert (row.year.academic_year, row.family, row.registration_deadline) == (
        "2026/27",
        hn_family,
        dt.date(2026, 11, 15),
    )
    assert row.year.deadline_for(hn_family).registration_deadline == dt.date(2026, 11, 15)
    data["family_deadlines"][0]["family"] = "no-such-family"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="no qualification family 'no-such-family'"):
        call_command("load_registration_years", str(path), verbosity=0)


# --- 4. a partner's learner: under the consortium code, never on the lead's own list --------


@pytest.fixture
def consortium_cohort(own_centre, partner_centre, cast):
    q = QualificationFactory(title="National Diploma in Consortia")
    cohort = CohortFactory(centre=own_centre, qualification=q, leader=cast[R.PROGRAMME_LEADER])
    group = TeachingGroupFactory(cohort=cohort, name="12C")
    group.learners.add(LearnerFactory(centre=own_centre, last_name="Ownlearner"))
    group.learners.add(LearnerFactory(centre=partner_centre, last_name="Partnerlearner"))
    return cohort


def _propose_all(client, cast, req):
    client.force_login(cast[R.PROGRAMME_LEADER])
    ids = list(req.cohort.teaching_groups.get().learners.values_list("pk", flat=True))
    return client.post(
        reverse("registrations:proposals", args=[req.pk]), {"learner": ids}, follow=True
    ).content.decode()


def test_a_partners_learner_is_refused_from_the_lead_centres_own_list(
    client, cast, rnd, consortium_cohort, partner_centre
):
    req = services.request_entries(rnd, cohort=consortium_cohort, due_date=TODAY, by=rnd.opened_by)
    page = _propose_all(client, cast, req).replace("&#x27;", "'")
    assert "is a learner of Partner Test School (40002), not Own Test Academy" in page
    assert "registered under the consortium programme code or sub-site" in page
    names = consortium_cohort.registrations.values_list("learner__last_name", flat=True)
    assert list(names) == ["Ownlearner"]


def test_a_partners_learner_goes_on_the_list_under_the_consortium_code_shown_on_it(
    client, cast, rnd, own_centre, partner_centre, consortium_cohort
):
    q = consortium_cohort.qualification
    approve(own_centre, q)
    approve(partner_centre, q)
    qn = centre_qn(own_centre)
    arrangement = arrangements.create_arrangement(
        lead_centre=own_centre,
        name="Rules Consortium",
        programme_code="",
        first_year="2026/27",
        by=qn,
    )
    join(arrangement, partner_centre, by=qn)
    arrangements.add_qualification(
        arrangement, qualification=q, lead_iv=None, added_on=TODAY, by=qn
    )
    req = services.request_entries(rnd, cohort=consortium_cohort, due_date=TODAY, by=rnd.opened_by)
    # No code recorded on the arrangement yet: refused, saying so.
    page = _propose_all(client, cast, req).replace("&#x27;", "'")
    assert "Rules Consortium has none recorded" in page
    assert not consortium_cohort.registrations.filter(learner__centre=partner_centre).exists()

    arrangement.programme_code = "RC42"
    arrangement.save()
    _propose_all(client, cast, req)
    reg = consortium_cohort.registrations.get(learner__centre=partner_centre)
    assert (reg.centre, reg.programme_code) == (partner_centre, "RC42")
    services.finish_proposals(req, by=cast[R.PROGRAMME_LEADER])
    entry_list = consortium_cohort.entry_lists.get()
    services.make_entries(
        entry_list,
        registrations=list(consortium_cohort.registrations.all()),
        by=cast[R.EXAMS_OFFICER],
    )
    client.force_login(cast[R.EXAMS_OFFICER])
    page = client.get(entry_list.get_absolute_url()).content.decode()
    assert "Consortium: Rules Consortium · programme code or sub-site <strong>RC42</strong>" in page
    # The partner's learner's entry cannot lose the code by an amendment.
    root = UserFactory(username="root", is_superuser=True)
    with pytest.raises(ValidationError, match="it cannot be blank"):
        services.amend_registration(reg, by=root, reason="tidy", programme_code="")
    reg.refresh_from_db()
    assert reg.programme_code == "RC42"
