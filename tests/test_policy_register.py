"""The centre's policy register (policy 000-4, MONITORING; btecqa issue 12 part 8).

"This policy is monitored internally once per year by the Quality Nominee. It is provided
to Pearson at their request as part of their Quality Assurance processes in the autumn of
each school year." Each policy has a coordinator, a governors' sub-committee, review dates,
the head's and the chair's signatures and its current file; each review is a version.
"""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from outbox.models import OutgoingEmail
from policies import events, services
from policies.models import MonitoringRecord, Policy, PolicyVersion
from policies.tasks import policy_review_reminders
from todos.models import ToDo

R = Role
pytestmark = pytest.mark.usefixtures("_autumn")
TODAY = dt.date(2026, 10, 1)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def _autumn():
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, 0), tick=True):
        yield


def pdf(name="policy.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def docx(name="policy.docx"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def qn(cast):
    return cast[R.QUALITY_NOMINEE]


@pytest.fixture
def head(cast):
    return cast[R.HEAD_OF_CENTRE]


@pytest.fixture
def coordinator(cast):
    return cast[R.EXAMS_OFFICER]


def add(centre, by, coordinator, title="BTEC assessment policy", **kw):
    values = {
        "sub_committee": "Curriculum and Standards",
        "reviewed_on": dt.date(2026, 3, 2),
        "next_review": dt.date(2027, 3, 1),
        "upload": pdf(),
    }
    values.update(kw)
    return services.add_policy(centre=centre, title=title, coordinator=coordinator, by=by, **values)


@pytest.fixture
def policy(own_centre, qn, coordinator):
    return add(own_centre, qn, coordinator)


def login(client, user):
    client.force_login(user)
    return client


# --- 1. the record ------------------------------------------------------------------------


def test_the_quality_nominee_adds_a_policy_and_the_register_lists_it(
    client, own_centre, qn, coordinator
):
    login(client, qn)
    response = client.post(
        reverse("policies:policy_add"),
        {
            "centre": own_centre.pk,
            "title": "Internal verification policy",
            "coordinator": coordinator.pk,
            "sub_committee": "Curriculum and Standards",
            "reviewed_on": "02/03/2026",
            "next_review": "01/03/2027",
            "upload": docx("IV policy.docx"),
        },
    )
    policy = Policy.objects.get(title="Internal verification policy")
    assert response.status_code == 302 and response["Location"] == policy.get_absolute_url()
    version = policy.versions.get()
    assert (version.number, version.file_type, version.file_name) == (1, "docx", "IV policy.docx")
    page = client.get(reverse("policies:register")).content.decode()
    assert "Internal verification policy" in page
    assert coordinator.get_full_name() in page and "Curriculum and Standards" in page
    assert "02/03/2026" in page and "01/03/2027" in page
    assert AuditEvent.objects.filter(action=events.POLICY_ADDED, object_id=str(policy.pk)).exists()
    # The Head of Centre is asked to sign version 1.
    assert ToDo.objects.filter(kind=events.SIGN_POLICY, role=R.HEAD_OF_CENTRE).count() == 1


@pytest.mark.parametrize(
    "upload, reason",
    [
        (SimpleUploadedFile("policy.pdf", b"just some text"), "not a PDF or Word (.docx) file"),
        (SimpleUploadedFile("policy.pdf", b" \n"), "the file is empty"),
        (
            SimpleUploadedFile("policy.docx", b"PK\x03\x04" + b"\0" * 40),
            "damaged zip or Word file",
        ),
        ("too_big", "over the"),
    ],
)
def test_a_bad_file_is_refused_with_the_field_and_the_reason(
    client, settings, own_centre, qn, coordinator, upload, reason
):
    if upload == "too_big":
        settings.BTECQA_POLICY_MAX_BYTES = 1024
        upload = pdf(data=PDF + b"x" * 2048)
    login(client, qn)
    response = client.post(
        reverse("policies:policy_add"),
        {
            "centre": own_centre.pk,
            "title": "Malpractice policy",
            "coordinator": coordinator.pk,
            "reviewed_on": "02/03/2026",
            "next_review": "01/03/2027",
            "upload": upload,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "upload" in form.errors
    error = " ".join(form.errors["upload"])
    assert "The policy file was refused" in error and reason in error
    assert reason in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not Policy.objects.exists()


def test_the_policy_limit_never_exceeds_the_upload_handlers(settings):
    settings.BTECQA_POLICY_MAX_BYTES = 50 * 1024 * 1024
    settings.BTECQA_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    assert services.max_policy_bytes() == 2 * 1024 * 1024


def test_a_docx_renamed_pdf_is_read_as_what_it_is(own_centre, qn, coordinator):
    policy = add(own_centre, qn, coordinator, upload=docx("looks.pdf"))
    assert policy.latest_version().file_type == "docx"


def test_the_coordinator_must_hold_a_role_at_the_centre(own_centre, other_centre, qn, make_user):
    stranger = make_user("stranger", R.EXAMS_OFFICER, centre=other_centre)
    with pytest.raises(ValidationError) as exc:
        add(own_centre, qn, stranger)
    assert "holds no role at Own Test Academy" in str(exc.value.message_dict["coordinator"])


def test_a_review_makes_a_new_version_and_the_old_file_stays_readable(client, policy, qn):
    login(client, qn)
    response = client.post(
        reverse("policies:policy_review", args=[policy.pk]),
        {
            "reviewed_on": "30/09/2026",
            "next_review": "30/09/2027",
            "notes": "Appeals deadline changed",
            "upload": pdf("v2.pdf", PDF + b"% second\n"),
            "lock": policy.lock_version,
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.last_reviewed == dt.date(2026, 9, 30)
    assert policy.next_review == dt.date(2027, 9, 30)
    v1, v2 = policy.versions.order_by("number")
    sign_todo = ToDo.objects.get(kind=events.SIGN_POLICY, closed_at__isnull=True)
    assert sign_todo.title.startswith("Sign version 2 of")
    assert (v2.number, v2.notes, v2.file_name) == (2, "Appeals deadline changed", "v2.pdf")
    old = client.get(reverse("policies:version_file", args=[v1.pk]))
    assert old.status_code == 200 and b"".join(old.streaming_content) == PDF
    new = client.get(reverse("policies:version_file", args=[v2.pk]))
    assert b"second" in b"".join(new.streaming_content)
    page = client.get(policy.get_absolute_url()).content.decode()
    assert "v2.pdf" in page and "policy.pdf" in page


def test_a_review_without_a_new_file_keeps_the_last_one(policy, qn):
    version = services.record_review(
        policy, reviewed_on=dt.date(2026, 9, 30), next_review=dt.date(2027, 9, 30), by=qn
    )
    first = policy.versions.get(number=1)
    assert version.number == 2 and version.sha256 == first.sha256
    assert version.file.name == first.file.name


def test_the_head_signs_and_the_signed_version_cannot_be_edited(client, policy, head, qn, password):
    version = policy.latest_version()
    login(client, head)
    page = client.get(policy.get_absolute_url())
    seen = page.context["sign_form"].initial["seen"]
    wrong = client.post(
        reverse("policies:version_sign", args=[version.pk]), {"password": "nope", "seen": seen}
    )
    assert wrong.status_code == 200
    assert "That password is not right" in wrong.content.decode()
    signed = client.post(
        reverse("policies:version_sign", args=[version.pk]), {"password": password, "seen": seen}
    )
    assert signed.status_code == 302
    shown = client.get(policy.get_absolute_url()).content.decode()
    assert f"Signed by {head.get_full_name()} (Head of Centre)" in shown
    assert not ToDo.objects.filter(kind=events.SIGN_POLICY, closed_at__isnull=True).exists()

    # The Quality Nominee cannot correct the signed version, by page or by code.
    login(client, qn)
    response = client.post(
        reverse("policies:version_edit", args=[version.pk]),
        {"reviewed_on": "03/03/2026", "next_review": "01/03/2027"},
    )
    assert response.status_code == 200
    assert "Version 1 is signed: it cannot be changed" in response.content.decode()
    version.refresh_from_db()
    assert version.reviewed_on == dt.date(2026, 3, 2)
    version.notes = "tampered"
    with pytest.raises(ValidationError, match="is signed"):
        version.save()
    # and the page offers no correction for it.
    assert (
        f'href="{reverse("policies:version_edit", args=[version.pk])}"'
        not in client.get(policy.get_absolute_url()).content.decode()
    )


def test_an_unsigned_version_can_be_corrected(client, policy, qn):
    version = policy.latest_version()
    login(client, qn)
    response = client.post(
        reverse("policies:version_edit", args=[version.pk]),
        {"reviewed_on": "03/03/2026", "next_review": "02/03/2027", "upload": docx()},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    policy.refresh_from_db()
    assert (version.reviewed_on, version.file_type) == (dt.date(2026, 3, 3), "docx")
    assert policy.next_review == dt.date(2027, 3, 2)


def test_the_chair_signature_is_recorded_by_the_quality_nominee_in_honest_words(client, policy, qn):
    version = policy.latest_version()
    login(client, qn)
    future = client.post(
        reverse("policies:version_chair", args=[version.pk]),
        {"chair_name": "Eleanor Pashley", "signed_on": "02/10/2026"},
    )
    assert future.status_code == 200
    assert "That date is in the future" in future.content.decode()
    response = client.post(
        reverse("policies:version_chair", args=[version.pk]),
        {"chair_name": "Eleanor Pashley", "signed_on": "10/03/2026"},
    )
    assert response.status_code == 302
    page = client.get(policy.get_absolute_url()).content.decode()
    assert (
        "Signed by the chair of governors, Eleanor Pashley, on 10/03/2026; recorded in btecqa by "
        f"{qn.get_full_name()} on 01/10/2026"
    ) in page
    # Signed by the chair: the version is fixed too.
    with pytest.raises(ValidationError):
        services.correct_version(
            version, reviewed_on=dt.date(2026, 3, 3), next_review=dt.date(2027, 3, 1), by=qn
        )


# --- 2. monitoring --------------------------------------------------------------------------


def test_monitoring_once_per_year_by_the_quality_nominee(client, policy, qn, coordinator):
    login(client, qn)
    url = reverse("policies:policy_monitor", args=[policy.pk])
    first = client.post(
        url, {"monitored_on": "01/10/2026", "outcome": "changes_needed", "notes": "Add AI"}
    )
    assert first.status_code == 302
    record = MonitoringRecord.objects.get()
    assert (record.academic_year, record.outcome) == ("2026/27", "changes_needed")
    # Changes needed: the coordinator is asked to make them.
    assert ToDo.objects.filter(kind=events.CHANGES_NEEDED, assignee=coordinator).count() == 1
    again = client.post(url, {"monitored_on": "15/09/2026", "outcome": "no_change"})
    assert again.status_code == 200
    assert "has already been monitored in 2026/27" in again.content.decode()
    assert MonitoringRecord.objects.count() == 1
    page = client.get(reverse("policies:register")).content.decode()
    assert "01/10/2026: Changes needed" in page


# --- 3. reminders ---------------------------------------------------------------------------


def _review_todos(policy):
    return ToDo.objects.filter(kind=events.REVIEW_DUE, target_id=str(policy.pk))


def test_the_reminder_opens_30_days_before_and_not_earlier(own_centre, qn, coordinator):
    policy = add(
        own_centre, qn, coordinator, reviewed_on=dt.date(2026, 3, 2),
        next_review=dt.date(2026, 12, 1),
    )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 10, 31, 6, 20), tick=False):
        policy_review_reminders()  # 31 days before
    assert not _review_todos(policy).exists()
    assert not OutgoingEmail.objects.filter(kind="policies.review_reminder").exists()
    with time_machine.travel(dt.datetime(2026, 11, 1, 6, 20), tick=False):
        policy_review_reminders()  # 30 days before
        policy_review_reminders()  # a second run opens and sends nothing more
    todo = _review_todos(policy).get()
    assert todo.assignee == coordinator and todo.due_date == dt.date(2026, 12, 1)
    assert "due on 01/12/2026" in todo.title
    email = OutgoingEmail.objects.get(kind="policies.review_reminder")
    assert email.to == [coordinator.email] and "BTEC assessment policy" in email.subject
    # Reviewing the policy closes the to-do.
    with time_machine.travel(dt.datetime(2026, 11, 5, 10, 0), tick=False):
        services.record_review(
            policy, reviewed_on=dt.date(2026, 11, 5), next_review=dt.date(2027, 11, 5), by=qn
        )
    assert not _review_todos(policy).filter(closed_at__isnull=True).exists()


def test_the_centre_chooses_how_many_days_before(client, own_centre, qn, coordinator):
    policy = add(own_centre, qn, coordinator, next_review=dt.date(2026, 12, 1))
    login(client, qn)
    refused = client.post(reverse("policies:reminder_settings"), {"reminder_days": "0"})
    assert refused.status_code == 200 and "reminder_days" in refused.context["days_form"].errors
    response = client.post(reverse("policies:reminder_settings"), {"reminder_days": "10"})
    assert response.status_code == 302
    assert services.reminder_days(own_centre) == 10
    with time_machine.travel(dt.datetime(2026, 11, 1, 6, 20), tick=False):
        policy_review_reminders()
    assert not _review_todos(policy).exists()
    with time_machine.travel(dt.datetime(2026, 11, 21, 6, 20), tick=False):
        policy_review_reminders("2026-11-21")
    assert _review_todos(policy).count() == 1


def test_the_task_is_on_the_beat_schedule():
    """The year's calendar runs the review reminders each morning (one mechanism: the
    calendar's daily task calls the register's service through its date source)."""
    from btecqa.celery import app
    from calendar_reminders.registry import get_source

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "calendar_reminders.tasks.calendar_reminders" in tasks
    assert get_source("policies.review").remind is not None


def test_an_overdue_policy_shows_as_overdue(client, own_centre, qn, coordinator, governor):
    add(
        own_centre, qn, coordinator, title="Appeals policy",
        reviewed_on=dt.date(2025, 9, 1), next_review=dt.date(2026, 9, 1),
    )  # fmt: skip
    add(own_centre, qn, coordinator, title="Malpractice policy")
    login(client, governor)  # governors read the register
    response = client.get(reverse("policies:register"))
    assert response.status_code == 200
    rows = {r.policy.title: r for r in response.context["rows"]}
    assert rows["Appeals policy"].overdue and not rows["Malpractice policy"].overdue
    assert response.content.decode().count("Overdue") == 1
    appeals = Policy.objects.get(title="Appeals policy")
    assert "Overdue for review" in client.get(appeals.get_absolute_url()).content.decode()
    with time_machine.travel(dt.datetime(2026, 10, 1, 6, 20), tick=False):
        policy_review_reminders()
    assert "overdue since 01/09/2026" in _review_todos(appeals).get().title


# --- 4. the export for Pearson ------------------------------------------------------------


def test_the_export_lists_the_centres_policies_and_not_another_centres(
    client, own_centre, other_centre, qn, head, coordinator, make_user, password
):
    mine = add(own_centre, qn, coordinator, title="Own centre appeals policy")
    services.record_chair_signature(
        mine.latest_version(), chair_name="Eleanor Pashley", signed_on=dt.date(2026, 3, 9), by=qn
    )
    from signatures import services as signing

    services.sign_as_head(
        mine.latest_version(), user=head, password=password,
        seen_sha256=signing.current_sha256(mine),
    )  # fmt: skip
    services.record_monitoring(mine, monitored_on=TODAY, outcome="no_change", by=qn)
    other_qn = make_user("other_qn", R.QUALITY_NOMINEE, centre=other_centre)
    other_eo = make_user("other_eo", R.EXAMS_OFFICER, centre=other_centre)
    add(other_centre, other_qn, other_eo, title="Elsewhere malpractice policy")

    login(client, qn)
    response = client.get(reverse("policies:export"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == (
        "Policy", "Coordinator", "Governors' sub-committee", "Last reviewed", "Next review due",
    )  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["Own centre appeals policy"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Signed by the Head of Centre on"].date() == TODAY
    assert row["Signed by the chair of governors on"].date() == dt.date(2026, 3, 9)
    assert row["Monitored this year"] == "01/10/2026: No change needed"
    # Even asking for the other centre gives one's own.
    asked = client.get(reverse("policies:export") + f"?centre={other_centre.pk}")
    assert b"Elsewhere" not in b"".join(
        zipfile.ZipFile(io.BytesIO(asked.content)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(asked.content)).namelist()
    )
    files = client.get(reverse("policies:export_files"))
    names = zipfile.ZipFile(io.BytesIO(files.content)).namelist()
    assert names == ["own-centre-appeals-policy-v1.pdf"]


# --- 5. permissions ---------------------------------------------------------------------------


def test_a_user_at_another_centre_gets_404(client, policy, other_centre, make_user):
    other_qn = make_user("other_qn", R.QUALITY_NOMINEE, centre=other_centre)
    login(client, other_qn)
    version = policy.latest_version()
    for url in (
        reverse("policies:policy_detail", args=[policy.pk]),
        reverse("policies:policy_edit", args=[policy.pk]),
        reverse("policies:version_file", args=[version.pk]),
        reverse("policies:version_edit", args=[version.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert "BTEC assessment policy" not in client.get(reverse("policies:register")).content.decode()


def test_an_assessor_reads_but_gets_403_on_managing(client, policy, cast):
    login(client, cast[R.ASSESSOR_IV])
    page = client.get(policy.get_absolute_url())
    assert page.status_code == 200
    assert "Record a review" not in page.content.decode()
    assert client.get(reverse("policies:policy_add")).status_code == 403
    assert client.get(reverse("policies:policy_edit", args=[policy.pk])).status_code == 403
    review = client.post(
        reverse("policies:policy_review", args=[policy.pk]),
        {"reviewed_on": "30/09/2026", "next_review": "30/09/2027"},
    )
    assert review.status_code == 403
    sign = reverse("policies:version_sign", args=[policy.latest_version().pk])
    assert client.post(sign, {}).status_code == 403
    assert client.get(reverse("policies:export")).status_code == 403
    assert PolicyVersion.objects.count() == 1


def test_governors_read_and_change_nothing(client, policy, governor):
    login(client, governor)
    assert client.get(policy.get_absolute_url()).status_code == 200
    assert client.get(reverse("policies:policy_add")).status_code == 403
    monitor = client.post(
        reverse("policies:policy_monitor", args=[policy.pk]),
        {"monitored_on": "01/10/2026", "outcome": "no_change"},
    )
    assert monitor.status_code == 403


def test_the_menu_has_the_policy_register(client, cast):
    login(client, cast[R.GOVERNOR])
    page = client.get(reverse("dashboard")).content.decode()
    assert "Policy register" in page


def test_pages_run_a_fixed_number_of_queries(
    client, own_centre, qn, coordinator, django_assert_max_num_queries
):
    for n in range(3):
        p = add(own_centre, qn, coordinator, title=f"Policy {n}")
        services.record_review(
            p, reviewed_on=dt.date(2026, 9, 1), next_review=dt.date(2027, 9, 1), by=qn
        )
        services.record_monitoring(p, monitored_on=TODAY, outcome="no_change", by=qn)
    login(client, qn)
    client.get(reverse("policies:register"))  # warm the session and role caches
    with django_assert_max_num_queries(14) as small:
        client.get(reverse("policies:register"))
    for n in range(3, 12):
        p = add(own_centre, qn, coordinator, title=f"Policy {n}")
        services.record_review(
            p, reviewed_on=dt.date(2026, 9, 1), next_review=dt.date(2027, 9, 1), by=qn
        )
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("policies:register"))
    with django_assert_max_num_queries(len(small)):
        client.get(reverse("policies:export"))
    with django_assert_max_num_queries(20) as detail_small:
        client.get(p.get_absolute_url())
    for _ in range(4):
        p.refresh_from_db()
        services.record_review(
            p, reviewed_on=dt.date(2026, 9, 2), next_review=dt.date(2027, 9, 1), by=qn
        )
    with django_assert_max_num_queries(len(detail_small)):
        client.get(p.get_absolute_url())


# --- 6. the demo ----------------------------------------------------------------------------


def test_the_demo_register_has_an_overdue_policy_and_one_due_soon(db):
    from btecqa.demo import load_demo

    day = dt.date(2026, 12, 3)
    with time_machine.travel(dt.datetime(2026, 12, 3, 12, 0), tick=True):
        load_demo(day)
        load_demo(day)  # a second load adds nothing
    policies = {p.title: p for p in Policy.objects.all()}
    assert set(policies) == {
        "BTEC assessment policy",
        "Internal verification policy",
        "Malpractice policy",
        "Appeals policy",
    }
    assert [t for t, p in policies.items() if p.is_overdue(day)] == ["Malpractice policy"]
    # The loader leaves reminders to beat (the demo's dashboards start with nothing overdue);
    # the morning's run gives the coordinators their to-dos.
    assert not ToDo.objects.filter(kind__startswith="policies.", closed_at=None).exists()
    policy_review_reminders(day.isoformat())
    iv = policies["Internal verification policy"]
    assert _review_todos(iv).filter(closed_at__isnull=True, assignee__username="liv").exists()
    assert _review_todos(policies["Malpractice policy"]).filter(closed_at=None).exists()
    assert MonitoringRecord.objects.filter(academic_year="2026/27").count() == 1
    assert Policy.objects.count() == 4 and PolicyVersion.objects.count() == 4


PAGES = {
    "policies:register": set(Role),
    "policies:policy_add": {R.QUALITY_NOMINEE},
    "policies:export": {R.QUALITY_NOMINEE, R.HEAD_OF_CENTRE},
    "policies:export_files": {R.QUALITY_NOMINEE, R.HEAD_OF_CENTRE},
}


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_the_register_pages_by_role(client, cast, url_name):
    for role in Role:
        client.force_login(cast[role])
        expected = 200 if role in PAGES[url_name] else 403
        assert client.get(reverse(url_name)).status_code == expected, role


def test_every_change_is_on_the_audit_trail(own_centre, qn, head, coordinator, password):
    from signatures import services as signing

    policy = add(own_centre, qn, coordinator)
    services.change_policy(
        policy, title="BTEC assessment policy", coordinator=coordinator,
        sub_committee="Standards", next_review=dt.date(2027, 2, 1), by=qn,
    )  # fmt: skip
    version = services.correct_version(
        policy.latest_version(), reviewed_on=dt.date(2026, 3, 3),
        next_review=dt.date(2027, 2, 1), by=qn,
    )  # fmt: skip
    services.sign_as_head(
        version, user=head, password=password, seen_sha256=signing.current_sha256(policy)
    )
    services.record_chair_signature(
        version, chair_name="Eleanor Pashley", signed_on=dt.date(2026, 3, 9), by=qn
    )
    services.record_monitoring(policy, monitored_on=TODAY, outcome="no_change", by=qn)
    services.set_reminder_days(own_centre, days=20, by=qn)
    policy.refresh_from_db()
    services.record_review(policy, reviewed_on=TODAY, next_review=dt.date(2026, 10, 15), by=qn)
    policy_review_reminders()
    actions = set(
        AuditEvent.objects.filter(centre_id=own_centre.pk).values_list("action", flat=True)
    )
    assert {
        events.POLICY_ADDED,
        events.POLICY_CHANGED,
        events.VERSION_CORRECTED,
        events.HEAD_SIGNED,
        events.CHAIR_SIGNATURE_RECORDED,
        events.MONITORED,
        events.REMINDER_DAYS_SET,
        events.POLICY_REVIEWED,
        events.REVIEW_REMINDED,
        "signatures.record.version_made",
        "signatures.record.signed",
    } <= actions
    sentences = [
        e.sentence for e in AuditEvent.objects.filter(action=events.CHAIR_SIGNATURE_RECORDED)
    ]
    assert "recorded that Eleanor Pashley signed version 1" in sentences[0]
