"""The evidence pack for the standards verifier (policy 000-3.1.11: give Pearson's verifier
what they ask for): one streamed ZIP per cohort and year with an index PDF naming every
file; other apps add parts through the registry."""

import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.roles import Role
from assessment.models import AssessmentPlan, Submission
from assessment.models_briefs import AssignmentBrief, BriefVersion
from audit.models import AuditEvent
from verification import evidence_pack, services_sv
from verification.models import IVPlan, IVRecord, SampleItem, StandardisationRecord

from .factories import (
    CohortFactory,
    LearnerFactory,
    QualificationFactory,
    planned_row,
    register_on,
    unit_with_criteria,
)
from .pdf_reading import pdf_text

R = Role
YEAR = "2026/27"


@pytest.fixture(autouse=True)
def _spring():
    with time_machine.travel(dt.datetime(2027, 2, 1, 10, 0), tick=True):
        yield


def build_cohort(centre, cast, n_learners=3):
    """A cohort with everything a pack holds: plan, brief + IV + file, IV sample,
    standardisation, hand-ins with declarations, and its SV."""
    q = QualificationFactory(title="National Extended Certificate in Packing")
    unit = unit_with_criteria(q, 3, ["A.P1", "A.M1"])
    cohort = CohortFactory(centre=centre, qualification=q, start_year=YEAR)
    learners = [LearnerFactory(centre=centre, last_name=f"Packer{i}") for i in range(n_learners)]
    for person in learners:
        register_on(cohort, person)
    plan = AssessmentPlan.objects.create(cohort=cohort, academic_year=YEAR)
    row = planned_row(
        plan, unit, assessor=cast[R.ASSESSOR_IV], iv=cast[R.LEAD_IV], title="Cargo survey"
    )
    brief = AssignmentBrief.objects.create(
        assignment=row,
        vocational_scenario="A freight depot",
        tasks="Survey",
        evidence="Report",
        status="verified",
        verified_by=cast[R.LEAD_IV],
        checklist={"details": True, "deadlines": True},
    )
    version = BriefVersion.objects.create(
        brief=brief,
        number=1,
        vocational_scenario="A freight depot",
        tasks="Survey",
        evidence="Report",
        made_by=cast[R.ASSESSOR_IV],
        file_type="pdf",
    )
    version.file.save("cargo.pdf", ContentFile(b"%PDF-1.4 the brief" * 10))
    iv_plan = IVPlan.objects.create(cohort=cohort, academic_year=YEAR, created_by=cast[R.LEAD_IV])
    for person in learners:
        Submission.objects.create(
            learner=person,
            assignment=row,
            submitted_on=dt.date(2026, 10, 31),
            learner_declared_on=dt.date(2026, 10, 31),
            assessor_declared_on=dt.date(2026, 11, 2),
            recorded_by=cast[R.ASSESSOR_IV],
        )
    item = SampleItem.objects.create(
        plan=iv_plan,
        learner=learners[0],
        assignment=row,
        sampled_by=cast[R.LEAD_IV],
        snapshot={"decisions": [{"criterion": "A.P1", "achieved": True}]},
    )
    IVRecord.objects.create(item=item, verifier=cast[R.LEAD_IV], outcome="agree", comments="Sound")
    record = StandardisationRecord.objects.create(
        centre=centre,
        qualification=q,
        academic_year=YEAR,
        held_on=dt.date(2026, 9, 3),
        materials="Pearson exemplars",
        outcome="Merit line agreed",
        recorded_by=cast[R.LEAD_IV],
    )
    record.attendees.set([cast[R.LEAD_IV]])
    visit = services_sv.record_allocation(
        cohort=cohort, academic_year=YEAR, verifier_name="Dr Imogen Quarry", by=cast[R.LEAD_IV]
    )
    return cohort, visit


EXPECTED = {
    "00-standards-verification/standards-verification.pdf",
    "01-assessment-plan/assessment-plan.pdf",
    "02-briefs/unit-3-cargo-survey-iv.pdf",
    "02-briefs/unit-3-cargo-survey-v1.pdf",
    "03-iv-sample/sampled-decisions-and-iv.pdf",
    "04-standardisation/standardisation-records.pdf",
    "05-declarations/authenticity-declarations.pdf",
    "index.pdf",
}


