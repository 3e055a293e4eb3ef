"""A results or certificates file previewed on its page and not confirmed is owed by its
uploader, as a previewed MIS import is (learners.commit_import): a to-do on their
dashboard, linking to the upload page that lists the waiting previews with Confirm and
Discard, closed when it is confirmed or discarded (or a later preview of theirs is)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from certification.models import Certificate, CertificateImport
from claims.models import ExternalResult, ResultsImport
from tests.test_certification_bad_input import DATA, make_world
from tests.test_dashboard_roles import follow
from todos.models import ToDo

pytestmark = pytest.mark.django_db

RESULTS = {
    "kind": "claims.confirm_results_import",
    "upload": "claims:results_import",
    "confirm": "claims:results_import_confirm",
    "discard": "claims:results_import_discard",
    "model": ResultsImport,
    "written": ExternalResult,
    "good": DATA / "good_results" / "near_pass.csv",
    "bad": DATA / "bad_results" / "bad_grade.csv",
    "discarded": "claims.results_import.discarded",
}
CERTIFICATES = {
    "kind": "certification.confirm_import",
    "upload": "certification:import",
    "confirm": "certification:import_confirm",
    "discard": "certification:import_discard",
    "model": CertificateImport,
    "written": Certificate,
    "good": DATA / "good_certificates" / "bom.csv",
    "bad": DATA / "bad_certificates" / "bad_award_grade.csv",
    "discarded": "certification.import.discarded",
}


@pytest.fixture
def world(own_centre, exams_officer):
    return make_world(own_centre, exams_officer)


@pytest.fixture(params=[RESULTS, CERTIFICATES], ids=["results", "certificates"])
def imp(request):
    return request.param


def upload(client, imp, centre, path, name=None):
    data = {"centre": centre.pk, "file": SimpleUploadedFile(name or path.name, path.read_bytes())}
    if imp is CERTIFICATES:
        data["received_on"] = "01/06/2027"
    response = client.post(reverse(imp["upload"]), data)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def open_todos(imp, **kw):
    return ToDo.objects.filter(kind=imp["kind"], closed_at__isnull=True, **kw)


def test_a_kept_preview_is_owed_by_its_uploader_until_confirmed(client, world, imp):
    centre, eo = world
    client.force_login(eo)
    upload(client, imp, centre, imp["good"])
    record = imp["model"].objects.get()
    todo = open_todos(imp).get()
    assert todo.assignee == eo and todo.centre == centre
    assert todo.target == record
    assert record.file_name in todo.title
    # the dashboard links it to the upload page, which lists the preview with its buttons
    followed = follow(client, eo, imp["kind"])
    page = client.get(followed.url).content.decode()
    assert reverse(imp["confirm"], args=[record.pk]) in page
    assert reverse(imp["discard"], args=[record.pk]) in page
    assert client.post(reverse(imp["confirm"], args=[record.pk])).status_code == 302
    assert imp["written"].objects.exists()
    assert not open_todos(imp).exists()
    assert ToDo.objects.get(kind=imp["kind"]).closed_note == "committed"
    # confirmed, it is no longer waiting
    page = client.get(reverse(imp["upload"])).content.decode()
    assert reverse(imp["discard"], args=[record.pk]) not in page


def test_a_discarded_preview_writes_nothing_closes_its_todo_and_cannot_be_confirmed(
    client, world, imp
):
    centre, eo = world
    client.force_login(eo)
    upload(client, imp, centre, imp["good"])
    record = imp["model"].objects.get()
    response = client.post(reverse(imp["discard"], args=[record.pk]), follow=True)
    assert "Discarded the preview of" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "discarded"
    assert not open_todos(imp).exists()
    assert ToDo.objects.get(kind=imp["kind"]).closed_note == "discarded"
    assert AuditEvent.objects.filter(action=imp["discarded"]).count() == 1
    response = client.post(reverse(imp["confirm"], args=[record.pk]), follow=True)
    assert "Nothing was imported" in response.content.decode()
    assert not imp["written"].objects.exists()
    # twice is once
    response = client.post(reverse(imp["discard"], args=[record.pk]), follow=True)
    assert "Nothing was discarded" in response.content.decode()
    assert AuditEvent.objects.filter(action=imp["discarded"]).count() == 1


def test_a_preview_with_problems_opens_no_todo_and_is_not_waiting(client, world, imp):
    centre, eo = world
    client.force_login(eo)
    response = upload(client, imp, centre, imp["bad"])
    assert "Nothing can be imported" in response.content.decode()
    assert not ToDo.objects.filter(kind=imp["kind"]).exists()
    record = imp["model"].objects.get()
    page = client.get(reverse(imp["upload"])).content.decode()
    assert reverse(imp["discard"], args=[record.pk]) not in page


def test_confirming_a_later_preview_answers_the_earlier_one(client, world, imp):
    centre, eo = world
    client.force_login(eo)
    upload(client, imp, centre, imp["good"], name="first.csv")
    upload(client, imp, centre, imp["good"], name="second.csv")
    assert open_todos(imp).count() == 2
    later = imp["model"].objects.get(file_name="second.csv")
    client.post(reverse(imp["confirm"], args=[later.pk]))
    assert not open_todos(imp).exists()


def test_the_upload_page_runs_the_same_queries_whatever_the_waiting_previews(
    client, world, imp, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    centre, eo = world
    client.force_login(eo)
    url = reverse(imp["upload"])

    def waiting(n):
        for i in range(n):
            imp["model"].objects.create(
                centre=centre, file_name=f"w{i}.csv", file_sha256="", uploaded_by=eo,
                status="previewed", stored_file=f"imports/w{i}.csv", counts={"rows": 1},
            )  # fmt: skip

    waiting(1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert "w0.csv" in client.get(url).content.decode()
    waiting(20)
    with django_assert_max_num_queries(len(one)):
        page = client.get(url).content.decode()
        assert page.count("Discard w") == 21
