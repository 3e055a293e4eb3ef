"""Assignment briefs: upload sniffing, versions, the IV's checklist sign-off, the issue gate."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment import services_briefs as briefs
from assessment.checklists import CHECKLIST_KEYS
from assessment.models_briefs import AssignmentBrief
from audit.models import AuditEvent
from signatures.services import current_sha256
from todos.models import ToDo

from .factories import PASSWORD
from .test_assessment_plans import approved, w  # noqa: F401  (the plan fixture)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes(extra=None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def row(w, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    approved(w)
    return w.plan.assignments.get(title="Lab report")


def save(w, row, upload=None, paab=False):  # noqa: F811
    return briefs.save_brief(
        row,
        by=w.a1,
        scenario="You work for a lab",
        tasks="Task 1 (A.P1, A.M1)",
        evidence="A report",
        pearson_authorised=paab,
        upload=upload,
    )


ALL_MET = {k: True for k in CHECKLIST_KEYS}


def test_a_pdf_and_a_docx_are_accepted_by_content_and_kept_as_versions(w, row):  # noqa: F811
    v1 = save(w, row, SimpleUploadedFile("brief.bin", PDF))
    v2 = save(w, row, SimpleUploadedFile("brief.docx", docx_bytes()))
    assert (v1.number, v1.file_type, v2.number, v2.file_type) == (1, "pdf", 2, "docx")
    assert v1.file.read() == PDF  # the first version is still there
    brief = row.brief
    assert brief.versions.count() == 2
    assert (
        ToDo.objects.filter(
            kind="assessment.verify_brief", assignee=w.a2, closed_at__isnull=True
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("brief.pdf", b"MZ\x90\x00" + b"\x00" * 100, r"not a PDF or Word \(\.docx\) file"),
        (
            "brief.docx",
            docx_bytes().replace(b"word/document.xml", b"word/xxxxxxxx.xml"),
            r"not a Word document \(\.docx\)",
        ),
        (
            "brief.docx",
            docx_bytes({"word/media/big.bin": b"\x00" * (60 * 1024 * 1024)}),
            "zip bomb",
        ),
    ],
)
def test_a_renamed_exe_a_plain_zip_and_a_zip_bomb_are_refused(w, row, name, data, reason):  # noqa: F811
    with pytest.raises(ValidationError, match=reason):
        save(w, row, SimpleUploadedFile(name, data))
    assert not AssignmentBrief.objects.exists()


def test_an_oversized_file_is_refused_on_the_page(w, row, client, settings):  # noqa: F811
    settings.BTECQA_BRIEF_MAX_BYTES = 1024 * 1024
    client.force_login(w.a1)
    response = client.post(
        reverse("assessment:brief_edit", args=[row.pk]),
        {
            "vocational_scenario": "S",
            "tasks": "T",
            "evidence": "E",
            "upload": SimpleUploadedFile("brief.pdf", PDF + b"0" * (1024 * 1024 + 512 * 1024)),
        },
    )
    assert response.status_code == 200
    assert "The file was refused: the file is 1.5 MB, over the 1 MB limit" in (
        response.content.decode()
    )
    assert not AssignmentBrief.objects.exists()


def test_only_the_assignments_iv_checks_and_an_unmet_item_needs_actions(w, row):  # noqa: F811
    brief = save(w, row).brief
    with pytest.raises(PermissionDenied, match="Only the assignment's internal verifier"):
        briefs.verify_brief(brief, by=w.a1, answers=ALL_MET, password=PASSWORD)
    answers = {**ALL_MET, "deadlines": False}
    with pytest.raises(ValidationError, match="Say what must be done about: The hand-in"):
        briefs.verify_brief(brief, by=w.a2, answers=answers)
    briefs.verify_brief(brief, by=w.a2, answers=answers, actions_required="Put the dates in")
    brief.refresh_from_db()
    assert brief.status == "action_required" and brief.actions_required == "Put the dates in"
    with pytest.raises(ValidationError, match="cannot be issued to learners until"):
        briefs.issue_brief(brief, by=w.a1)


def test_issue_is_refused_until_verified_even_for_a_pearson_authorised_brief(w, row, client):  # noqa: F811
    brief = save(w, row, paab=True).brief
    client.force_login(w.a1)
    response = client.post(
        reverse("assessment:brief_issue", args=[brief.pk]),
        {"version": brief.lock_version},
        follow=True,
    )
    page = response.content.decode()
    assert "cannot be issued to learners until its internal verifier" in page
    assert "Pearson Authorised Assignment Briefs need the check too" in page
    brief.refresh_from_db()
    assert brief.status == "awaiting_iv"

    # The IV checks every item and signs off on the page, password re-entered.
    client.force_login(w.a2)
    data = {f"item_{k}": "yes" for k in CHECKLIST_KEYS}
    from signatures import services as signing

    seen = signing.current_sha256(brief)
    data |= {"version": brief.lock_version, "seen": seen, "actions_taken": "Dates checked"}
    bad = client.post(
        reverse("assessment:brief_verify", args=[brief.pk]), {**data, "password": "no"}
    )
    assert bad.status_code == 400 and "password is not right" in bad.content.decode()
    ok = client.post(
        reverse("assessment:brief_verify", args=[brief.pk]), {**data, "password": PASSWORD}
    )
    assert ok.status_code == 302
    brief.refresh_from_db()
    assert brief.status == "verified" and brief.verified_by == w.a2
    assert signing.signatures(brief).count() == 1

    client.force_login(w.a1)
    client.post(
        reverse("assessment:brief_sign", args=[brief.pk]),
        {"version": brief.lock_version, "seen": current_sha256(brief), "password": PASSWORD},
    )
    brief.refresh_from_db()
    client.post(reverse("assessment:brief_issue", args=[brief.pk]), {"version": brief.lock_version})
    brief.refresh_from_db()
    assert brief.status == "issued" and brief.issued_by == w.a1
    assert AuditEvent.objects.filter(action="assessment.brief.issued").exists()
    with pytest.raises(ValidationError, match="issued to learners: it cannot change"):
        save(w, row)


def test_a_new_version_after_verification_must_be_verified_again(w, row):  # noqa: F811
    brief = save(w, row).brief
    briefs.verify_brief(
        brief, by=w.a2, answers=ALL_MET, password=PASSWORD, seen_sha256=current_sha256(brief)
    )
    save(w, row, SimpleUploadedFile("b.pdf", PDF))
    brief.refresh_from_db()
    assert brief.status == "awaiting_iv"
    with pytest.raises(ValidationError, match="until its internal verifier"):
        briefs.issue_brief(brief, by=w.a1)


def test_briefs_need_an_approved_plan(w, settings, tmp_path):  # noqa: F811
    from .factories import planned_row

    draft_row = planned_row(w.plan, w.u1, assessor=w.a1, iv=w.a2)
    with pytest.raises(ValidationError, match="approved plan"):
        save(w, draft_row)


def test_an_assignment_with_a_brief_stays_on_a_reopened_plan(w, row):  # noqa: F811
    from assessment import services_plans

    save(w, row)
    services_plans.reopen_plan(w.plan, by=w.lead, reason="Dates move")
    w.plan.refresh_from_db()
    with pytest.raises(ValidationError, match="has a brief or assessment decisions"):
        services_plans.remove_assignment(w.plan, row, by=w.lead)
    assert w.plan.assignments.filter(pk=row.pk).exists()


def verified(w, row, paab=False):  # noqa: F811
    brief = save(w, row, paab=paab).brief
    briefs.verify_brief(
        brief, by=w.a2, answers=ALL_MET, password=PASSWORD, seen_sha256=current_sha256(brief)
    )
    brief.refresh_from_db()
    return brief


def sign_as_assessor(brief, user, password=PASSWORD):
    brief.refresh_from_db()
    return briefs.sign_brief_as_assessor(
        brief, by=user, password=password, seen_sha256=current_sha256(brief)
    )


def test_issue_is_refused_until_the_assessor_has_signed_too(w, row, client):  # noqa: F811
    brief = verified(w, row)
    with pytest.raises(ValidationError, match="until its assessor, .*, has signed this version"):
        briefs.issue_brief(brief, by=w.a1)
    brief.refresh_from_db()
    assert brief.status == "verified"
    # The IV's sign-off opened a to-do for the assessor.
    assert ToDo.objects.filter(
        kind="assessment.sign_brief", assignee=w.a1, closed_at__isnull=True
    ).exists()

    # On the page: the assessor signs, password re-entered; a wrong password signs nothing.
    client.force_login(w.a1)
    page = client.get(reverse("assessment:brief_detail", args=[brief.pk])).content.decode()
    assert "Sign the brief as its assessor" in page and "Not signed yet" in page
    assert "Issue to learners</button>" not in page
    data = {"version": brief.lock_version, "seen": current_sha256(brief)}
    url = reverse("assessment:brief_sign", args=[brief.pk])
    bad = client.post(url, {**data, "password": "no"})
    assert bad.status_code == 400 and "password is not right" in bad.content.decode()
    assert client.post(url, {**data, "password": PASSWORD}).status_code == 302

    both = briefs.current_signatures(brief)
    assert both.iv.signer == w.a2 and both.assessor.signer == w.a1
    assert both.iv.version == both.assessor.version  # the same version, signed twice
    assert both.assessor.role_label == "Assessor"
    assert both.assessor.statement == AssignmentBrief.assessor_signing_statement
    assert AuditEvent.objects.filter(action="assessment.brief.assessor_signed").count() == 1
    assert not ToDo.objects.filter(kind="assessment.sign_brief", closed_at__isnull=True).exists()
    page = client.get(reverse("assessment:brief_detail", args=[brief.pk])).content.decode()
    assert f"Signed off by {w.a2.get_full_name()}" in page
    assert f"Signed by {w.a1.get_full_name()}" in page
    assert "Sign the brief as its assessor" not in page

    brief.refresh_from_db()
    briefs.issue_brief(brief, by=w.a1)
    brief.refresh_from_db()
    assert brief.status == "issued"


def test_only_the_assignments_assessor_signs_and_only_once(w, row):  # noqa: F811
    brief = verified(w, row)
    # The IV (who may write briefs) and the Lead IV are not this assignment's assessor.
    for other in (w.a2, w.lead):
        with pytest.raises(PermissionDenied, match="Only the assignment's assessor, .* signs"):
            sign_as_assessor(brief, other)
    assert briefs.current_signatures(brief).assessor is None
    sign_as_assessor(brief, w.a1)
    with pytest.raises(ValidationError, match="already signed this version"):
        sign_as_assessor(brief, w.a1)


def test_the_assessor_cannot_sign_before_the_iv_has_signed_off(w, row):  # noqa: F811
    brief = save(w, row).brief
    with pytest.raises(ValidationError, match="after its internal verifier has signed it off"):
        sign_as_assessor(brief, w.a1)
    assert briefs.current_signatures(brief).assessor is None


def test_a_new_version_needs_both_signatures_again(w, row):  # noqa: F811
    brief = verified(w, row)
    sign_as_assessor(brief, w.a1)
    save(w, row, SimpleUploadedFile("b.pdf", PDF))  # version 2 voids both
    brief.refresh_from_db()
    both = briefs.current_signatures(brief)
    assert (both.iv, both.assessor) == (None, None)
    with pytest.raises(ValidationError, match="until its internal verifier"):
        briefs.issue_brief(brief, by=w.a1)

    briefs.verify_brief(
        brief, by=w.a2, answers=ALL_MET, password=PASSWORD, seen_sha256=current_sha256(brief)
    )
    brief.refresh_from_db()
    with pytest.raises(ValidationError, match="until its assessor"):
        briefs.issue_brief(brief, by=w.a1)  # the assessor's signature on version 1 is void
    sign_as_assessor(brief, w.a1)
    brief.refresh_from_db()
    briefs.issue_brief(brief, by=w.a1)
    brief.refresh_from_db()
    assert brief.status == "issued"


def test_plan_and_brief_events_are_on_the_cohorts_centres_audit_trail(w, row, client):  # noqa: F811
    """A plan reaches its centre through its cohort: its events, and its briefs', must
    still go on that centre's trail, where the Quality Nominee reads them."""
    brief = verified(w, row)
    sign_as_assessor(brief, w.a1)
    brief.refresh_from_db()
    briefs.issue_brief(brief, by=w.a1)
    events = AuditEvent.objects.filter(action__startswith="assessment.")
    actions = set(events.values_list("action", flat=True))
    assert {
        "assessment.plan.started",
        "assessment.plan.submitted",
        "assessment.plan.approved",
        "assessment.brief.saved",
        "assessment.brief.verified",
        "assessment.brief.assessor_signed",
        "assessment.brief.issued",
    } <= actions
    assert set(events.values_list("centre_id", flat=True)) == {w.centre.pk}
    client.force_login(w.qn)
    page = client.get(reverse("audit:event_list")).content.decode()
    assert "approved and signed Assessment plan: BTEC Plan Studies, 2026/27" in page