def _download(client, visit):
    response = client.get(reverse("verification:sv_pack", args=[visit.pk]))
    assert response.status_code == 200 and response.streaming
    chunks = list(response.streaming_content)
    return response, chunks, zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


def test_the_pack_opens_lists_every_part_and_the_index_names_them(client, cast, own_centre):
    _cohort, visit = build_cohort(own_centre, cast)
    client.force_login(cast[R.QUALITY_NOMINEE])
    response, chunks, pack = _download(client, visit)
    assert response["Content-Type"] == "application/zip"
    assert "evidence-pack-40001-" in response["Content-Disposition"]
    assert len(chunks) > 3  # streamed file by file, not one blob
    assert pack.testzip() is None
    assert set(pack.namelist()) == EXPECTED
    assert pack.read("02-briefs/unit-3-cargo-survey-v1.pdf").startswith(b"%PDF-1.4 the brief")
    index = pdf_text(pack.read("index.pdf"))
    for name in EXPECTED - {"index.pdf"}:
        assert name.rsplit("/", 1)[1] in index, name
    assert "Declarations" in index and "Standardisation records" in index
    sample = pdf_text(pack.read("03-iv-sample/sampled-decisions-and-iv.pdf"))
    assert "Agree" in sample and "A.P1 achieved" in sample
    assert AuditEvent.objects.filter(action="verification.sv.pack_downloaded").count() == 1


def test_another_app_adds_a_part_without_editing_the_pack(client, cast, own_centre, monkeypatch):
    _cohort, visit = build_cohort(own_centre, cast)

    def declaration(cohort, academic_year):
        yield evidence_pack.PackFile(
            "06-aqd/annual-quality-declaration.txt", "Annual Quality Declaration", data=b"AQD"
        )

    monkeypatch.setattr(evidence_pack, "_PARTS", dict(evidence_pack._PARTS))
    evidence_pack.register_pack_part("Another app's part", declaration, order=65)
    client.force_login(cast[R.LEAD_IV])
    _response, _chunks, pack = _download(client, visit)
    assert pack.read("06-aqd/annual-quality-declaration.txt") == b"AQD"
    assert "annual-quality-declaration.txt" in pdf_text(pack.read("index.pdf"))


def test_an_empty_cohort_gives_an_index_saying_none_recorded(cast, own_centre):
    cohort = CohortFactory(centre=own_centre, qualification=QualificationFactory(), start_year=YEAR)
    pack = zipfile.ZipFile(io.BytesIO(b"".join(evidence_pack.stream_pack(cohort, YEAR))))
    assert pack.namelist() == ["index.pdf"]
    assert "None recorded" in pdf_text(pack.read("index.pdf"))


def test_another_centre_cannot_download_the_pack(client, cast, own_centre, make_user, other_centre):
    _cohort, visit = build_cohort(own_centre, cast)
    client.force_login(make_user("elsewhere", R.QUALITY_NOMINEE, centre=other_centre))
    assert client.get(reverse("verification:sv_pack", args=[visit.pk])).status_code == 404
    client.force_login(cast[R.GOVERNOR])
    assert client.get(reverse("verification:sv_pack", args=[visit.pk])).status_code == 403


def test_the_pack_holds_the_centres_annual_quality_declaration(client, cast, own_centre):
    """The declaration the verifier may ask for (3.1.12) is in the pack, as completed, with
    its checklist's evidence and gaps: added by the declarations app through the registry."""
    from declarations import services as declarations

    _cohort, visit = build_cohort(own_centre, cast)
    declarations.start_declaration(
        centre=own_centre, academic_year=YEAR, by=cast[R.QUALITY_NOMINEE]
    )
    client.force_login(cast[R.QUALITY_NOMINEE])
    _response, _chunks, pack = _download(client, visit)
    name = "06-annual-quality-declaration/declaration.pdf"
    assert set(pack.namelist()) == EXPECTED | {name}
    text = pdf_text(pack.read(name))
    assert "Annual Quality Declaration" in text and "3.1.4" in text
    assert "declaration.pdf" in pdf_text(pack.read("index.pdf"))
