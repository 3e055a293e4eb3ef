"""One permission layer, every view: role decides 403, centre decides 404.

The table below is the policy written out by hand for the pages without an object: who
may open each. It is deliberately not derived from accounts.permissions, so a change to a
grant there shows up here as a failing row. Every URL with an object is in the generated
matrix (tests/test_permission_matrix.py).
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import audit
from accounts.permissions import all_permissions, register
from accounts.roles import ALL_ROLES, Role

from .factories import LearnerFactory

R = Role
AUDIT_READERS = {R.EXAMS_OFFICER, R.QUALITY_NOMINEE, R.HEAD_OF_CENTRE, R.CENTRE_ADMIN}
REPORT_READERS = {R.GOVERNOR, R.HEAD_OF_CENTRE, R.QUALITY_NOMINEE, R.EXAMS_OFFICER, R.CENTRE_ADMIN}

STAFF = set(ALL_ROLES) - {R.GOVERNOR, R.STANDARDS_VERIFIER}  # the SV is not staff
EXPORTERS = {R.EXAMS_OFFICER, R.CENTRE_ADMIN, R.QUALITY_NOMINEE, R.PROGRAMME_LEADER}

# url name -> roles at the object's own centre that may open it
PAGES = {
    "dashboard": set(ALL_ROLES),
    "password_change": set(ALL_ROLES),
    "audit:event_list": AUDIT_READERS,
    "centres:summary": REPORT_READERS,
    "learners:learner_list": STAFF,
    "learners:cohort_list": STAFF,
    "learners:learners_export": EXPORTERS,
    "learners:cohorts_export": EXPORTERS,
    "learners:cohort_create": {R.EXAMS_OFFICER, R.QUALITY_NOMINEE, R.CENTRE_ADMIN},
    "centres:arrangement_list": STAFF,
    "centres:approvals": STAFF,
    "centres:arrangement_create": {R.QUALITY_NOMINEE, R.CENTRE_ADMIN},
    "catalogue:qualification_list": STAFF,
    "catalogue:structure_import": {R.EXAMS_OFFICER, R.QUALITY_NOMINEE, R.CENTRE_ADMIN},
    "learner_imports:upload": {R.EXAMS_OFFICER, R.CENTRE_ADMIN},
    "learner_imports:history": {R.EXAMS_OFFICER, R.CENTRE_ADMIN},
    "registrations:change_list": STAFF,
    "registrations:change_new": {R.PROGRAMME_LEADER, R.QUALITY_NOMINEE, R.EXAMS_OFFICER},
    "registrations:register": STAFF,
    "registrations:numbers_upload": {R.EXAMS_OFFICER},
    "registrations:round_list": STAFF,
    "registrations:round_open": {R.EXAMS_OFFICER},
    "registrations:calendar_edit": {R.EXAMS_OFFICER, R.CENTRE_ADMIN},
}
# pages about one object: (url name, kwargs factory) -> roles that may see an object at their centre
OBJECT_PAGES = {
    "audit:event_detail": AUDIT_READERS,
}
PUBLIC = {
    "login",
    "logout",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else ""
            if p.namespace == "admin":
                continue
            yield from _walk(p.url_patterns, prefix + ns)
        elif isinstance(p, URLPattern):
            yield prefix + (p.name or ""), p.callback


def test_every_view_goes_through_the_permission_layer():
    unguarded = []
    for name, view in _walk(get_resolver().url_patterns):
        view_class = getattr(view, "view_class", None)
        declared = (
            getattr(view, "btecqa_permission", None)
            or getattr(view, "btecqa_public", False)
            or getattr(view_class, "permission", None)
        )
        if not declared:
            unguarded.append(name)
    assert unguarded == [], f"views with no permission declared: {unguarded}"


def test_the_public_views_are_exactly_the_expected_ones():
    public = {
        name
        for name, view in _walk(get_resolver().url_patterns)
        if getattr(view, "btecqa_public", False)
    }
    assert public == PUBLIC


def test_governors_can_never_hold_a_permission_that_changes_anything():
    for perm in all_permissions().values():
        if perm.writes:
            assert Role.GOVERNOR not in perm.roles, perm.code
    with pytest.raises(ImproperlyConfigured):
        register("test.change_everything", {Role.GOVERNOR}, writes=True)


@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_log_in(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", sorted(Role, key=str))
@pytest.mark.parametrize("url_name", sorted(PAGES))
def test_pages_by_role(client, cast, url_name, role):
    client.force_login(cast[role])
    response = client.get(reverse(url_name))
    expected = 200 if role in PAGES[url_name] else 403
    assert response.status_code == expected


@pytest.fixture
def events(own_centre, partner_centre, other_centre):
    """An event about a learner at each centre."""
    out = {}
    for key, centre in (("own", own_centre), ("partner", partner_centre), ("other", other_centre)):
        learner = LearnerFactory(centre=centre)
        out[key] = audit.record(
            None, "learners.learner.created", learner, after={"centre": centre.number}
        )
    return out


@pytest.mark.parametrize("where", ["own", "partner", "other"])
@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_event_detail_by_role_and_centre(client, cast, events, role, where):
    client.force_login(cast[role])
    response = client.get(reverse("audit:event_detail", args=[events[where].seq]))
    if role not in OBJECT_PAGES["audit:event_detail"]:
        assert response.status_code == 403
    elif where == "own":
        assert response.status_code == 200
    else:
        # No arrangement grants the partner's trail yet: it does not exist for this user.
        assert response.status_code == 404


@pytest.mark.parametrize("role", sorted(AUDIT_READERS, key=str))
def test_event_list_shows_only_own_centre_events(client, cast, events, role):
    client.force_login(cast[role])
    response = client.get(reverse("audit:event_list"))
    seqs = {e.seq for e in response.context["page"]}
    assert events["own"].seq in seqs
    assert events["partner"].seq not in seqs and events["other"].seq not in seqs


def test_report_counts_only_own_centres(client, governor, events, own_centre, other_centre):
    client.force_login(governor)
    response = client.get(reverse("centres:summary"))
    assert own_centre.name in response.content.decode()
    assert other_centre.name not in response.content.decode()
    # Counts, never a learner: no learner's name appears on the governors' report.
    learner = LearnerFactory(centre=own_centre, first_name="Zebedee")
    assert "Zebedee" not in client.get(reverse("centres:summary")).content.decode()
    assert learner.pk


def test_a_superuser_sees_every_centre(client, events, django_user_model):
    admin = django_user_model.objects.create_superuser(
        "root", "root@example.org", "x-very-long-pass"
    )
    client.force_login(admin)
    for event in events.values():
        assert client.get(reverse("audit:event_detail", args=[event.seq])).status_code == 200


def test_a_role_at_an_inactive_centre_grants_nothing(client, cast, own_centre):
    own_centre.is_active = False
    own_centre.save()
    client.force_login(cast[Role.EXAMS_OFFICER])
    assert client.get(reverse("audit:event_list")).status_code == 403


def test_someone_with_no_role_is_told_so_on_the_dashboard(client, db, django_user_model):
    user = django_user_model.objects.create_user("newstarter", "n@example.org", "x-very-long-pass")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "You hold no role" in response.content.decode()
    assert client.get(reverse("audit:event_list")).status_code == 403


def test_navigation_shows_only_what_the_role_may_open(client, governor, exams_officer):
    client.force_login(governor)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("centres:summary") in html and reverse("audit:event_list") not in html
    client.force_login(exams_officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("audit:event_list") in html
