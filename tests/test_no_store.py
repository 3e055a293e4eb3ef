"""Nothing a signed-in person receives may be kept by a cache: pages and downloads alike.

Walked as the demo's exams officer (every page without an id, then each kind of object page
and download with the demo's own records) and as a superuser (every page without an id,
the admin's included); static files stay cacheable.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from accounts.models import User
from audit.models import AuditEvent
from btecqa.demo import load_demo
from learners.models import Cohort, Learner
from qualifications.models import Qualification
from registrations.models import EntryList, RegistrationRound


def _plain_routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _plain_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and isinstance(entry.pattern, RoutePattern):
            route = prefix + str(entry.pattern)
            if "<" not in route and "logout" not in route:
                yield "/" + route


def assert_not_stored(response, url):
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control, f"{url}: Cache-Control {cache_control!r}"
    assert response.get("Pragma") == "no-cache", url


@pytest.fixture
def demo(db):
    load_demo()


def test_every_signed_in_page_and_download_says_no_store(client, demo):
    eo = User.objects.get(username="eo")
    client.force_login(eo)
    centre = eo.role_assignments.first().centre
    learner = Learner.objects.filter(centre=centre).first()
    cohort = Cohort.objects.filter(centre=centre).first()
    entry_list = EntryList.objects.filter(cohort__centre=centre).first()
    rnd = RegistrationRound.objects.filter(centre=centre).first()
    event = AuditEvent.objects.order_by("-seq").first()
    urls = list(_plain_routes()) + [
        reverse("learners:learner_detail", args=[learner.pk]),
        reverse("learners:learner_edit", args=[learner.pk]),
        reverse("learners:cohort_detail", args=[cohort.pk]),
        reverse("learners:class_list_export", args=[cohort.pk]),
        reverse("audit:event_detail", args=[event.seq]),
        reverse("registrations:round_detail", args=[rnd.pk]),
        reverse("registrations:entry_list", args=[entry_list.pk]),
        reverse("registrations:entry_list_pdf", args=[entry_list.pk]),
        reverse("registrations:entry_list_xlsx", args=[entry_list.pk]),
        reverse("registrations:pearson_xlsx", args=[entry_list.pk]),
        reverse("catalogue:qualification_export", args=[Qualification.objects.first().pk]),
    ]
    kinds = set()
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), url
        assert_not_stored(response, url)
        kinds.add(response["Content-Type"].split(";")[0])
    # pages, spreadsheets and PDFs were all among them
    assert {
        "text/html",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    } <= kinds
    # and an answer the officer may not see is not cached either
    assert_not_stored(client.get("/learners/999999/"), "404")


def test_the_superuser_pages_and_the_admin_say_no_store(client, db):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    for url in list(_plain_routes()):
        assert_not_stored(client.get(url), url)


def test_static_files_stay_cacheable_for_a_signed_in_person(
    client, db, settings, django_user_model
):
    settings.WHITENOISE_USE_FINDERS = True  # serve static/ as production serves STATIC_ROOT
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(django_user_model.objects.create_user("someone", password="x"))
    static = client.get("/static/css/btecqa.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "") and "Pragma" not in static
